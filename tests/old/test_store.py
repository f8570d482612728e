from __future__ import annotations

import sqlite3

import pytest

from bot.events import Rejected, normalize
from bot.store import MIGRATIONS, Store
from tests.conftest import all_record_files, load


def alerts(assessor, names):
    return [assessor(normalize(load(n))) for n in names]


def test_events_are_stored_once(tmp_path, assessor):
    store = Store(tmp_path / "iambot.db")
    batch = alerts(assessor, [p.name for p in all_record_files() if "iam" in load(p.name)["eventSource"]])
    first = store.add_alerts(batch)
    again = store.add_alerts(batch)
    # Panther's fixtures reuse (eventID, name, time) for variants of one test: that is one event
    # as CloudTrail would deliver it (S3, EventBridge and LookupEvents copies differ slightly).
    distinct = {a.event.key for a in batch}
    assert len(distinct) == len(batch) - 7
    assert len(first) == len(distinct) and again == []
    assert store.count("events") == len(distinct)


def test_reused_event_id_with_other_name_or_time_is_not_lost(tmp_path, assessor):
    store = Store(tmp_path / "iambot.db")
    # both fixtures have eventID "1": a denied GetRole and a CreateUser
    stored = store.add_alerts(
        alerts(assessor, ["GetRole__panther__1.json", "CreateServiceLinkedRole__panther__1.json"])
    )
    assert len(stored) == 2


def test_same_event_id_different_files_is_one_event(tmp_path, assessor):
    store = Store(tmp_path / "iambot.db")
    a = alerts(assessor, ["CreateUser__stratus__1.json"])
    assert len(store.add_alerts(a)) == 1
    reread = alerts(assessor, ["CreateUser__stratus__1.json"])
    assert store.add_alerts(reread) == []


def test_record_without_event_id_is_deduplicated_by_hash(tmp_path, assessor):
    record = load("CreateUser__panther__1.json")
    del record["eventID"]
    store = Store(tmp_path / "iambot.db")
    assert len(store.add_alerts([assessor(normalize(record))])) == 1
    assert store.add_alerts([assessor(normalize(dict(record)))]) == []


def test_stored_event_round_trips(tmp_path, assessor):
    store = Store(tmp_path / "iambot.db")
    [alert] = alerts(assessor, ["UpdateAccessKey__authored__1.json"])
    store.add_alerts([alert])
    row = store.event(alert.event.event_id)
    assert row["severity"] == "critical"
    assert row["target"]["user"] == "legacy-etl"
    assert row["raw"] == alert.event.raw
    assert row["event_time"] == "2026-11-20T10:02:11Z"
    assert store.recent_events(1)[0]["id"] == alert.event.event_id


def test_rejected_input_is_kept_with_reason(tmp_path):
    store = Store(tmp_path / "iambot.db")
    store.add_rejected([Rejected("a.json:3", "not valid JSON: x", "{")], source="triage")
    [row] = store.db["rejected"].rows
    assert row["where_"] == "a.json:3" and row["reason"] == "not valid JSON: x"


def test_schema_version_wal_and_reopen(tmp_path):
    path = tmp_path / "iambot.db"
    store = Store(path)
    assert store.version == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    assert Store(path).version == len(MIGRATIONS)  # migrations do not run twice


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "iambot.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="upgrade iambot"):
        Store(path)
