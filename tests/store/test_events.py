"""Events (each stored once, by key), rejected input, and the history risk scoring reads."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.events import Rejected, parse_time, record_id
from bot.store import Store, StoredEvent
from tests.support.records import all_record_files, load
from tests.support.store import add_alert, add_event, alert_of

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def test_events_are_stored_once(store, assessor):
    names = [p.name for p in all_record_files() if "iam" in load(p.name)["eventSource"]]
    batch = [alert_of(n, assessor) for n in names]
    first = [add_event(store, a) for a in batch]
    again = [add_event(store, a) for a in batch]
    # Panther's fixtures reuse (eventID, name, time) for variants of one test: that is one event
    # as CloudTrail would deliver it (S3, EventBridge and LookupEvents copies differ slightly).
    records = [load(n) for n in names]
    same = Counter((record_id(r), r["eventName"], parse_time(r["eventTime"])) for r in records)
    distinct = {a.event.key for a in batch}
    assert len(distinct) == len(same) < len(batch)
    assert sum(first) == len(distinct) and not any(again)
    assert store.events.count() == len(distinct)


def test_reused_event_id_with_other_name_or_time_is_not_lost(store, assessor):
    # both fixtures have eventID "1" and the same time: a denied GetRole and a CreateServiceLinkedRole
    a, b = (alert_of(n, assessor) for n in ("GetRole__panther__1.json", "CreateServiceLinkedRole__panther__1.json"))
    assert a.event.event_id == b.event.event_id == "1"
    assert add_event(store, a) and add_event(store, b)
    later = alert_of(dict(load("GetRole__panther__1.json"), eventTime="2019-01-01T00:00:01Z"), assessor)
    assert add_event(store, later)
    assert store.events.count() == 3


def test_same_event_id_different_files_is_one_event(store, assessor):
    assert add_event(store, alert_of("CreateUser__stratus__1.json", assessor))
    reread = alert_of(dict(load("CreateUser__stratus__1.json"), userAgent="another copy"), assessor)
    assert not add_event(store, reread)
    assert store.events.get(reread.event.key).raw["userAgent"] != "another copy"  # the first copy is kept


def test_record_without_event_id_is_deduplicated_by_hash(store, assessor):
    record = load("CreateUser__panther__1.json")
    del record["eventID"]
    assert add_event(store, alert_of(record, assessor))
    assert not add_event(store, alert_of(dict(record), assessor))
    assert store.events.count() == 1


def test_stored_event_round_trips(store, assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    add_event(store, alert, at=AT)
    row = store.events.get(alert.event.event_id)
    assert isinstance(row, StoredEvent)
    assert row.severity == alert.severity == "high"
    assert row.target == {"user": "legacy-etl", "access_key_id": "AKIAEXAMPLELEGACY001"}
    assert row.raw == alert.event.raw
    assert row.event_time == "2026-11-20T10:02:11Z"
    assert row.event_source == "iam.amazonaws.com" and row.event_name == "UpdateAccessKey"
    assert row.actor_name == "erin@example.com" and row.actor_arn == alert.event.actor.arn
    assert row.account_id == "111122223333"
    assert row.summary == alert.summary
    assert row.ingested_at == "2026-11-20T12:00:00Z"
    assert store.events.get(alert.event.key) == row
    assert store.events.recent(1)[0].id == alert.event.event_id
    stored = store.db.one("SELECT is_self, source_net, source_ip, region FROM events")
    assert stored["is_self"] == 0 and stored["source_ip"] == alert.event.source_ip
    assert stored["source_net"] == alert.event.source_ip.rsplit(".", 1)[0] + ".0/24"


def test_get_by_event_id_prefers_the_latest(store, assessor):
    old = alert_of("GetRole__panther__1.json", assessor)
    new = alert_of(dict(load("GetRole__panther__1.json"), eventTime="2020-01-01T00:00:00Z"), assessor)
    add_event(store, old)
    add_event(store, new)
    assert store.events.get("1").key == new.event.key
    assert store.events.get(old.event.key).key == old.event.key
    assert store.events.get("nothing") is None


def test_recent_is_newest_first(store, assessor):
    names = ["CreateUser__panther__1.json", "UpdateAccessKey__authored__1.json", "ConsoleLogin__awsdocs__1.json"]
    for n in names:
        add_event(store, alert_of(n, assessor))
    times = [e.event_time for e in store.events.recent(10)]
    assert times == sorted(times, reverse=True) and len(times) == 3
    assert len(store.events.recent(2)) == 2


def test_sign_in_sources_are_this_actors_successes(store, assessor):
    arn = "arn:aws:iam::111122223333:user/anaya"
    ok = alert_of("ConsoleLogin__awsdocs__1.json", assessor)  # 192.0.2.0, 2022-11-10T16:24:34Z
    other_ip = alert_of(dict(load("ConsoleLogin__awsdocs__2.json"), sourceIPAddress="203.0.113.9"), assessor)
    failed = alert_of(dict(load("ConsoleLogin__awsdocs__3.json"), sourceIPAddress="198.51.100.1",
                           userIdentity=load("ConsoleLogin__awsdocs__1.json")["userIdentity"]), assessor)
    for a in (ok, other_ip, failed):
        add_event(store, a)
    after = datetime(2022, 11, 11, tzinfo=UTC)
    ips, nets = store.events.sign_in_sources(arn, "signin.amazonaws.com", after)
    assert ips == {"192.0.2.0", "203.0.113.9"}  # the failure is not a place they signed in from
    assert nets == {"192.0.2.0/24", "203.0.113.0/24"}
    assert store.events.sign_in_sources(arn, "signin.amazonaws.com", ok.event.event_time) == (set(), set())
    assert store.events.sign_in_sources(arn, "iam.amazonaws.com", after) == (set(), set())
    assert store.events.sign_in_sources("arn:aws:iam::1:user/x", "signin.amazonaws.com", after) == (set(), set())


def test_failures_by_actor_or_address_in_the_window(store, assessor):
    failed = alert_of("ConsoleLogin__awsdocs__3.json", assessor)  # no ARN, from 192.0.2.0
    root_failed = alert_of(dict(load("ConsoleLogin__awsdocs__6.json"), sourceIPAddress="198.51.100.50"), assessor)
    add_event(store, failed)
    add_event(store, root_failed)
    add_event(store, alert_of("ConsoleLogin__awsdocs__1.json", assessor))  # a success, same address
    when = failed.event.event_time
    since, before = when - timedelta(minutes=15), when + timedelta(seconds=1)
    assert store.events.failures(None, "192.0.2.0", "signin.amazonaws.com", since, before) == 1
    root_arn = root_failed.event.actor.arn
    root_time = root_failed.event.event_time
    window = (root_time - timedelta(minutes=1), root_time + timedelta(seconds=1))
    assert store.events.failures(root_arn, None, "signin.amazonaws.com", *window) == 1
    assert store.events.failures(None, "192.0.2.0", "signin.amazonaws.com", when, when) == 0  # [since, before)
    assert store.events.failures(None, None, "signin.amazonaws.com", since, before) == 0
    assert store.events.failures(None, "192.0.2.0", "iam.amazonaws.com", since, before) == 0


def test_in_period_is_by_ingestion_time_with_the_disposition(store, assessor):
    a = alert_of("CreateUser__panther__1.json", assessor)
    b = alert_of("UpdateAccessKey__authored__1.json", assessor)
    add_alert(store, a, disposition="quiet", at=AT)
    add_event(store, b, at=AT + timedelta(hours=2))  # stored, never alerted
    rows = store.events.in_period(AT, AT + timedelta(hours=1))
    assert [(r["key"], r["disposition"], r["severity"]) for r in rows] == [(a.event.key, "quiet", a.severity)]
    [later] = store.events.in_period(AT + timedelta(hours=1), AT + timedelta(hours=3))
    assert later["key"] == b.event.key and later["disposition"] is None
    assert later["event_source"] == "iam.amazonaws.com" and later["actor_name"] == "erin@example.com"
    assert store.events.in_period(AT, AT) == []


def test_rejected_input_is_kept_with_reason(store):
    items = [Rejected("a.json:3", "not valid JSON: x", "{"), Rejected("b.json[0]", "eventTime 'x' is not a time")]
    assert store.rejected.add(items, source="triage", body='{"whole": "message"}', at=AT) == 2
    assert store.rejected.count() == 2
    rows = store.rejected.recent()
    assert {(r["where_"], r["reason"], r["source"], r["at"]) for r in rows} == {
        ("a.json:3", "not valid JSON: x", "triage", "2026-11-20T12:00:00Z"),
        ("b.json[0]", "eventTime 'x' is not a time", "triage", "2026-11-20T12:00:00Z"),
    }
    assert {r["body"] for r in rows} == {'{"whole": "message"}'}
    assert store.rejected.add([], source="sqs") == 0


def test_rejected_input_is_clipped_and_newest_first(store):
    store.rejected.add([Rejected("w" * 900, "r" * 5000, "e" * 900)], source="sqs", at=AT)
    store.rejected.add([Rejected("later", "why")], source="sqs", at=AT + timedelta(minutes=1))
    newest, oldest = store.rejected.recent(10)
    assert newest["where_"] == "later"
    assert (len(oldest["where_"]), len(oldest["reason"]), len(oldest["excerpt"])) == (500, 1000, 500)
    assert len(store.rejected.recent(1)) == 1


def test_raw_is_stored_as_given(store, assessor):
    alert = alert_of("CreateUser__stratus__1.json", assessor)
    store.events.add(alert.event, severity="low", summary="s", targets={}, is_self=True, source_net=None,
                     raw=json.dumps({"kept": "as text"}))
    row = store.events.get(alert.event.key)
    assert row.raw == {"kept": "as text"} and row.target == {}
    assert store.db.one("SELECT is_self FROM events")["is_self"] == 1
