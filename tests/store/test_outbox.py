"""The outbox table: one row per logical Slack message, posted once and updated in place, sent
only by the holder of its lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.store import MessageRow, Store

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def due_ids(store, at):
    return [m.id for m in store.outbox.due(at)]


def test_put_once(store):
    assert store.outbox.put("alert:k1", "alert", "k1", "C0ALERTS", data={"why": "x"}, thread_of="1.1", at=T0)
    assert not store.outbox.put("alert:k1", "alert", "k1", "C0OTHER", at=T0)
    row = store.outbox.get("alert:k1")
    assert row == MessageRow(id="alert:k1", kind="alert", ref="k1", channel="C0ALERTS", thread_of="1.1",
                             data={"why": "x"}, payload=None, version=1, sent_version=0, ts=None, attempts=0,
                             created_at="2026-11-20T12:00:00Z", last_error=None)
    assert store.outbox.get("nothing") is None


def test_due_until_sent_then_not(store):
    store.outbox.put("m1", "alert", "k1", "C0ALERTS", at=T0)
    store.outbox.put("m2", "alert", "k2", "C0ALERTS", at=T0 + timedelta(seconds=1))
    assert due_ids(store, T0) == ["m1", "m2"]
    assert store.outbox.claim("m1", 1, T0, LEASE)
    store.outbox.sent("m1", "111.222", "C0ALERTS", 1, T0)
    assert due_ids(store, T0) == ["m2"]
    row = store.outbox.get("m1")
    assert (row.ts, row.sent_version, row.attempts, row.last_error) == ("111.222", 1, 0, None)


def test_touch_makes_a_sent_message_due_again(store):
    store.outbox.put("m1", "alert", "k1", "C0ALERTS", at=T0)
    store.outbox.claim("m1", 1, T0, LEASE)
    store.outbox.sent("m1", "1.0", "C0ALERTS", 1, T0)
    assert store.outbox.touch("m1", data={"status": "dismissed"}, at=T0 + timedelta(minutes=1))
    row = store.outbox.get("m1")
    assert (row.version, row.sent_version, row.data) == (2, 1, {"status": "dismissed"})
    assert due_ids(store, T0 + timedelta(minutes=1)) == ["m1"]
    store.outbox.touch("m1")  # data kept when none is given
    assert store.outbox.get("m1").data == {"status": "dismissed"}
    assert not store.outbox.touch("nothing")


def test_a_change_while_sending_is_sent_next(store):
    store.outbox.put("m1", "alert", "k1", "C0ALERTS", at=T0)
    assert store.outbox.claim("m1", 1, T0, LEASE)
    store.outbox.touch("m1", at=T0)  # the state changed while version 1 was on its way
    store.outbox.sent("m1", "1.0", "C0ALERTS", 1, T0)
    assert due_ids(store, T0 + LEASE) == ["m1"]
    assert store.outbox.get("m1").version == 2


def test_claim_is_held_by_one_sender_until_the_lease_ends(store):
    store.outbox.put("m1", "alert", "k1", "C0ALERTS", at=T0)
    assert store.outbox.claim("m1", 1, T0, LEASE)
    assert not store.outbox.claim("m1", 1, T0 + timedelta(seconds=5), LEASE)  # another sender
    assert due_ids(store, T0 + timedelta(seconds=5)) == []  # leased: not offered
    assert store.outbox.claim("m1", 1, T0 + LEASE + timedelta(seconds=1), LEASE)  # a dead sender's lease ends
    assert store.outbox.get("m1").attempts == 2
    assert not store.outbox.claim("m1", 7, T0 + timedelta(hours=1), LEASE)  # an old version is not claimed


def test_failed_waits_for_its_retry_time(store):
    store.outbox.put("m1", "alert", "k1", "C0ALERTS", at=T0)
    store.outbox.claim("m1", 1, T0, LEASE)
    store.outbox.failed("m1", "ratelimited " + "x" * 600, T0 + timedelta(seconds=30))
    row = store.outbox.get("m1")
    assert row.last_error.startswith("ratelimited") and len(row.last_error) == 500
    assert due_ids(store, T0 + timedelta(seconds=29)) == []
    assert due_ids(store, T0 + timedelta(seconds=30)) == ["m1"]
    store.outbox.touch("m1", at=T0)  # a new state is worth trying at once
    assert due_ids(store, T0) == ["m1"]


def test_release_leases_after_a_restart(store):
    store.outbox.put("m1", "alert", "k1", "C0ALERTS", at=T0)
    store.outbox.put("m2", "alert", "k2", "C0ALERTS", at=T0)
    store.outbox.claim("m1", 1, T0, LEASE, holder="replica-a")
    store.outbox.claim("m2", 1, T0, LEASE, holder="replica-b")
    if store.db.shared:  # PostgreSQL: a lease may be another replica's; it returns when it runs out
        assert store.outbox.release_leases("replica-c") == 0
        assert due_ids(store, T0) == []
        assert store.outbox.release_leases("replica-a") == 1  # restarted under its name: its own return now
        assert due_ids(store, T0) == ["m1"]
        assert due_ids(store, T0 + LEASE + timedelta(seconds=1)) == ["m1", "m2"]
        return
    assert store.outbox.release_leases() == 2  # SQLite: one process owns the file
    assert due_ids(store, T0) == ["m1", "m2"]
    assert store.outbox.release_leases() == 0


def test_unrouted_messages_wait_for_a_channel(store):
    store.outbox.put("alert:k1", "alert", "k1", "", at=T0)
    store.outbox.put("alert:k2", "alert", "k2", "", at=T0 + timedelta(seconds=1))
    store.outbox.put("digest:x", "digest", "x", "", at=T0)
    assert due_ids(store, T0) == []  # no channel: never sent
    assert [m.id for m in store.outbox.unrouted("alert")] == ["alert:k1", "alert:k2"]
    assert [m.id for m in store.outbox.unrouted("alert", limit=1)] == ["alert:k1"]
    assert store.outbox.route("alert:k1", "C0ALERTS")
    assert not store.outbox.route("alert:k1", "C0OTHER")  # routed once
    assert store.outbox.get("alert:k1").channel == "C0ALERTS"
    assert due_ids(store, T0) == ["alert:k1"]
    assert store.outbox.backlog(T0)[0] == 1  # unrouted ones are not a backlog of sending


def test_backlog_counts_and_ages(store):
    assert store.outbox.backlog(T0) == (0, 0.0)
    store.outbox.put("m1", "alert", "k1", "C0ALERTS", at=T0)
    store.outbox.put("m2", "alert", "k2", "C0ALERTS", at=T0 + timedelta(seconds=30))
    assert store.outbox.backlog(T0 + timedelta(minutes=1)) == (2, 60.0)
    store.outbox.claim("m1", 1, T0, LEASE)
    store.outbox.sent("m1", "1.0", "C0ALERTS", 1, T0 + timedelta(minutes=1))
    assert store.outbox.backlog(T0 + timedelta(minutes=1)) == (1, 30.0)
    # an update is as old as the change that made it due, not the message
    store.outbox.touch("m1", at=T0 + timedelta(minutes=5))
    assert store.outbox.backlog(T0 + timedelta(minutes=6)) == (2, 330.0)
    assert store.outbox.backlog(T0 - timedelta(hours=1))[1] == 0.0  # never negative


def test_count_since(store):
    for i in range(3):
        store.outbox.put(f"alert:{i}", "alert", str(i), "C0ALERTS", at=T0 + timedelta(seconds=i * 20))
    store.outbox.put("burst:x", "burst", "x", "C0ALERTS", at=T0)
    store.outbox.put("alert:other", "alert", "o", "C0OTHER", at=T0)
    assert store.outbox.count_since("alert", "C0ALERTS", T0) == 3
    assert store.outbox.count_since("alert", "C0ALERTS", T0 + timedelta(seconds=30)) == 1
    assert store.outbox.count_since("burst", "C0ALERTS", T0) == 1


def test_touch_kind_makes_every_row_of_that_kind_due_again(store):
    for user in ("UAPPROVE1", "UREQUEST1"):
        store.outbox.put(f"home:{user}", "home", user, user, at=T0)
        store.outbox.sent(f"home:{user}", "-", user, 1, T0)
    store.outbox.put("alert:k1", "alert", "k1", "C0ALERTS", at=T0)
    store.outbox.sent("alert:k1", "1.1", "C0ALERTS", 1, T0)
    assert due_ids(store, T0) == []
    assert store.outbox.touch_kind("home", at=T0 + timedelta(seconds=1)) == 2
    assert sorted(due_ids(store, T0 + timedelta(seconds=2))) == ["home:UAPPROVE1", "home:UREQUEST1"]
    assert store.outbox.touch_kind("nothing-of-this-kind") == 0
