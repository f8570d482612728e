"""The smaller aggregates: the append-only audit log, suppressions, source cursors and files
already read, and snapshots of state a remediation can put back."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from bot.store import Store, Suppression

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


# ------------------------------------------------------------------------------------ audit


def test_audit_add_and_recent(store):
    store.audit.add("request", "UREQUEST1", request_id="RAAAAAA", event_key="k1", remediation_id="delete-access-key",
                    params={"user_name": "bob"}, at=T0)
    store.audit.add("approve", "UAPPROVE1", request_id="RAAAAAA", result="refused", detail="d" * 3000,
                    at=T0 + timedelta(minutes=1))
    store.audit.add("dismiss", "UAPPROVE1", event_key="k2", at=T0 + timedelta(minutes=2))
    recent = store.audit.recent(10)
    assert [r["action"] for r in recent] == ["dismiss", "approve", "request"]  # newest first
    request = recent[2]
    assert (request["user_id"], request["request_id"], request["event_key"], request["remediation_id"]) == (
        "UREQUEST1", "RAAAAAA", "k1", "delete-access-key")
    assert request["params"] == '{"user_name":"bob"}' and request["result"] == "ok" and request["detail"] == ""
    assert request["at"] == "2026-11-20T12:00:00Z"
    assert recent[1]["result"] == "refused" and len(recent[1]["detail"]) == 2000
    assert recent[0]["params"] is None
    assert [r["action"] for r in store.audit.recent(10, request_id="RAAAAAA")] == ["approve", "request"]
    assert len(store.audit.recent(1)) == 1


# what each backend raises for a statement the schema refuses
REFUSED = (sqlite3.IntegrityError, psycopg.errors.IntegrityError)


def test_audit_is_append_only(store):
    store.audit.add("request", "UREQUEST1", request_id="RAAAAAA", at=T0)
    with pytest.raises(REFUSED, match="the audit log is append-only"):
        store.db.execute("UPDATE audit SET user_id = 'UMALLORY'")
    with pytest.raises(REFUSED, match="the audit log is append-only"):
        store.db.execute("DELETE FROM audit")
    with pytest.raises(REFUSED, match="the audit log is append-only"), store.unit():
        store.audit.add("approve", "UAPPROVE1", at=T0)
        store.db.execute("DELETE FROM audit WHERE action = 'request'")
    [row] = store.audit.recent(10)  # the unit rolled back whole; the first row is untouched
    assert (row["action"], row["user_id"]) == ("request", "UREQUEST1")


def test_audit_last_by(store):
    store.audit.add("dismiss", "U1", event_key="k1", at=T0)
    store.audit.add("dismiss", "U2", event_key="k1", at=T0 + timedelta(minutes=1))
    store.audit.add("dismiss", "U3", event_key="k1", result="refused", at=T0 + timedelta(minutes=2))
    assert store.audit.last_by("dismiss", "k1") == "U2"  # refusals do not count
    assert store.audit.last_by("dismiss", "k2") is None
    assert store.audit.last_by("approve", "k1") is None


def test_audit_ids_keep_order_within_one_second(store):
    for i in range(20):
        store.audit.add(f"a{i}", "U1", at=T0)
    assert [r["action"] for r in store.audit.recent(20)] == [f"a{i}" for i in reversed(range(20))]


# ------------------------------------------------------------------------------ suppressions


def test_suppressions(store):
    sid = store.suppressions.add({"event": "CreateUser", "actor": "ci", "target": "", "account": "111122223333"},
                                 "onboarding", "UAPPROVE1", T0, T0 + timedelta(days=7))
    assert sid.startswith("M") and len(sid) == 7
    other = store.suppressions.add({"actor": "bot"}, "", "UAPPROVE1", T0 + timedelta(minutes=1), T0 + timedelta(days=1))
    assert store.suppressions.active(T0) == [
        Suppression(sid, "CreateUser", "ci", None, "111122223333", "onboarding", "UAPPROVE1",
                    "2026-11-20T12:00:00Z", "2026-11-27T12:00:00Z", 0),
        Suppression(other, None, "bot", None, None, "", "UAPPROVE1", "2026-11-20T12:01:00Z", "2026-11-21T12:00:00Z", 0),
    ]
    assert [s.id for s in store.suppressions.active(T0 + timedelta(days=2))] == [sid]  # the other expired


def test_lifting_a_suppression_once(store):
    sid = store.suppressions.add({"event": "CreateUser"}, "r", "U1", T0, T0 + timedelta(days=1))
    assert store.suppressions.lift(sid.lower(), "U2")
    assert not store.suppressions.lift(sid, "U3")
    assert store.suppressions.active(T0) == []
    assert store.db.one("SELECT lifted_by FROM suppressions")["lifted_by"] == "U2"
    assert not store.suppressions.lift("MNOSUCH", "U2")


def test_suppression_hits(store):
    sid = store.suppressions.add({"event": "CreateUser"}, "noise", "U1", T0, T0 + timedelta(days=1))
    quiet = store.suppressions.add({"event": "TagUser"}, "", "U1", T0, T0 + timedelta(days=1))
    store.suppressions.hit(sid)
    store.suppressions.hit(sid)
    assert store.suppressions.active(T0)[0].hits == 2
    hit = store.suppressions.hit_between(T0, T0 + timedelta(hours=1))
    assert hit == [{"id": sid, "event_name": "CreateUser", "actor": None, "target": None, "account_id": None,
                    "hits": 2, "reason": "noise"}]
    assert quiet not in {h["id"] for h in hit}
    assert store.suppressions.hit_between(T0 + timedelta(days=2), T0 + timedelta(days=3)) == []  # expired before
    assert store.suppressions.hit_between(T0 - timedelta(days=1), T0) == []  # made after


# ---------------------------------------------------------------------------------- cursors


def test_cursors(store):
    name = "lookup:us-east-1:EventSource:iam.amazonaws.com"
    assert store.cursors.get(name) is None
    store.cursors.set(name, "2026-11-20T10:00:00Z", at=T0)
    store.cursors.set(name, "2026-11-20T11:00:00Z", at=T0 + timedelta(minutes=1))
    assert store.cursors.get(name) == "2026-11-20T11:00:00Z"
    assert store.db.one("SELECT updated_at FROM cursors")["updated_at"] == "2026-11-20T12:01:00Z"


def test_objects_already_read(store):
    uri = "s3://trail/AWSLogs/1/CloudTrail/us-east-1/2026/11/20/x.json.gz"
    assert not store.cursors.seen(uri, "etag1")
    store.cursors.mark(uri, "etag1", 12, at=T0)
    assert store.cursors.seen(uri, "etag1")
    assert not store.cursors.seen(uri, "etag2")  # the object changed: read it again
    store.cursors.mark(uri, "etag2", 3, at=T0)
    assert store.cursors.seen(uri, "etag2") and not store.cursors.seen(uri, "etag1")
    assert store.db.one("SELECT events FROM ingested_objects")["events"] == 3


# -------------------------------------------------------------------------------- snapshots


def test_snapshots_keep_changes_only(store):
    arn = "arn:aws:iam::111122223333:oidc-provider/token.example.com"
    assert store.snapshots.latest("oidc-thumbprints", arn) is None
    assert store.snapshots.record("oidc-thumbprints", arn, ["a" * 40], "111122223333", at=T0)
    assert not store.snapshots.record("oidc-thumbprints", arn, ["a" * 40], at=T0 + timedelta(hours=1))  # unchanged
    assert store.snapshots.record("oidc-thumbprints", arn, ["b" * 40], at=T0 + timedelta(hours=2))
    assert store.snapshots.latest("oidc-thumbprints", arn) == ["b" * 40]
    assert store.snapshots.before("oidc-thumbprints", arn, T0 + timedelta(hours=2)) == ["a" * 40]  # strictly before
    assert store.snapshots.before("oidc-thumbprints", arn, T0) is None
    assert store.snapshots.latest("inline-policy", arn) is None  # kinds are apart
    rows = store.db.query("SELECT id, account_id FROM snapshots ORDER BY taken_at")
    assert rows[0]["account_id"] == "111122223333" and all(r["id"].startswith("S") for r in rows)


def test_snapshot_values_are_json(store):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    store.snapshots.record("inline-policy", "user/bob/p1", doc, at=T0)
    assert store.snapshots.latest("inline-policy", "user/bob/p1") == doc
