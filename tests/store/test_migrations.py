"""The schema's migrations: a database made by the old schema (version 3) is brought forward by
the fourth migration, its rows readable through today's repositories."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import SqliteDatabase as Database
from bot.store import Store
from bot.store.migrations import MIGRATIONS
from remediations.base import Knowledge
from remediations.restore_oidc_thumbprints import SNAPSHOT, RestoreOidcThumbprints
from tests.support.records import load

OIDC = "arn:aws:iam::111122223333:oidc-provider/token.actions.example.com"
OLD_PRINTS = ["1" * 40, "a" * 40]
NEW_PRINTS = ["b" * 40]
AT = "2026-11-20T10:00:00Z"


def insert(db, table, **row):
    names = ", ".join(row)
    db.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))


@pytest.fixture
def version3(tmp_path):
    """A database built by the first three migrations, holding rows the old iambot wrote."""
    path = tmp_path / "iambot.db"
    db = Database(path, migrations=MIGRATIONS[:3])
    assert db.version == 3
    raw = load("UpdateAccessKey__authored__1.json")
    with db.transaction():
        insert(db, "events", key="e1|UpdateAccessKey|1795168931", id="e1", event_name="UpdateAccessKey",
               event_time="2026-11-20T10:02:11Z", account_id="111122223333", actor_type="AssumedRole",
               actor_arn=raw["userIdentity"]["arn"], actor_name="erin@example.com",
               target='{"user": "legacy-etl"}', source_ip="198.51.100.7", severity="critical",
               summary="erin@example.com re-activated access key AKIA…Y001 of user legacy-etl", is_self=0,
               origin="s3://trail/x.json.gz", ingested_at=AT, raw=json.dumps(raw))
        insert(db, "alerts", key="e1|UpdateAccessKey|1795168931", status="open", lines="[]", severity="critical",
               created_at=AT, updated_at=AT, disposition="posted", group_key="g", event_time="2026-11-20T10:02:11Z")
        # the outbox: never posted; posted and current; posted with an update due
        insert(db, "messages", id="alert:new", kind="alert", ref="k1", channel="C0ALERTS", payload='{"text": "a"}',
               version=1, sent_version=0, created_at="2026-11-20T10:01:00Z")
        insert(db, "messages", id="alert:sent", kind="alert", ref="k2", channel="C0ALERTS", payload='{"text": "b"}',
               version=2, sent_version=2, ts="1.000", created_at="2026-11-20T10:02:00Z", sent_at=AT)
        insert(db, "messages", id="alert:stale", kind="alert", ref="k3", channel="C0ALERTS", payload='{"text": "c"}',
               version=3, sent_version=2, ts="2.000", created_at="2026-11-20T10:03:00Z", sent_at=AT)
        insert(db, "requests", id="RABCDEF", remediation_id="deactivate-access-key",
               params='{"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLELEGACY001"}',
               event_key="e1|UpdateAccessKey|1795168931", account_id="111122223333", status="requested",
               requested_by="UREQUEST1", requested_at=AT, expires_at="2026-11-21T10:00:00Z", approvals_needed=1,
               plan='["Would set access key AKIA…Y001 of user legacy-etl to Inactive"]', expected="{}")
        insert(db, "approvals", request_id="RABCDEF", user_id="UAPPROVE1", at=AT)
        insert(db, "audit", id=1, at=AT, user_id="UREQUEST1", action="request", request_id="RABCDEF", result="ok",
               detail="")
        insert(db, "oidc_snapshots", id=7, account_id="111122223333", provider_arn=OIDC,
               thumbprints=json.dumps(OLD_PRINTS), taken_at="2026-11-20T09:00:00Z")
        insert(db, "oidc_snapshots", id=8, account_id="111122223333", provider_arn=OIDC,
               thumbprints=json.dumps(NEW_PRINTS), taken_at="2026-11-20T11:00:00Z")
        insert(db, "rejected", id=1, at=AT, source="triage", where_="a.json:3", reason="not valid JSON: x",
               excerpt="{")
        insert(db, "cursors", name="lookup:us-east-1:EventSource:iam.amazonaws.com", value=AT, updated_at=AT)
        insert(db, "suppressions", id="MABCDEF", event_name="CreateUser", reason="onboarding", created_by="U1",
               created_at=AT, expires_at="2026-12-20T10:00:00Z")
    db.close()
    return path


@pytest.fixture
def migrated(version3):
    store = Store(version3)
    yield store
    store.close()


def columns(store, table):
    return {r["name"] for r in store.db.query(f"PRAGMA table_info({table})")}


def test_the_fourth_migration_runs_on_a_version_3_database(migrated):
    assert migrated.db.version == 10 == len(MIGRATIONS)
    assert {"event_source", "source_net"} <= columns(migrated, "events")
    assert {"data", "due", "due_since"} <= columns(migrated, "messages")
    assert "actor" in columns(migrated, "alerts") and "actor" in columns(migrated, "requests")
    assert "body" in columns(migrated, "rejected")
    indexes = {r["name"] for r in migrated.db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"idx_messages_due_next_at", "idx_snapshots_kind_key_taken_at", "idx_events_ingested_at"} <= indexes


def test_old_events_are_iam_events(migrated):
    event = migrated.events.get("e1")
    assert event.event_source == "iam.amazonaws.com"
    assert event.key == "e1|UpdateAccessKey|1795168931"
    assert event.target == {"user": "legacy-etl"} and event.raw["eventName"] == "UpdateAccessKey"
    assert event.origin == "s3://trail/x.json.gz"
    assert migrated.db.one("SELECT source_net FROM events")["source_net"] is None
    assert migrated.events.count() == 1


def test_outbox_rows_come_forward_due_or_not(migrated):
    new, sent, stale = (migrated.outbox.get(i) for i in ("alert:new", "alert:sent", "alert:stale"))
    assert new.ts is None and new.payload == {"text": "a"} and new.data is None
    rows = {r["id"]: r for r in migrated.db.query("SELECT id, due, due_since FROM messages")}
    assert rows["alert:new"] == {"id": "alert:new", "due": 1, "due_since": "2026-11-20T10:01:00Z"}
    assert rows["alert:sent"] == {"id": "alert:sent", "due": 0, "due_since": None}
    assert rows["alert:stale"] == {"id": "alert:stale", "due": 1, "due_since": "2026-11-20T10:03:00Z"}
    assert (sent.version, sent.sent_version, sent.ts) == (2, 2, "1.000")
    assert stale.version > stale.sent_version
    later = datetime(2026, 11, 20, 10, 13, tzinfo=UTC)
    assert [m.id for m in migrated.outbox.due(later)] == ["alert:new", "alert:stale"]
    assert migrated.outbox.backlog(later) == (2, 12 * 60.0)


def test_oidc_snapshots_become_snapshots(migrated):
    rows = migrated.db.query("SELECT id, kind, account_id, key FROM snapshots ORDER BY id")
    assert rows == [
        {"id": "oidc-7", "kind": SNAPSHOT, "account_id": "111122223333", "key": OIDC},
        {"id": "oidc-8", "kind": SNAPSHOT, "account_id": "111122223333", "key": OIDC},
    ]
    assert migrated.snapshots.latest(SNAPSHOT, OIDC) == NEW_PRINTS
    change = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)
    assert migrated.snapshots.before(SNAPSHOT, OIDC, change) == OLD_PRINTS
    # and the remediation that reads them finds the list from before a change
    knowledge = Knowledge(migrated.snapshots, event_time=change, account_id="111122223333")
    assert RestoreOidcThumbprints.prepare({"provider_arn": OIDC}, knowledge)["thumbprints"] == OLD_PRINTS


def test_old_alerts_requests_and_records_read_as_today(migrated):
    alert = migrated.alerts.get("e1|UpdateAccessKey|1795168931")
    assert alert.actor is None and alert.disposition == "posted" and alert.status == "open"
    request = migrated.requests.get("rabcdef")
    assert request.actor is None and request.approvals == ("UAPPROVE1",) and request.pending
    assert request.plan == ["Would set access key AKIA…Y001 of user legacy-etl to Inactive"]
    assert migrated.audit.recent(5)[0]["action"] == "request"
    [rejected] = migrated.rejected.recent()
    assert rejected["where_"] == "a.json:3" and rejected["body"] is None
    assert migrated.cursors.get("lookup:us-east-1:EventSource:iam.amazonaws.com") == AT
    assert [s.id for s in migrated.suppressions.active(datetime(2026, 11, 21, tzinfo=UTC))] == ["MABCDEF"]


def test_the_migrated_database_takes_new_rows(migrated):
    at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert migrated.outbox.put("alert:newer", "alert", "k4", "C0ALERTS", data={"x": 1}, at=at)
    assert migrated.outbox.get("alert:newer").data == {"x": 1}
    assert migrated.snapshots.record(SNAPSHOT, OIDC, ["c" * 40], at=at)
    assert migrated.snapshots.before(SNAPSHOT, OIDC, at + timedelta(seconds=1)) == ["c" * 40]


def test_the_audit_log_stays_append_only_after_migration(migrated):
    with pytest.raises(sqlite3.IntegrityError, match="the audit log is append-only"):
        migrated.db.execute("DELETE FROM audit")


def test_a_fresh_database_gets_every_table(tmp_path):
    store = Store(tmp_path / "fresh.db")
    tables = {r["name"] for r in store.db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables >= {"events", "rejected", "alerts", "messages", "requests", "approvals", "audit",
                      "oidc_snapshots", "cursors", "ingested_objects", "suppressions", "snapshots"}
    store.close()
