from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.events import (
    ReadStats,
    RecordError,
    Rejected,
    UnreadableInput,
    events_from_bytes,
    iter_files,
    normalize,
    parse_time,
    read_records,
    record_id,
)
from tests.conftest import DETONATIONS, FIXTURES, all_record_files, load


def read_all(path):
    stats = ReadStats()
    items = [i for f in iter_files([path]) for i in read_records(f, stats)]
    return items, stats


def test_every_fixture_file_parses_without_rejections():
    items, stats = read_all(FIXTURES)
    assert not [i for i in items if isinstance(i, Rejected)]
    assert stats.rejected == 0
    assert stats.iam + stats.skipped_non_iam == stats.records
    # 34 IAM records (records/ + authored/) plus the detonation logs' IAM calls
    assert stats.iam == 53
    assert stats.files == len(list(FIXTURES.rglob("*.json")))


def test_non_iam_records_are_counted_and_skipped():
    items, stats = read_all(DETONATIONS / "aws.credential-access.ec2-get-password-data.json")
    assert items == []
    assert stats.records == 34 and stats.skipped_non_iam == 34


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-08-28T09:54:40Z", datetime(2024, 8, 28, 9, 54, 40, tzinfo=UTC)),
        ("2022-09-15 13:45:24", datetime(2022, 9, 15, 13, 45, 24, tzinfo=UTC)),
        ("2023-01-03 01:52:07.000000000", datetime(2023, 1, 3, 1, 52, 7, tzinfo=UTC)),
        ("2024-01-01T02:00:00+02:00", datetime(2024, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_iso_and_fixture_forms(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "", None, 12, "2024-13-01T00:00:00Z"])
def test_parse_time_rejects_clearly(value):
    with pytest.raises(RecordError, match="eventTime"):
        parse_time(value)


def test_sso_session_actor_is_the_email():
    e = normalize(load("UpdateAccessKey__authored__1.json"))
    assert e.actor.type == "AssumedRole"
    assert e.actor.name == "erin@example.com"
    assert e.actor.console is True and e.actor.mfa is False
    assert e.target == {"user": "legacy-etl", "access_key_id": "AKIAEXAMPLELEGACY001"}


def test_root_actor_and_root_target():
    e = normalize(load("CreateAccessKey__panther__6.json"))
    assert e.actor.name == "root" and e.actor.is_root
    assert e.target["user"] == "root"  # responseElements says "Root"
    assert e.target["access_key_id"] == "AKIA5ZZZK44445XXFFVB"


def test_no_user_name_acts_on_the_caller():
    e = normalize(load("UpdateAccessKey__authored__2.json"))
    assert e.target["user"] == "ops-alice"
    assert e.acts_on_caller


def test_denied_call_target_from_error_message():
    e = normalize(load("GetRole__panther__1.json"))
    assert e.error_code == "AccessDenied"
    assert e.target["role"] == "FooBar"
    assert e.target["resource_arn"] == "arn:aws:iam::123456789012:role/FooBar"
    plain = normalize(load("UpdateAccessKey__authored__3.json"))
    assert plain.target == {"user": "break-glass"}  # "on resource: user break-glass"


def test_created_credentials_come_from_response_elements():
    e = normalize(load("UploadSigningCertificate__authored__1.json"))
    assert e.target == {"user": "ci-admin", "certificate_id": "TA7SMP42TDN5Z26OBPJE7EXAMPLE"}


def test_read_only_flag_and_derived():
    assert normalize(load("GetRole__panther__1.json")).read_only is True
    assert normalize(load("CreateUser__panther__1.json")).read_only is False


def test_record_without_event_id_gets_a_stable_hash():
    record = load("CreateUser__panther__1.json")
    del record["eventID"]
    assert record_id(record) == record_id(json.loads(json.dumps(record)))
    assert record_id(record).startswith("sha256:")
    other = dict(record, eventTime="2019-01-02T00:00:00Z")
    assert record_id(other) != record_id(record)


def _bytes(items):
    stats = ReadStats()
    return list(events_from_bytes(items, "input", stats)), stats


def test_every_input_shape(tmp_path):
    record = load("UpdateLoginProfile__stratus__1.json")
    other = load("CreateUser__stratus__1.json")
    envelope = {
        "version": "0",
        "id": "e1",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.iam",
        "account": "763751499319",
        "detail": record,
    }
    shapes = {
        "single": json.dumps(record).encode(),
        "s3": json.dumps({"Records": [record, other]}).encode(),
        "array": json.dumps([record, other]).encode(),
        "jsonl": (json.dumps(record) + "\n\n" + json.dumps(other) + "\n").encode(),
        "eventbridge": json.dumps(envelope).encode(),
        "eventbridge-lines": (json.dumps(envelope) + "\n" + json.dumps(envelope) + "\n").encode(),
        "gzip": gzip.compress(json.dumps({"Records": [record, other]}).encode()),
    }
    expected = {"single": 1, "s3": 2, "array": 2, "jsonl": 2, "eventbridge": 1, "eventbridge-lines": 2, "gzip": 2}
    for name, data in shapes.items():
        items, stats = _bytes(data)
        assert [type(i).__name__ for i in items] == ["IamEvent"] * expected[name], name
        assert items[0].event_name == "UpdateLoginProfile"
        (tmp_path / f"{name}.json.gz" if name == "gzip" else tmp_path / f"{name}.json").write_bytes(data)
    items, stats = read_all(tmp_path)
    assert stats.files == len(shapes) and stats.iam == sum(expected.values())


def test_malformed_lines_are_rejected_and_the_rest_read():
    good = json.dumps(load("CreateUser__stratus__1.json"))
    data = f'{good}\n{{"eventName": "CreateUser", "eventSource": \n{good}\n[1, 2]\n'.encode()
    items, stats = _bytes(data)
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len([i for i in items if not isinstance(i, Rejected)]) == 2
    assert [r.where for r in rejected] == ["input:2", "input:4[0]", "input:4[1]"]
    assert "not valid JSON" in rejected[0].reason
    assert "expected a JSON object" in rejected[1].reason
    assert stats.rejected == 3


def test_record_with_bad_time_is_rejected_with_reason():
    record = dict(load("CreateUser__stratus__1.json"), eventTime="last tuesday")
    items, _ = _bytes(json.dumps([record, load("CreateUser__panther__1.json")]).encode())
    assert isinstance(items[0], Rejected)
    assert items[0].reason == "eventTime 'last tuesday' is not a time"
    assert str(items[0]).startswith("input[0]: ")
    assert items[1].event_name == "CreateUser"


def test_unreadable_inputs(tmp_path):
    with pytest.raises(UnreadableInput, match="no such file"):
        list(iter_files([tmp_path / "missing.json"]))
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"\x1f\x8b" + b"not gzip at all")
    with pytest.raises(UnreadableInput, match="not a valid gzip"):
        list(read_records(bad))


SEED_RECORDS = [r for r in (load(f.name) for f in all_record_files()) if r["eventSource"] == "iam.amazonaws.com"]


def _truncations(data: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(0, len(data)).map(lambda n: data[:n])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEED_RECORDS).flatmap(lambda r: _truncations(json.dumps(r).encode())))
def test_truncated_input_never_crashes(data):
    items, _ = _bytes(data)
    assert all(isinstance(i, Rejected) or i.event_name for i in items)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FIELDS = [
    "eventTime",
    "userIdentity",
    "requestParameters",
    "responseElements",
    "errorMessage",
    "eventID",
    "recipientAccountId",
    "readOnly",
    "sessionCredentialFromConsole",
    "userAgent",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SEED_RECORDS), st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4))
def test_mangled_fields_never_crash(record, changes):
    mangled = {**record, **changes}
    items, _ = _bytes(json.dumps(mangled).encode())
    assert len(items) == 1
    item = items[0]
    if not isinstance(item, Rejected):
        assert item.event_time.tzinfo is not None
        assert isinstance(item.target, dict)
