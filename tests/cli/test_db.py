"""`iambot db migrate` and `iambot db copy`, as a person runs them: a table of what was copied, and
one line naming the cause of any mistake."""

from __future__ import annotations

import sqlite3

import pytest

from bot.store import Store, StoreError
from bot.store.migrations import MIGRATIONS
from tests.support.cli import clean_environment, invoke, one_line_error


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)


def sqlite_history(path):
    store = Store(path)
    for i in range(5):
        store.audit.add("note", "UAPPROVE1", detail=f"line {i}")
    store.cursors.set("watch", "s3://example-bucket/AWSLogs/")
    store.close()


def test_migrate_brings_a_new_postgresql_database_to_the_schema(postgres_url):
    result = invoke("db", "migrate", postgres_url)
    assert result.exit_code == 0, result.stderr
    assert f"schema version {len(MIGRATIONS)}, this iambot's" in result.stdout
    assert invoke("db", "migrate", postgres_url).exit_code == 0  # again: nothing to do


def test_migrate_reads_iambot_db_when_no_url_is_given(monkeypatch, tmp_path):
    monkeypatch.setenv("IAMBOT_DB", str(tmp_path / "release.db"))
    result = invoke("db", "migrate")
    assert result.exit_code == 0, result.stderr
    assert str(tmp_path / "release.db") in result.stdout
    with sqlite3.connect(tmp_path / "release.db") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_database_newer_than_iambot_is_refused_by_name(tmp_path):
    path = tmp_path / "newer.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    assert "newer than this iambot" in one_line_error(invoke("db", "migrate", str(path)))


def test_copy_prints_each_table_and_the_total(tmp_path, postgres_url):
    sqlite_history(tmp_path / "old.db")
    result = invoke("db", "copy", str(tmp_path / "old.db"), postgres_url)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["audit", "5"] for line in lines), lines
    assert any(line.split()[:2] == ["cursors", "1"] for line in lines), lines
    assert "6 rows in" in lines[-1] and "counts checked" in lines[-1]
    copied = Store(postgres_url)
    assert [r["detail"] for r in copied.audit.recent(10)] == [f"line {i}" for i in reversed(range(5))]
    copied.close()


def test_copy_refuses_a_target_with_data(tmp_path, postgres_url):
    sqlite_history(tmp_path / "old.db")
    assert invoke("db", "copy", str(tmp_path / "old.db"), postgres_url).exit_code == 0
    line = one_line_error(invoke("db", "copy", str(tmp_path / "old.db"), postgres_url))
    assert "already holds data (in " in line and "audit" in line


@pytest.mark.parametrize(
    ("source", "target", "says"),
    [
        ("missing.db", "copy.db", "missing.db: no such file"),
        ("postgresql://u:s3cret@db.example.com/x", "copy.db", "the source is an SQLite database"),
        ("mysql://db.example.com/x", "copy.db", "mysql:// is not a database iambot speaks"),
        ("old.db", "old.db", "the same file"),
        ("old.db", "redis://cache.example.com", "redis:// is not a database iambot speaks"),
    ],
)
def test_copy_mistakes_are_one_line(tmp_path, source, target, says):
    sqlite_history(tmp_path / "old.db")
    line = one_line_error(invoke("db", "copy", source, target))
    assert says in line and "s3cret" not in line


def test_run_refuses_an_old_schema_when_it_may_not_migrate(tmp_path, settings_for):
    from bot.runtime.wiring import build

    sqlite3.connect(tmp_path / "old.db").close()  # an empty file: schema version 0
    settings = settings_for(IAMBOT_DB=str(tmp_path / "old.db"), IAMBOT_DB_MIGRATE="false")
    with pytest.raises(StoreError, match=r"schema version 0, this iambot needs \d+: run `iambot db migrate`"):
        build(settings)
    assert invoke("db", "migrate", str(tmp_path / "old.db")).exit_code == 0
    build(settings).close()  # migrated: it starts
