"""The SQLite database: opening, WAL, schema version, units of work, locks, health, closing."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.store import (
    SqliteDatabase,
    Store,
    StoreBusy,
    StoreError,
    dumps,
    iso,
    loads,
    new_id,
    parse_iso,
    short_id,
)
from bot.store.db import sequence
from bot.store.migrations import MIGRATIONS
from tests.support.store import add_event, alert_of


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "iambot.db")
    yield s
    s.close()


def count(store, table):
    return store.db.one(f"SELECT COUNT(*) AS n FROM {table}")["n"]


def test_schema_version_wal_and_reopen(tmp_path):
    path = tmp_path / "iambot.db"
    store = Store(path)
    assert store.db.version == len(MIGRATIONS) == 10
    assert store.db.one("PRAGMA journal_mode")["journal_mode"] == "wal"
    assert store.db.one("PRAGMA foreign_keys")["foreign_keys"] == 1
    add_event(store, alert_of("CreateUser__stratus__1.json"))
    store.close()
    again = Store(path)
    assert again.db.version == len(MIGRATIONS)  # migrations do not run twice
    assert count(again, "events") == 1
    again.close()


def test_migrations_run_once_each(tmp_path):
    ran = []
    steps = [lambda db, i=i: ran.append(i) for i in range(3)]
    db = SqliteDatabase(tmp_path / "x.db", migrations=steps)
    assert ran == [0, 1, 2] and db.version == 3
    db.close()
    db = SqliteDatabase(tmp_path / "x.db", migrations=[*steps, lambda _db: ran.append(3)])
    assert ran == [0, 1, 2, 3] and db.version == 4
    db.close()


def test_a_failing_migration_leaves_the_version_where_it_was(tmp_path):
    def broken(db):
        db.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("boom")

    with pytest.raises(StoreError, match="boom"):
        SqliteDatabase(tmp_path / "x.db", migrations=[lambda db: db.execute("CREATE TABLE one (x)"), broken])
    conn = sqlite3.connect(tmp_path / "x.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchone() is None
    conn.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "iambot.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    newer = f"schema version {len(MIGRATIONS) + 1}, newer than this iambot .*upgrade iambot"
    with pytest.raises(StoreError, match=newer):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    path = tmp_path / "iambot.db"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError, match=r"iambot.db: not an iambot database \(not SQLite, or corrupt\)"):
        Store(path)


def test_a_folder_that_cannot_be_made_is_named(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match=r"file/sub/iambot.db: cannot create its folder \(Not a directory\)"):
        Store(tmp_path / "file" / "sub" / "iambot.db")


def test_the_folder_is_created(tmp_path):
    store = Store(tmp_path / "a" / "b" / "iambot.db")
    assert (tmp_path / "a" / "b" / "iambot.db").exists()
    store.close()


def test_unit_commits_together(store):
    alert = alert_of("CreateUser__stratus__1.json")
    with store.unit() as unit:
        assert unit is store
        add_event(store, alert)
        store.alerts.add(alert.event.key, disposition="posted", severity="low", group_key="g",
                         event_time=alert.event.event_time, actor=None)
        store.outbox.put(f"alert:{alert.event.key}", "alert", alert.event.key, "C0ALERTS")
        assert store.db.in_transaction
    assert not store.db.in_transaction
    assert (count(store, "events"), count(store, "alerts"), count(store, "messages")) == (1, 1, 1)


def test_unit_rolls_back_together(store):
    alert = alert_of("CreateUser__stratus__1.json")
    with pytest.raises(RuntimeError, match="halfway"), store.unit():
        add_event(store, alert)
        store.outbox.put(f"alert:{alert.event.key}", "alert", alert.event.key, "C0ALERTS")
        store.audit.add("request", "U1")
        raise RuntimeError("halfway")
    assert (count(store, "events"), count(store, "messages"), count(store, "audit")) == (0, 0, 0)
    assert not store.db.in_transaction
    add_event(store, alert)  # the store is usable afterwards
    assert count(store, "events") == 1


def test_nested_units_join_the_outer_one(store):
    alert = alert_of("CreateUser__stratus__1.json")
    with pytest.raises(ValueError), store.unit():
        with store.unit():
            add_event(store, alert)
        assert count(store, "events") == 1  # visible inside, not committed yet
        raise ValueError
    assert count(store, "events") == 0


def test_a_failed_statement_inside_a_unit_rolls_everything_back(store):
    alert = alert_of("CreateUser__stratus__1.json")
    with pytest.raises(sqlite3.IntegrityError), store.unit():
        add_event(store, alert)
        store.alerts.add("no-such-event", disposition="posted", severity="low", group_key="g",
                         event_time=alert.event.event_time, actor=None)  # the alert must reference an event
    assert count(store, "events") == 0 and count(store, "alerts") == 0


def test_a_writer_gives_up_with_store_busy_and_readers_go_on(tmp_path):
    path = tmp_path / "iambot.db"
    store = Store(path, busy_seconds=0.05)
    add_event(store, alert_of("CreateUser__stratus__1.json"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StoreBusy, match="locked by another process"):
            store.audit.add("request", "U1")
        with pytest.raises(StoreBusy), store.unit():
            pass
        assert store.events.count() == 1  # WAL: reads go on
        assert store.healthy() == (True, "ok")
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.audit.add("request", "U1")
    assert count(store, "audit") == 1
    store.close()


def test_store_busy_is_a_store_error():
    assert issubclass(StoreBusy, StoreError)


def test_health(tmp_path):
    path = tmp_path / "iambot.db"
    store = Store(path)
    assert store.healthy() == (True, "ok")
    path.unlink()
    for extra in ("-wal", "-shm"):
        (tmp_path / f"iambot.db{extra}").unlink(missing_ok=True)
    ok, detail = store.healthy()
    assert not ok and detail == "cannot open it (check the path and its folder's permissions)"
    store.close()


def test_memory_store_is_shared_across_threads():
    store = Store()
    assert store.path == ":memory:"
    add_event(store, alert_of("CreateUser__stratus__1.json"))
    seen = []
    thread = threading.Thread(target=lambda: seen.append(store.events.count()))
    thread.start()
    thread.join()
    assert seen == [1]
    assert store.healthy() == (True, "ok")
    store.close()


def test_each_thread_has_its_own_connection(store):
    mine = store.db.conn
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(store.db.conn))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    assert store.db.conn is mine


def test_a_closed_store_says_so(tmp_path):
    store = Store(tmp_path / "iambot.db")
    store.close()
    with pytest.raises(StoreError, match="the store is closed"):
        store.events.count()
    memory = Store()
    memory.close()
    with pytest.raises(StoreError, match="the store is closed"):
        memory.audit.recent()


def test_text_that_is_not_valid_utf8_is_stored_escaped(store):
    store.db.execute("INSERT INTO cursors (name, value, updated_at) VALUES (?,?,?)", ("c", "bad \udc80 byte", "now"))
    assert store.cursors.get("c") == "bad \\udc80 byte"
    assert store.db.query("SELECT value FROM cursors WHERE name = ?", ("c",)) == [{"value": "bad \\udc80 byte"}]


def test_other_sql_errors_are_not_hidden(store):
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        store.db.query("SELECT * FROM nowhere")
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        store.db.execute("DELETE FROM nowhere")


def test_one_and_query(store):
    assert store.db.one("SELECT 1 AS x WHERE 0") is None
    assert store.db.one("SELECT 1 AS x, 'y' AS y") == {"x": 1, "y": "y"}
    assert store.db.query("SELECT value AS v FROM json_each('[1,2]')") == [{"v": 1}, {"v": 2}]
    assert store.db.execute("UPDATE cursors SET value = 'x'") == 0


def test_times():
    at = datetime(2026, 11, 20, 10, 2, 11, 999, tzinfo=UTC)
    assert iso(at) == "2026-11-20T10:02:11Z"
    assert iso(at.astimezone(timezone(timedelta(hours=2)))) == "2026-11-20T10:02:11Z"
    assert parse_iso("2026-11-20T10:02:11Z") == at.replace(microsecond=0)


def test_json_columns():
    value = {"a": [1, "b"], 2: datetime(2026, 1, 1, tzinfo=UTC)}
    assert dumps(value) == '{"a":[1,"b"],"2":"2026-01-01T00:00:00+00:00"}'
    assert loads(None, {}) == {} and loads("", []) == [] and loads('{"a":1}') == {"a": 1}
    with pytest.raises(ValueError, match="cannot be stored as JSON"):
        dumps({"big": 2**70})


def test_ids():
    first, second = new_id("S"), new_id("S")
    assert first.startswith("S") and first != second
    rid = short_id("R")
    assert len(rid) == 7 and rid[0] == "R"
    assert not set(rid[1:]) & set("01OI")
    assert len(short_id("M", 10)) == 11
    assert sequence() < sequence() + 1024  # time-ordered, with room for 1024 per microsecond


def test_sequence_ids_never_repeat_in_a_process_even_when_the_clock_stands_still():
    import time_machine

    with time_machine.travel(datetime(2026, 12, 7, tzinfo=UTC), tick=False):
        made: list[int] = []

        def many() -> None:
            made.extend(sequence() for _ in range(2000))

        threads = [threading.Thread(target=many) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(set(made)) == len(made) == 8000  # with 10 random bits alone, thousands would collide
    assert sequence() > max(made)  # and still increasing once the clock moves on
