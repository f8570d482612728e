"""The use cases hold on both backends: every test here that touches the database runs on SQLite
and on PostgreSQL (skipped, with one line saying why, where no PostgreSQL answers)."""

from __future__ import annotations

import pytest


@pytest.fixture
def iambot_db(db_url: str) -> str:
    return db_url
