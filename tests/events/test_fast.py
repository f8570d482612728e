"""The fast reader gives what the reference reader gives: the same events (same keys, same
normalized fields, the same raw record), the same rejections and the same counts, for every
fixture in every shape, for malformed input, and for any bytes hypothesis makes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot.events.fast as fast
from bot.catalog import load as load_catalog
from bot.events import IamEvent, ReadStats, Rejected, UnreadableInput, events_from_bytes
from bot.events.fast import fast_events_from_bytes
from tests.support.mutations import EXAMPLES, deep, hostile_bytes
from tests.support.records import AUTHORED, DETONATIONS, RECORDS, envelope
from tests.support.sources import digest_file

SELECTION = load_catalog().selection()
FILES = sorted(RECORDS.glob("*.json")) + sorted(AUTHORED.glob("*.json")) + sorted(DETONATIONS.glob("*.json"))


def shown(item: IamEvent | Rejected) -> Any:
    if isinstance(item, Rejected):
        return ("rejected", item.where, item.reason, item.excerpt)
    # dataclass equality covers every normalized field but raw; raw and origin are compared too
    return ("event", item.key, item, item.raw, item.origin)


def read(reader: Any, data: bytes, where: str = "input") -> tuple[list[Any], ReadStats, str | None]:
    stats = ReadStats()
    try:
        items = [shown(i) for i in reader(data, where, stats, SELECTION)]
    except UnreadableInput as exc:
        return [], stats, str(exc)
    return items, stats, None


def same(data: bytes, where: str = "input") -> list[Any]:
    reference = read(events_from_bytes, data, where)
    assert read(fast_events_from_bytes, data, where) == reference
    return reference[0]


def records_of(path: Path) -> list[Any]:
    doc = json.loads(path.read_text())
    return doc if isinstance(doc, list) else [doc]


def delivery(records: list[Any]) -> bytes:
    return json.dumps({"Records": records}).encode()


@pytest.fixture
def fast_path_taken(monkeypatch):
    """Fails the test if the reader falls back to the reference decoder."""
    calls = []
    real = fast.decode_plain
    monkeypatch.setattr(fast, "decode_plain", lambda data, where: calls.append(where) or real(data, where))
    yield calls
    assert calls == [], "the fast path fell back to the reference reader"


# ---------------------------------------------------------------- every fixture, every shape


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_in_every_shape(path):
    data = path.read_bytes()
    records = records_of(path)
    same(data, str(path))  # as published: a single record or a JSON array
    same(gzip.compress(data), str(path))
    same(json.dumps(records).encode())  # a JSON array
    same(b"\n".join(json.dumps(r).encode() for r in records))  # JSON Lines
    for record in records[:3]:
        same(envelope(record).encode())  # EventBridge
        same(json.dumps(record).encode())  # a single record


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_as_an_s3_delivery_takes_the_fast_path(path, fast_path_taken):
    records = records_of(path)
    plain = same(delivery(records))
    assert same(gzip.compress(delivery(records))) == plain
    assert same(json.dumps({"Records": records}, indent=2).encode() + b"\n") == plain  # pretty-printed


def test_all_fixtures_in_one_delivery(fast_path_taken):
    records = [r for p in FILES for r in records_of(p)]
    items = same(gzip.compress(delivery(records)), "all.json.gz")
    assert len(items) > 150 and all(i[0] == "event" for i in items)


# ---------------------------------------------------------------- malformed input

ONE = records_of(AUTHORED / "UpdateAccessKey__authored__1.json")[0]
EC2 = next(
    r for r in records_of(DETONATIONS / "aws.execution.ec2-user-data.json") if r["eventSource"] == "ec2.amazonaws.com"
)
STS = {**ONE, "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole"}
ROOT = {
    "type": "Root",
    "principalId": "111122223333",
    "arn": "arn:aws:iam::111122223333:root",
    "accountId": "111122223333",
}
GOOD = delivery([EC2, ONE])
SKIPPED = json.dumps(EC2).encode()


def with_skipped(raw: bytes) -> bytes:
    """A delivery whose skipped record holds ``raw`` as a value: what a reader that skips records
    without looking could miss."""
    return b'{"Records":[' + SKIPPED[:-1] + b',"x":' + raw + b"}," + json.dumps(ONE).encode() + b"]}"


MALFORMED = {
    "truncated": GOOD[: len(GOOD) // 2],
    "truncated gzip member": gzip.compress(GOOD)[:-8],
    "invalid UTF-8 in a skipped record": with_skipped(b'"\xff\xfe"'),
    "an encoded surrogate in a skipped record": with_skipped(b'"\xed\xa0\x80"'),
    "an overlong encoding in a skipped record": with_skipped(b'"\xc0\xaf"'),
    "a lone surrogate escape in a skipped record": with_skipped(b'"\\ud800"'),
    "a number beyond a double in a skipped record": with_skipped(b"1e400"),
    "an integer beyond 64 bits": with_skipped(b"123456789012345678901234567890"),
    "a control character in a skipped record": with_skipped(b'"a\x01b"'),
    "NaN in a skipped record": with_skipped(b"NaN"),
    "nesting deeper than orjson allows": with_skipped(b"[" * 1030 + b"]" * 1030),
    "nesting orjson just allows": with_skipped(b"[" * 1018 + b"]" * 1018),
    "nesting msgspec refuses before orjson does": with_skipped(b"[" * 900 + b"]" * 900),
    "not JSON": b"this is not json at all",
    "trailing garbage": GOOD + b" x",
    "a NUL after the document": GOOD + b"\x00",
    "a byte-order mark": b"\xef\xbb\xbf" + GOOD,
    "empty": b"",
    "whitespace": b" \n\t ",
    "form feed around the document": b"\x0c" + GOOD,
    "records that are not objects": delivery([1, "x", None, [ONE], ONE, [], True]),
    "Records that is not a list": json.dumps({"Records": ONE}).encode(),
    "Records twice, the last not a list": b'{"Records":[' + json.dumps(ONE).encode() + b'],"Records":5}',
    "Records twice, the last a list": b'{"Records":5,"Records":[' + json.dumps(ONE).encode() + b"]}",
    "eventSource twice, IAM last": delivery([{**EC2, "eventSource": "ec2.amazonaws.com"}]).replace(
        b'"eventSource": "ec2.amazonaws.com"', b'"eventSource": "ec2.amazonaws.com", "eventSource": "iam.amazonaws.com"'
    ),
    "eventSource twice, IAM first": json.dumps({"Records": [ONE]}).encode().replace(
        b'"eventSource": "iam.amazonaws.com"', b'"eventSource": "iam.amazonaws.com", "eventSource": "ec2.amazonaws.com"'
    ),
    "an escaped key": delivery([ONE]).replace(b'"eventSource"', b'"event\\u0053ource"'),
    "an escaped source": delivery([ONE]).replace(b'"iam.amazonaws.com"', b'"iam\\u002eamazonaws.com"'),
    "eventSource of another type": delivery([{**EC2, "eventSource": 7}, {**EC2, "eventSource": {"a": 1}}]),
    "STS with and without named calls": delivery(
        [{**ONE, "eventSource": "sts.amazonaws.com", "eventName": n} for n in ("AssumeRole", "GetSessionToken", 5)]
    ),
    "eventName of another type on STS, by a role and by the root user": delivery(
        [
            {**STS, "eventName": n, "userIdentity": u}
            for n in (["AssumeRole"], {"a": 1}, None)
            for u in (ONE["userIdentity"], ROOT)
        ]
    ),
    "eventName twice on STS": delivery([STS]).replace(
        b'"eventName": "AssumeRole"', b'"eventName": "AssumeRole", "eventName": "GetSessionToken"'
    ),
    "no eventSource": delivery([{k: v for k, v in ONE.items() if k != "eventSource"}]),
    # the root user's calls are taken in from any service; the identity is read only where "Root" may be
    "the root user in EC2, and a role in EC2": delivery([{**EC2, "userIdentity": ROOT}, EC2]),
    "an escaped Root": delivery([{**EC2, "userIdentity": ROOT}]).replace(b'"Root"', b'"R\\u006fot"'),
    "Root elsewhere than the identity": delivery([{**EC2, "requestParameters": {"type": "Root"}}]),
    "an identity that is not an object": delivery(
        [{**EC2, "userIdentity": v} for v in ("Root", ["Root"], None, 5, {"type": ["Root"]}, {"type": "root"})]
    ),
    "userIdentity twice, root last": delivery([EC2]).replace(
        b'"userIdentity": {', b'"userIdentity": {"type": "Root"}, "userIdentity": {', 1
    ),
    "userIdentity twice, root first": delivery([{**EC2, "userIdentity": ROOT}]).replace(
        b'"userIdentity": {', b'"userIdentity": {"type": "IAMUser"}, "userIdentity": {', 1
    ),
    "the root user's STS call that is not named": delivery([{**STS, "userIdentity": ROOT}, STS]),
    "a root record among records that are not objects": delivery([1, {**EC2, "userIdentity": ROOT}, "x"]),
    "wanted records that normalize refuses": delivery([{**ONE, "eventTime": "yesterday"}, {**ONE, "eventName": "x y"}]),
    "a wanted record nested too deep to normalize": delivery([{**ONE, "requestParameters": json.loads(deep(70))}]),
    # at the depth limit, where the fast reader's bracket count stops vouching for the record
    "wanted records nested up to and just past the limit": delivery(
        [{**ONE, "requestParameters": {"v": json.loads(b"[" * n + b"1" + b"]" * n)}} for n in range(60, 66)]
    ),
    "bare records whose bracket count is at the limit": b'{"Records":['
    + b",".join(deep(n)[:-1 - 2 * n] + b"[" * n + b"1" + b"]" * n + b"}" for n in range(61, 67))
    + b"]}",
    "an empty delivery": b'{"Records":[]}',
    "a delivery with other keys": b'{"a":{"b":[1,2]},"Records":[' + json.dumps(ONE).encode() + b'],"z":null}',
    "a JSON Lines file that starts like a delivery": GOOD + b"\n" + GOOD,
    "double gzip": gzip.compress(gzip.compress(GOOD)),
    "a digest file (log file validation)": digest_file()[1],
    "an S3 event notification": json.dumps(
        {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}}}]}
    ).encode(),
    "a CloudTrail Lake export row": json.dumps({"eventData": ONE, "eventTime": ONE["eventTime"]}).encode(),
    "a number": b"42",
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_input_gives_the_same_rejections(name):
    data = MALFORMED[name]
    same(data)
    same(gzip.compress(data))


def test_a_corrupt_gzip_stream_is_unreadable_in_both():
    for data in (b"\x1f\x8b garbage", gzip.compress(GOOD)[:20]):
        reference = read(events_from_bytes, data)
        assert reference[2] and "not a valid gzip file" in reference[2]
        assert read(fast_events_from_bytes, data) == reference


def test_the_fast_path_decodes_the_wanted_records_only(monkeypatch, fast_path_taken):
    data = delivery([EC2] * 50 + [ONE] + [EC2] * 50)
    assert len(same(data)) == 1
    decoded: list[Any] = []
    real = fast.orjson.loads
    monkeypatch.setattr(fast.orjson, "loads", lambda data: decoded.append(bytes(data)) or real(data))
    items, stats, _ = read(fast_events_from_bytes, data)
    assert len(items) == 1 and [json.loads(d) for d in decoded] == [ONE]
    assert (stats.records, stats.kept, stats.skipped) == (101, 1, 100)


def test_the_root_users_call_in_another_service_takes_the_fast_path(monkeypatch, fast_path_taken):
    """Only the record itself is decoded: its identity's type is read with the heads."""
    root = {**EC2, "userIdentity": ROOT}
    data = delivery([EC2] * 20 + [root] + [EC2] * 20)
    assert [i[2].actor.type for i in same(data)] == ["Root"]
    decoded: list[Any] = []
    real = fast.orjson.loads
    monkeypatch.setattr(fast.orjson, "loads", lambda data: decoded.append(bytes(data)) or real(data))
    read(fast_events_from_bytes, data)
    assert [json.loads(d) for d in decoded] == [root]


def test_without_the_wheels_the_reference_reader_is_used(monkeypatch):
    monkeypatch.setattr(fast, "FAST", False)
    calls = []
    real = fast.decode_plain
    monkeypatch.setattr(fast, "decode_plain", lambda data, where: calls.append(where) or real(data, where))
    same(GOOD)
    assert calls == ["input"]


# ---------------------------------------------------------------- anything at all


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=hostile_bytes(), gz=st.booleans(), wrap=st.booleans())
def test_any_bytes_read_the_same(data: bytes, gz: bool, wrap: bool) -> None:
    if wrap:  # the same damage inside an S3 delivery, where the fast path reads
        data = b'{"Records":[' + data + b"]}"
    same(gzip.compress(data) if gz else data)
