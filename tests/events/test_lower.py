"""Records as Athena's CloudTrail table returns them (lower-case keys, JSON text columns) are read
as the record CloudTrail wrote: the same event, through every reader."""

from __future__ import annotations

import contextlib
import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings

from bot.catalog import load as load_catalog
from bot.events import ReadStats, RecordError, Rejected, events_from_bytes, normalize
from bot.events.fast import fast_events_from_bytes
from bot.events.lower import camel, is_lower, parsed
from tests.support.athena import athena_record
from tests.support.mutations import EXAMPLES, RECORDS, mutated_records
from tests.support.records import all_record_files, load

SELECTION = load_catalog().selection()
FIXTURES = [json.loads(p.read_text()) for p in all_record_files()]


def without_nulls(record):
    return {k: v for k, v in record.items() if v is not None}


def comparable(event):
    # a record without an eventID is known by a hash of its text, which Athena's nulls change
    event_id = event.event_id if not event.event_id.startswith("sha256:") else ""
    return dataclasses.replace(event, raw={}, origin="", event_id=event_id)


@pytest.mark.parametrize("record", FIXTURES, ids=[p.name for p in all_record_files()])
def test_every_fixture_in_athena_shape_is_the_same_record(record):
    lower = athena_record(record)
    assert is_lower(lower) and not is_lower(record)
    try:
        expected = normalize(record)
    except RecordError as exc:
        with pytest.raises(RecordError, match=str(exc)[:20]):
            normalize(lower)
        return
    assert comparable(normalize(lower)) == comparable(expected)


def test_the_identity_struct_is_read_whole():
    record = load("UpdateAccessKey__authored__1.json")
    lower = athena_record(record)
    assert "sessioncontext" in json.dumps(lower["useridentity"]) or "sessionContext" not in json.dumps(record)
    assert camel(lower) == without_nulls(record)  # the record CloudTrail wrote, key for key
    event = normalize(lower)
    assert event.actor == normalize(record).actor
    assert event.request == record["requestParameters"]


def test_web_identity_map_keys_are_kept():
    lower = {
        "eventname": "AssumeRoleWithWebIdentity",
        "eventsource": "sts.amazonaws.com",
        "eventtime": "2024-01-01T00:00:00Z",
        "useridentity": {
            "type": "WebIdentityUser",
            "sessioncontext": {
                "webidfederationdata": {"federatedprovider": "x", "attributes": {"aud": "a", "ABC": "b"}},
                "sessionissuer": {"username": "r"},
            },
        },
    }
    ui = camel(lower)["userIdentity"]
    assert ui["sessionContext"]["webIdFederationData"] == {
        "federatedProvider": "x",
        "attributes": {"aud": "a", "ABC": "b"},
    }
    assert ui["sessionContext"]["sessionIssuer"] == {"userName": "r"}


def test_text_columns_that_are_not_json_stay_text_and_are_not_trusted():
    record = {"eventname": "CreateUser", "eventsource": "iam.amazonaws.com", "eventtime": "2024-01-01T00:00:00Z",
              "requestparameters": "{not json", "useridentity": '{"type": "Root"}'}  # fmt: skip
    event = normalize(record)
    assert event.request == {} and not event.request_recorded
    assert event.actor.type == "Root"  # a struct handed over as JSON text is read too
    assert parsed("x" * 10) == "x" * 10 and parsed(5) == 5


def test_a_camel_case_key_wins_over_its_lower_case_twin():
    assert camel({"eventname": "A", "eventName": "B"}) == {"eventName": "B"}
    assert camel({"eventName": "B", "eventname": "A"}) == {"eventName": "B"}


def _lower_bytes(records):
    return json.dumps({"Records": [athena_record(r) if isinstance(r, dict) else r for r in records]}).encode()


def _read(reader, data):
    stats = ReadStats()
    items = [
        ("rejected", i.where, i.reason) if isinstance(i, Rejected) else ("event", i.key, i, i.raw)
        for i in reader(data, "athena", stats, SELECTION)
    ]
    return items, stats


def test_the_fast_reader_selects_lower_case_records_as_the_reference_does():
    records = [*RECORDS[:40], {"eventName": "PutObject", "eventSource": "s3.amazonaws.com"}]
    data = _lower_bytes(records)
    reference = _read(events_from_bytes, data)
    assert _read(fast_events_from_bytes, data) == reference
    camel_case = _read(events_from_bytes, json.dumps({"Records": records}).encode())
    assert reference[1].skipped == camel_case[1].skipped and reference[1].kept == camel_case[1].kept


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_records())
def test_any_mutated_record_in_athena_shape_is_an_event_or_a_rejection(record):
    lower = athena_record(record) if isinstance(record, dict) else record
    with contextlib.suppress(RecordError):  # an event or a rejection, never another exception
        normalize(lower)
    data = _lower_bytes([record])
    assert _read(fast_events_from_bytes, data) == _read(events_from_bytes, data)
