"""Remediation requests and their approvals: every transition a compare-and-set."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from bot.store import Request, Store
from bot.store.requests import (
    APPROVED,
    CANCELLED,
    DENIED,
    DRIFTED,
    EXPIRED,
    FAILED,
    FINAL,
    PENDING,
    REQUESTED,
    RUNNING,
    SUCCEEDED,
    RequestStatus,
)
from tests.support.store import add_alert, alert_of

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PARAMS = {"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLELEGACY001"}


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def asked(**extra):
    values = dict(
        remediation_id="deactivate-access-key",
        params=PARAMS,
        event_key=None,
        account_id="111122223333",
        actor=None,
        requested_by="UREQUEST1",
        requested_at=T0,
        expires_at=T0 + timedelta(hours=24),
        approvals_needed=1,
        plan=["Would set access key AKIA…Y001 of user legacy-etl to Inactive"],
        expected={"status": "Active"},
    )
    return {**values, **extra}


def ask(store, rid="RAAAAAA", at=T0, params=PARAMS, event_key=None, account="111122223333", **extra):
    values = dict(
        remediation_id="deactivate-access-key",
        params=params,
        event_key=event_key,
        account_id=account,
        actor="arn:aws:sts::111122223333:assumed-role/Admin/erin@example.com",
        requested_by="UREQUEST1",
        requested_at=at,
        expires_at=at + timedelta(hours=24),
        approvals_needed=1,
        plan=["Would set access key AKIA…Y001 of user legacy-etl to Inactive"],
        expected={"status": "Active"},
    )
    values.update(extra)
    store.requests.add(rid, **values)
    return rid


def test_statuses():
    assert PENDING == (REQUESTED, APPROVED, RUNNING)
    assert set(FINAL) == {SUCCEEDED, FAILED, DRIFTED, DENIED, CANCELLED, EXPIRED}
    assert not set(PENDING) & set(FINAL)
    assert set(PENDING) | set(FINAL) == set(RequestStatus)  # every state is pending or final


def test_a_status_is_stored_as_the_text_it_always_was(store):
    # a StrEnum: rows written before the enum, and by it, hold the same words; no migration
    assert [str(s) for s in RequestStatus] == [
        "requested", "approved", "running", "succeeded", "failed", "drifted", "denied", "cancelled", "expired"
    ]  # fmt: skip
    ask(store)
    assert store.requests.move("RAAAAAA", RequestStatus.REQUESTED, RequestStatus.DENIED, at=T0, decided_by="U0APPROVE")
    assert store.db.one("SELECT status FROM requests WHERE id = 'RAAAAAA'")["status"] == "denied"
    assert store.requests.get("RAAAAAA").status == RequestStatus.DENIED == "denied"


def test_add_and_get(store):
    ask(store, event_key="k1")
    request = store.requests.get(" raaaaaa ")  # typed by a person: case and spaces do not matter
    assert request == Request(
        id="RAAAAAA",
        remediation_id="deactivate-access-key",
        params=PARAMS,
        event_key="k1",
        account_id="111122223333",
        status="requested",
        requested_by="UREQUEST1",
        requested_at="2026-11-20T12:00:00Z",
        expires_at="2026-11-21T12:00:00Z",
        approvals_needed=1,
        plan=["Would set access key AKIA…Y001 of user legacy-etl to Inactive"],
        expected={"status": "Active"},
        approvals=(),
        actor="arn:aws:sts::111122223333:assumed-role/Admin/erin@example.com",
    )
    assert request.pending and not request.final
    assert store.requests.exists("RAAAAAA") and not store.requests.exists("RBBBBBB")
    assert store.requests.get("RBBBBBB") is None


IMPACT = ["Key last used: 2026-11-18 09:12 UTC (2 days ago), s3 in eu-west-1", "Groups (1): data"]


def test_the_blast_radius_is_kept_with_the_request(store):
    ask(store, impact=IMPACT)
    assert store.requests.get("RAAAAAA").impact == tuple(IMPACT)
    ask(store, "RBBBBBB", params={"user_name": "bob"})  # a plan without one
    assert store.requests.get("RBBBBBB").impact == ()


def test_a_request_recorded_before_the_blast_radius_existed_has_none(store):
    ask(store)
    store.db.execute("UPDATE requests SET impact = NULL WHERE id = ?", ("RAAAAAA",))  # as migration 7 leaves it
    assert store.requests.get("RAAAAAA").impact == ()


def test_the_same_id_twice_is_refused(store):
    ask(store)
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.IntegrityError)):
        ask(store, params={"user_name": "someone-else", "access_key_id": "AKIAEXAMPLEOTHER0001"})


def test_one_open_request_per_remediation_parameters_and_account(store):
    assert store.requests.add("RAAAAAA", **asked())
    assert not store.requests.add("RBBBBBB", **asked())  # the unique index decides, not a check before
    assert store.requests.get("RBBBBBB") is None
    assert store.requests.add("RCCCCCC", **asked(account_id="444455556666"))  # another account
    assert store.requests.move("RAAAAAA", REQUESTED, DENIED, at=T0, decided_by="UAPPROVE1")
    assert store.requests.add("RDDDDDD", **asked())  # once it is final, the same may be asked again


def test_approvals_are_counted_one_after_another(db_url):
    """Approvals landing at once (threads here, replicas in production): each unit counts under the
    request's row lock, so exactly one sees the last approval it needs."""
    import threading

    stores = [Store(db_url) for _ in range(4)]
    stores[0].requests.add("RAAAAAA", **asked(approvals_needed=4))
    counts: list[int] = []
    gate = threading.Barrier(4)

    def approve(store: Store, user: str) -> None:
        gate.wait()
        with store.unit():
            store.requests.add_approval("RAAAAAA", user, T0)
            counts.append(store.requests.approval_count("RAAAAAA"))

    threads = [threading.Thread(target=approve, args=(s, f"U{i}")) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == [1, 2, 3, 4]
    for s in stores:
        s.close()


def test_approvals_once_per_person(store):
    ask(store, approvals_needed=2)
    assert store.requests.add_approval("RAAAAAA", "UAPPROVE2", T0 + timedelta(minutes=2))
    assert store.requests.add_approval("RAAAAAA", "UAPPROVE1", T0 + timedelta(minutes=1))
    assert not store.requests.add_approval("RAAAAAA", "UAPPROVE1", T0 + timedelta(minutes=3))
    assert store.requests.approval_count("RAAAAAA") == 2
    assert store.requests.get("RAAAAAA").approvals == ("UAPPROVE1", "UAPPROVE2")  # in order of approval
    assert store.requests.approval_count("RBBBBBB") == 0


def test_move_is_a_compare_and_set(store):
    ask(store)
    assert store.requests.move("RAAAAAA", REQUESTED, APPROVED, at=T0 + timedelta(minutes=1), decided_by="UAPPROVE1")
    assert not store.requests.move("RAAAAAA", REQUESTED, APPROVED, at=T0, decided_by="UAPPROVE2")  # a double click
    assert store.requests.move("RAAAAAA", APPROVED, RUNNING, at=T0 + timedelta(minutes=2))  # who decided is kept
    request = store.requests.get("RAAAAAA")
    assert (request.status, request.decided_by, request.decided_at) == (RUNNING, "UAPPROVE1", "2026-11-20T12:01:00Z")


def test_deny_records_the_reason(store):
    ask(store)
    assert store.requests.move("RAAAAAA", REQUESTED, DENIED, at=T0, decided_by="UAPPROVE1", reason="expected change")
    request = store.requests.get("RAAAAAA")
    assert (request.status, request.reason, request.decided_by) == (DENIED, "expected change", "UAPPROVE1")
    assert request.final and not request.pending


def test_finish_only_from_running(store):
    ask(store)
    assert not store.requests.finish("RAAAAAA", SUCCEEDED, ["done"], T0)  # not running yet
    store.requests.move("RAAAAAA", REQUESTED, APPROVED, at=T0, decided_by="UAPPROVE1")
    store.requests.move("RAAAAAA", APPROVED, RUNNING, at=T0)
    assert store.requests.finish("RAAAAAA", SUCCEEDED, ["Set access key … to Inactive"], T0 + timedelta(minutes=1))
    assert not store.requests.finish("RAAAAAA", FAILED, ["again"], T0)
    request = store.requests.get("RAAAAAA")
    assert request.status == SUCCEEDED and request.outcome == ("Set access key … to Inactive",)
    assert request.finished_at == "2026-11-20T12:01:00Z"


def test_lists(store):
    ask(store, "RAAAAAA", at=T0, event_key="k1")
    ask(store, "RBBBBBB", at=T0 + timedelta(minutes=1), event_key="k1", params={"user_name": "bob"})
    ask(store, "RCCCCCC", at=T0 + timedelta(minutes=2), event_key="k2", params={"user_name": "carol"})
    store.requests.move("RBBBBBB", REQUESTED, APPROVED, at=T0, decided_by="UAPPROVE1")
    store.requests.move("RCCCCCC", REQUESTED, DENIED, at=T0, decided_by="UAPPROVE1")
    assert [r.id for r in store.requests.for_event("k1")] == ["RAAAAAA", "RBBBBBB"]
    assert [r.id for r in store.requests.pending()] == ["RAAAAAA", "RBBBBBB"]
    assert [r.id for r in store.requests.pending(limit=1)] == ["RAAAAAA"]
    assert [r.id for r in store.requests.waiting()] == ["RAAAAAA"]
    assert store.requests.for_event("nothing") == []


def test_open_duplicate_matches_remediation_params_and_account(store):
    ask(store)
    assert store.requests.open_duplicate("deactivate-access-key", dict(PARAMS), "111122223333") == "RAAAAAA"
    assert store.requests.open_duplicate("deactivate-access-key", dict(PARAMS), "444455556666") is None
    assert store.requests.open_duplicate("delete-access-key", dict(PARAMS), "111122223333") is None
    assert store.requests.open_duplicate("deactivate-access-key", {"user_name": "x"}, "111122223333") is None
    ask(store, "RBBBBBB", params={"user_name": "nobody"}, account=None)
    assert store.requests.open_duplicate("deactivate-access-key", {"user_name": "nobody"}, None) == "RBBBBBB"
    store.requests.move("RAAAAAA", REQUESTED, DENIED, at=T0, decided_by="U1")
    assert store.requests.open_duplicate("deactivate-access-key", dict(PARAMS), "111122223333") is None


def test_due_to_expire(store):
    ask(store, "RAAAAAA", at=T0)
    ask(store, "RBBBBBB", at=T0 + timedelta(hours=1), params={"user_name": "bob"})
    assert store.requests.due_to_expire(T0 + timedelta(hours=23)) == []
    assert store.requests.due_to_expire(T0 + timedelta(hours=24)) == ["RAAAAAA"]
    store.requests.move("RAAAAAA", REQUESTED, APPROVED, at=T0, decided_by="U1")
    assert store.requests.due_to_expire(T0 + timedelta(hours=30)) == ["RBBBBBB"]  # approved ones do not expire


def finished(store, rid, status, at, **extra):
    ask(store, rid, at=at - timedelta(minutes=10), params={"user_name": rid}, **extra)
    store.requests.move(rid, REQUESTED, APPROVED, at=at - timedelta(minutes=5), decided_by="UAPPROVE1")
    store.requests.move(rid, APPROVED, RUNNING, at=at)
    store.requests.finish(rid, status, ["x"], at)


def test_finished_between_and_succeeded_since(store):
    finished(store, "RAAAAAA", SUCCEEDED, T0)
    finished(store, "RBBBBBB", FAILED, T0 + timedelta(hours=1))
    finished(store, "RCCCCCC", SUCCEEDED, T0 + timedelta(hours=2))
    between = store.requests.finished_between(T0, T0 + timedelta(hours=2))
    assert [r.id for r in between] == ["RAAAAAA", "RBBBBBB"]  # [since, until)
    assert [r.id for r in store.requests.succeeded_since(T0)] == ["RCCCCCC", "RAAAAAA"]  # newest first
    assert [r.id for r in store.requests.succeeded_since(T0 + timedelta(minutes=1))] == ["RCCCCCC"]


def test_decision_waits_from_alert_to_first_decision(store):
    a = alert_of("UpdateAccessKey__authored__1.json")
    add_alert(store, a, at=T0)
    ask(store, "RAAAAAA", at=T0 + timedelta(minutes=1), event_key=a.event.key)
    ask(store, "RBBBBBB", at=T0 + timedelta(minutes=2), event_key=a.event.key, params={"user_name": "x"})
    store.requests.move("RBBBBBB", REQUESTED, DENIED, at=T0 + timedelta(minutes=7), decided_by="U1")
    store.requests.move("RAAAAAA", REQUESTED, APPROVED, at=T0 + timedelta(minutes=9), decided_by="U1")
    ask(store, "RCCCCCC", at=T0, params={"user_name": "y"})  # not from an alert: no wait to measure
    store.requests.move("RCCCCCC", REQUESTED, APPROVED, at=T0 + timedelta(minutes=3), decided_by="U1")
    waits = store.requests.decision_waits(T0, T0 + timedelta(hours=1))
    assert waits == [("2026-11-20T12:00:00Z", "2026-11-20T12:07:00Z")]
    assert store.requests.decision_waits(T0 + timedelta(hours=1), T0 + timedelta(hours=2)) == []


def test_open_by_lists_only_that_persons_undecided_requests(store):
    ask(store, "RMINE01")
    ask(store, "RMINE02", params={**PARAMS, "access_key_id": "AKIAEXAMPLELEGACY002"}, at=T0 + timedelta(minutes=1))
    ask(store, "ROTHER1", params={**PARAMS, "access_key_id": "AKIAEXAMPLELEGACY003"}, requested_by="UOTHER")
    store.requests.move("RMINE02", REQUESTED, DENIED, at=T0, decided_by="UAPPROVE1")
    assert [r.id for r in store.requests.open_by("UREQUEST1")] == ["RMINE01"]
    assert store.requests.open_by("UNOBODY") == []


def test_recent_decisions_are_final_requests_newest_first(store):
    for n in range(4):
        ask(store, f"RDEC00{n}", params={**PARAMS, "access_key_id": f"AKIAEXAMPLELEGACY00{n}"})
    store.requests.move("RDEC000", REQUESTED, DENIED, at=T0 + timedelta(minutes=5), decided_by="UAPPROVE1")
    store.requests.move("RDEC001", REQUESTED, RUNNING, at=T0)
    store.requests.finish("RDEC001", SUCCEEDED, ["done"], T0 + timedelta(minutes=9))
    store.requests.move("RDEC002", REQUESTED, DENIED, at=T0 + timedelta(minutes=7), decided_by="UAPPROVE1")
    assert [r.id for r in store.requests.recent_decisions()] == ["RDEC001", "RDEC002", "RDEC000"]
    assert [r.id for r in store.requests.recent_decisions(limit=1)] == ["RDEC001"]
