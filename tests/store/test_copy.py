"""bot/store/copy.py: an SQLite history, made by the real pipeline, copied into an empty
PostgreSQL database: every row of every table, the audit log in its order, all or nothing."""

from __future__ import annotations

import psycopg
import pytest

from bot.events import normalize
from bot.store import Store, StoreError
from bot.store.copy import copy
from tests.conftest import APPROVER, REQUESTER
from tests.support.records import access_key_event, as_account, key_status, load

AWKWARD = "nul \x00, emoji 🔑, quote ' and percent %s %%"


@pytest.fixture
def history(runtime, aws):
    """iambot's SQLite database after a day's work: events, alerts and their messages, a request
    approved and executed, a suppression, cursors, and audit lines with awkward text."""
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    workflow = runtime.workflow
    workflow.intake.take([event])
    for name in ("UpdateLoginProfile__authored__1.json", "UploadSigningCertificate__authored__1.json"):
        workflow.intake.take([normalize(as_account(load(name)))])
    request = workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    assert workflow.remediations.approve(request.id, APPROVER).status == "succeeded"
    assert key_status(iam, key) == "Inactive"
    for i in range(7):
        runtime.store.audit.add("note", APPROVER, detail=f"{AWKWARD} {i}")
    runtime.store.cursors.set("lookup:us-east-1", "2026-12-06T10:00:00Z")
    runtime.store.request_id = request.id
    return runtime.store


def rows(db, table):
    """A table's rows, comparable across backends: PostgreSQL's text cannot hold NUL, which the
    backend writes as its JSON escape (bot/store/postgres.py), so SQLite's are read that way."""

    def value(v):
        return v.replace("\x00", "\\u0000") if isinstance(v, str) else v

    return sorted(
        (tuple(sorted((k, value(v)) for k, v in r.items())) for r in db.query(f"SELECT * FROM {table}")), key=repr
    )


def test_every_row_of_every_table_arrives_and_the_audit_keeps_its_order(history, postgres_url):
    target = Store(postgres_url)
    copied = {c.table: c.rows for c in copy(history.db, target.db, batch=3)}  # batches of 3: many pages
    assert copied.keys() == history.db.tables().keys()
    assert copied["events"] == history.events.count() >= 3
    assert copied["audit"] >= 10 and copied["requests"] == 1 and copied["approvals"] == 1
    for table in copied:
        assert rows(target.db, table) == rows(history.db, table), table
    order = [(r["id"], r["action"]) for r in history.audit.recent(50)]
    assert [(r["id"], r["action"]) for r in target.audit.recent(50)] == order
    assert any(AWKWARD.replace("\x00", "\\u0000") in (r["detail"] or "") for r in target.audit.recent(50))
    assert target.requests.get(history.request_id) == history.requests.get(history.request_id)
    assert target.requests.get(history.request_id).status == "succeeded"
    assert target.cursors.get("lookup:us-east-1") == "2026-12-06T10:00:00Z"
    target.close()


def test_a_target_with_data_is_refused_and_left_as_it_was(history, postgres_url):
    target = Store(postgres_url)
    copy(history.db, target.db)
    before = target.events.count()
    with pytest.raises(StoreError, match=r"already holds data .*events.*: db copy writes only into an empty database"):
        copy(history.db, target.db)
    assert target.events.count() == before
    target.close()


def test_a_copy_that_fails_part_way_leaves_the_target_empty(history, postgres_url, monkeypatch):
    target = Store(postgres_url)
    real, calls = target.db.insert_many, []

    def failing(table, columns, batch):
        calls.append(table)
        if table == "audit":
            raise StoreError("the connection was lost")
        real(table, columns, batch)

    monkeypatch.setattr(target.db, "insert_many", failing)
    with pytest.raises(StoreError, match="connection was lost"):
        copy(history.db, target.db)
    assert "events" in calls  # rows had gone across before the failure
    monkeypatch.undo()
    assert {t: target.db.one(f"SELECT COUNT(*) AS n FROM {t}")["n"] for t in target.db.tables()} == dict.fromkeys(
        target.db.tables(), 0
    )
    copy(history.db, target.db)  # and the copy can be run again
    assert target.events.count() == history.events.count()
    target.close()


def test_the_audit_log_stays_append_only_after_the_copy(history, postgres_url):
    target = Store(postgres_url)
    copy(history.db, target.db)
    with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
        target.db.execute("UPDATE audit SET detail = 'rewritten'")
    target.close()


def test_a_copy_into_sqlite_works_the_same(history, tmp_path):
    target = Store(tmp_path / "copy.db")
    copied = copy(history.db, target.db, batch=2)
    assert all(rows(target.db, c.table) == rows(history.db, c.table) for c in copied)
    target.close()


def test_only_sqlite_is_read_and_never_into_itself(history, postgres_url):
    target = Store(postgres_url)
    with pytest.raises(StoreError, match="reads an SQLite database"):
        copy(target.db, history.db)
    with pytest.raises(StoreError, match="the same database"):
        copy(history.db, history.db)
    target.close()
