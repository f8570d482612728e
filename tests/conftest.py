from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "cloudtrail"
RECORDS = FIXTURES / "records"
AUTHORED = FIXTURES / "authored"
DETONATIONS = FIXTURES / "detonation-logs"


def load(name: str) -> dict:
    for folder in (RECORDS, AUTHORED):
        path = folder / name
        if path.exists():
            return json.loads(path.read_text())
    raise FileNotFoundError(name)


def all_record_files() -> list[Path]:
    return sorted(RECORDS.glob("*.json")) + sorted(AUTHORED.glob("*.json"))


@pytest.fixture
def assessor():
    from bot.triage import Assessor

    return Assessor()
