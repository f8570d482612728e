"""Alerts: how each new event was handled (its disposition) and where it stands (its status)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.store import AlertRow, Store
from tests.support.records import load
from tests.support.store import add_alert, add_event, alert_of

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def variant(n, name="CreateUser__stratus__1.json", **changes):
    """The same event again, n minutes later (another eventID)."""
    record = load(name)
    when = datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")) + timedelta(minutes=n)
    return alert_of({**record, "eventID": f"evt-{n}", "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), **changes})


def test_add_and_get(store):
    alert = alert_of("UpdateAccessKey__authored__1.json")
    add_event(store, alert)
    assert store.alerts.add(alert.event.key, disposition="posted", severity="high", group_key="g1",
                            event_time=alert.event.event_time, actor='{"arn": "x"}', at=AT)
    assert not store.alerts.add(alert.event.key, disposition="quiet", severity="low", group_key="g2",
                                event_time=alert.event.event_time, actor=None, at=AT)  # once per event
    row = store.alerts.get(alert.event.key)
    assert row == AlertRow(key=alert.event.key, status="open", disposition="posted", severity="high", thread_of=None,
                           actor='{"arn": "x"}', created_at="2026-11-20T12:00:00Z",
                           event_time="2026-11-20T10:02:11Z")
    assert store.alerts.get("nothing") is None


def test_move_is_a_compare_and_set(store):
    alert = alert_of("UpdateAccessKey__authored__1.json")
    add_alert(store, alert, at=AT)
    assert store.alerts.move(alert.event.key, "open", "dismissed", at=AT + timedelta(minutes=5))
    assert not store.alerts.move(alert.event.key, "open", "dismissed")  # a second click changes nothing
    assert store.alerts.get(alert.event.key).status == "dismissed"
    updated = store.db.one("SELECT updated_at FROM alerts")["updated_at"]
    assert updated == "2026-11-20T12:05:00Z"
    assert not store.alerts.move("nothing", "open", "dismissed")


def test_set_disposition(store):
    alert = alert_of("UpdateAccessKey__authored__1.json")
    add_alert(store, alert, disposition="unrouted")
    store.alerts.set_disposition(alert.event.key, "posted")
    assert store.alerts.get(alert.event.key).disposition == "posted"


def test_repeats_thread_under_the_first_posted_alert_in_the_window(store):
    first, second, third = variant(0), variant(5), variant(10)
    add_alert(store, first, group_key="grp")
    add_alert(store, second, disposition="repeat", group_key="grp", thread_of=first.event.key)
    add_alert(store, third, disposition="repeat", group_key="grp", thread_of=first.event.key)
    add_alert(store, variant(7), disposition="quiet", group_key="grp", thread_of=first.event.key)
    t0 = first.event.event_time
    assert store.alerts.repeat_parent("grp", t0 - timedelta(hours=1), t0 + timedelta(hours=1)) == first.event.key
    assert store.alerts.repeat_parent("grp", t0 + timedelta(minutes=1), t0 + timedelta(hours=1)) is None
    assert store.alerts.repeat_parent("other", t0 - timedelta(hours=1), t0 + timedelta(hours=1)) is None
    assert store.alerts.repeat_times(first.event.key) == [
        second.event.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        third.event.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]
    assert store.alerts.get(second.event.key).thread_of == first.event.key


def test_burst_counts_by_event_and_actor(store):
    for n in range(3):
        add_alert(store, variant(n), disposition="burst", at=AT)
    add_alert(store, variant(1, "UpdateAccessKey__authored__1.json"), disposition="burst", at=AT)
    add_alert(store, variant(9), disposition="burst", at=AT - timedelta(hours=1))  # before the window
    add_alert(store, variant(8), disposition="posted", at=AT)
    expected = [("CreateUser", "christophe", 3), ("UpdateAccessKey", "erin@example.com", 1)]
    assert store.alerts.burst_counts(AT) == expected
    assert store.alerts.burst_counts(AT + timedelta(seconds=1)) == []


def test_dispositions_and_unrouted(store):
    add_alert(store, variant(0), disposition="posted", at=AT)
    add_alert(store, variant(1), disposition="unrouted", at=AT + timedelta(minutes=2))
    add_alert(store, variant(2), disposition="unrouted", at=AT + timedelta(minutes=1))
    add_alert(store, variant(3), disposition="quiet", at=AT)
    assert store.alerts.dispositions() == {"posted": 1, "unrouted": 2, "quiet": 1}
    assert store.alerts.unrouted() == [variant(2).event.key, variant(1).event.key]  # oldest first
    assert store.alerts.unrouted(limit=1) == [variant(2).event.key]


def test_open_posted_since_lists_severe_recent_alerts_with_their_message(store):
    recent = variant(0)
    old = variant(-8 * 24 * 60)
    quiet = variant(5)
    add_alert(store, recent, at=AT)
    add_alert(store, old, at=AT)
    add_alert(store, quiet, disposition="quiet", at=AT)
    store.outbox.put(f"alert:{recent.event.key}", "alert", recent.event.key, "C0ALERTS", at=AT)
    store.outbox.sent(f"alert:{recent.event.key}", "1700000000.000100", "C0ALERTS", 1, AT)
    since = recent.event.event_time - timedelta(days=7)
    [found] = store.alerts.open_posted_since(since, (recent.severity,))
    assert (found.key, found.channel, found.ts) == (recent.event.key, "C0ALERTS", "1700000000.000100")
    assert found.event_name == "CreateUser" and found.summary == recent.summary
    assert store.alerts.open_posted_since(since, ("info",)) == []
    store.alerts.move(recent.event.key, "open", "dismissed", at=AT)
    assert store.alerts.open_posted_since(since, (recent.severity,)) == []


def test_a_raised_severity_is_the_alerts_and_its_events(store):
    alert = alert_of("UpdateAccessKey__authored__3.json")  # low
    add_event(store, alert)
    store.alerts.add(alert.event.key, disposition="posted", severity="low", group_key="g1",
                     event_time=alert.event.event_time, actor=None, at=AT)  # fmt: skip
    assert store.alerts.raise_severity(alert.event.key, "high", AT + timedelta(minutes=5))
    assert store.alerts.get(alert.event.key).severity == "high"
    assert store.events.get(alert.event.key).severity == "high"
    assert not store.alerts.raise_severity("no-such-key", "high")
