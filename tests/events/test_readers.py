"""Every shape CloudTrail reaches people in, read into events; bad input rejected, never fatal."""

from __future__ import annotations

import gzip
import json
import os
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog import load as load_catalog
from bot.events import (
    IamEvent,
    ReadStats,
    Rejected,
    Selection,
    UnreadableInput,
    decode_bytes,
    events_from_bytes,
    excerpt,
    is_root,
    iter_files,
    location,
    read_bytes,
    read_file,
    records_from_document,
)
from tests.support.records import DETONATIONS, FIXTURES, all_record_files, as_root, detonation, load

SELECTION = load_catalog().selection()


def read_all(path):
    stats = ReadStats()
    items = [i for f in iter_files([path]) for i in read_file(f, stats, SELECTION)]
    return items, stats


def from_bytes(data, selection=SELECTION):
    stats = ReadStats()
    return list(events_from_bytes(data, "input", stats, selection)), stats


def identity_records_in(path):
    """Counted independently of the readers: records of the sources the catalog selects, and the
    root user's in any service."""
    data = json.loads(path.read_text())
    records = data["Records"] if isinstance(data, dict) and "Records" in data else data
    records = records if isinstance(records, list) else [records]
    kept = [
        r
        for r in records
        if SELECTION.wants(r.get("eventSource"), r.get("eventName"))
        or (isinstance(r.get("userIdentity"), dict) and r["userIdentity"].get("type") == "Root")
    ]
    return kept, len(records)


def test_every_fixture_file_parses_without_rejections():
    items, stats = read_all(FIXTURES)
    assert not [i for i in items if isinstance(i, Rejected)]
    assert stats.rejected == 0 and stats.unreadable == 0
    assert stats.kept + stats.skipped == stats.records
    files = sorted(FIXTURES.rglob("*.json"))
    assert stats.files == len(files)
    counted = [identity_records_in(p) for p in files]
    assert stats.kept == sum(len(kept) for kept, _ in counted) == len(items)
    assert stats.records == sum(total for _, total in counted)
    # every record of records/ and authored/ is an identity event, and the detonation logs add more
    assert stats.kept > len(all_record_files()) - 3  # AssumeRole, GetPasswordData, StopLogging are not
    assert all(isinstance(i, IamEvent) and i.origin.startswith(str(FIXTURES)) for i in items)


def test_non_identity_records_are_counted_and_skipped():
    items, stats = read_all(DETONATIONS / "aws.credential-access.ec2-get-password-data.json")
    assert items == []
    assert stats.records == 34 and stats.skipped == 34 and stats.kept == 0 and stats.files == 1


def test_sts_is_read_only_for_the_named_calls():
    assert "sts.amazonaws.com" in SELECTION.named
    assert "sts.amazonaws.com" not in SELECTION.sources
    routine = load("AssumeRole__stratus__1.json")
    named = load("AssumeRoleWithSAML__awsdocs__1.json")
    items, stats = from_bytes(json.dumps([routine, named]).encode())
    assert [i.event_name for i in items] == ["AssumeRoleWithSAML"]
    assert stats.skipped == 1 and stats.kept == 1
    assert SELECTION.wants("sts.amazonaws.com", "AssumeRoot")
    assert not SELECTION.wants("sts.amazonaws.com", "AssumeRole")
    assert SELECTION.every_source >= {"iam.amazonaws.com", "sts.amazonaws.com", "signin.amazonaws.com"}


def test_a_record_of_an_unselected_source_is_skipped_and_odd_ones_are_normalized():
    ec2 = dict(load("CreateUser__stratus__1.json"), eventSource="ec2.amazonaws.com")
    no_source = {k: v for k, v in load("CreateUser__stratus__1.json").items() if k != "eventSource"}
    items, stats = from_bytes(json.dumps([ec2, no_source, "text"]).encode())
    # a record without a source, or that is not an object, cannot be skipped as "another service"
    assert [type(i).__name__ for i in items] == ["Rejected", "Rejected"]
    assert items[0].reason == "CreateUser record has no eventSource"
    assert items[1].reason == "expected a JSON object, got str"
    assert stats.skipped == 1 and stats.rejected == 2 and stats.records == 3


def test_the_root_users_calls_are_taken_in_from_any_service():
    """The measured gap of issue 21: root in EC2 (RunInstances) or S3 (PutBucketPolicy) was skipped."""
    run = detonation("aws.execution.ec2-launch-unusual-instances.json", "RunInstances")
    policy = load("PutBucketPolicy__authored__1.json")
    items, stats = from_bytes(json.dumps([as_root(run), policy, run]).encode())
    assert [(i.event_source, i.event_name, i.actor.type) for i in items] == [
        ("ec2.amazonaws.com", "RunInstances", "Root"),
        ("s3.amazonaws.com", "PutBucketPolicy", "Root"),
    ]
    assert stats.kept == 2 and stats.skipped == 1  # the role's RunInstances is another service's record
    assert SELECTION.keeps(as_root(run)) and SELECTION.keeps(policy) and not SELECTION.keeps(run)


@pytest.mark.parametrize("identity", ["Root", ["Root"], None, 7, {"type": "root"}, {"type": ["Root"]}, {}])
def test_only_an_identity_of_type_root_is_the_root_user(identity):
    run = detonation("aws.execution.ec2-launch-unusual-instances.json", "RunInstances")
    record = {**run, "userIdentity": identity}
    assert not is_root(identity) and not SELECTION.keeps(record)
    items, stats = from_bytes(json.dumps(record).encode())
    assert items == [] and stats.skipped == 1
    assert not SELECTION.keeps("text") and not SELECTION.keeps(None)


@pytest.mark.parametrize("source", [["iam.amazonaws.com"], {"a": 1}])
def test_unhashable_event_source_is_rejected_not_fatal(source):
    """Once a TypeError that stopped the whole read (readers.py, fixed during issue 9)."""
    record = dict(load("CreateUser__stratus__1.json"), eventSource=source)
    items, stats = from_bytes(json.dumps([record, load("CreateUser__panther__1.json")]).encode())
    assert isinstance(items[0], Rejected) and "eventSource" in items[0].reason
    assert items[1].event_name == "CreateUser"
    assert stats.rejected == 1 and stats.kept == 1


def test_selection_wants_is_total():
    assert SELECTION.wants(["sts.amazonaws.com"], "AssumeRoot") is False
    assert SELECTION.wants({"a": 1}, "CreateUser") is False
    assert SELECTION.wants("sts.amazonaws.com", ["AssumeRoot"]) is False


def envelope(record, detail_type="AWS API Call via CloudTrail"):
    return {
        "version": "0",
        "id": "e1",
        "detail-type": detail_type,
        "source": "aws.iam",
        "account": "763751499319",
        "detail": record,
    }


def test_every_input_shape(tmp_path):
    record = load("UpdateLoginProfile__stratus__1.json")
    other = load("CreateUser__stratus__1.json")
    shapes = {
        "single": json.dumps(record).encode(),
        "s3": json.dumps({"Records": [record, other]}).encode(),
        "array": json.dumps([record, other]).encode(),
        "jsonl": (json.dumps(record) + "\n\n" + json.dumps(other) + "\n").encode(),
        "eventbridge": json.dumps(envelope(record)).encode(),
        "eventbridge-lines": (json.dumps(envelope(record)) + "\n" + json.dumps(envelope(record)) + "\n").encode(),
        "array-of-s3": json.dumps([{"Records": [record]}, {"Records": [other]}]).encode(),
        "gzip": gzip.compress(json.dumps({"Records": [record, other]}).encode()),
    }
    expected = {
        "single": 1,
        "s3": 2,
        "array": 2,
        "jsonl": 2,
        "eventbridge": 1,
        "eventbridge-lines": 2,
        "array-of-s3": 2,
        "gzip": 2,
    }
    for name, data in shapes.items():
        items, stats = from_bytes(data)
        assert [type(i).__name__ for i in items] == ["IamEvent"] * expected[name], name
        assert items[0].event_name == "UpdateLoginProfile"
        assert stats.kept == expected[name] and stats.rejected == 0
        (tmp_path / f"{name}.json.gz" if name == "gzip" else tmp_path / f"{name}.json").write_bytes(data)
    items, stats = read_all(tmp_path)
    assert stats.files == len(shapes) and stats.kept == sum(expected.values())


def test_console_sign_in_envelope():
    record = load("ConsoleLogin__awsdocs__1.json")
    items, _ = from_bytes(json.dumps(envelope(record, "AWS Console Signin via CloudTrail")).encode())
    assert [(i.event_source, i.event_name) for i in items] == [("signin.amazonaws.com", "ConsoleLogin")]


def test_origin_names_the_file_line_and_index():
    record = load("CreateUser__stratus__1.json")
    items, _ = from_bytes(json.dumps({"Records": [record, record]}).encode())
    assert [i.origin for i in items] == ["input[0]", "input[1]"]
    lines = (json.dumps(record) + "\n" + json.dumps([record, record]) + "\n").encode()
    items, _ = from_bytes(lines)
    assert [i.origin for i in items] == ["input:1", "input:2[0]", "input:2[1]"]
    assert location(("f.json", None, None)) == "f.json"
    assert location(("f.json", 3, 0)) == "f.json:3[0]"


def test_malformed_lines_are_rejected_and_the_rest_read():
    good = json.dumps(load("CreateUser__stratus__1.json"))
    data = f'{good}\n{{"eventName": "CreateUser", "eventSource": \n{good}\n[1, 2]\n'.encode()
    items, stats = from_bytes(data)
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len([i for i in items if not isinstance(i, Rejected)]) == 2
    assert [r.where for r in rejected] == ["input:2", "input:4[0]", "input:4[1]"]
    assert "not valid JSON" in rejected[0].reason
    assert rejected[0].excerpt == '{"eventName": "CreateUser", "eventSource": '
    assert "expected a JSON object" in rejected[1].reason
    assert stats.rejected == 3


def test_a_single_broken_document_is_one_rejection():
    items, stats = from_bytes(b'{"Records": [')
    assert len(items) == 1 and isinstance(items[0], Rejected)
    assert items[0].where == "input" and items[0].reason.startswith("not valid JSON")
    assert stats.rejected == 1 and stats.records == 0


def test_empty_input_yields_nothing():
    for data in (b"", b"  \n\n", gzip.compress(b"")):
        assert from_bytes(data) == ([], ReadStats())


def test_record_with_bad_time_is_rejected_with_reason():
    record = dict(load("CreateUser__stratus__1.json"), eventTime="last tuesday")
    items, _ = from_bytes(json.dumps([record, load("CreateUser__panther__1.json")]).encode())
    assert isinstance(items[0], Rejected)
    assert items[0].reason == "eventTime 'last tuesday' is not a time"
    assert str(items[0]).startswith("input[0]: ")
    assert '"eventTime":"last tuesday"' in items[0].excerpt
    assert items[1].event_name == "CreateUser"


def test_unreadable_inputs(tmp_path):
    with pytest.raises(UnreadableInput, match="no such file"):
        list(iter_files([tmp_path / "missing.json"]))
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"\x1f\x8b" + b"not gzip at all")
    with pytest.raises(UnreadableInput, match=r"bad\.json\.gz: not a valid gzip"):
        list(read_file(bad, ReadStats(), SELECTION))
    with pytest.raises(UnreadableInput, match="not a valid gzip"):
        list(decode_bytes(b"\x1f\x8b\x08\x00garbage", "x.gz"))


def test_a_path_that_cannot_be_read_names_itself(tmp_path):
    folder = tmp_path / "folder.json"
    folder.mkdir()
    stats = ReadStats()
    with pytest.raises(UnreadableInput, match=r"folder\.json: Is a directory"):
        list(read_file(folder, stats, SELECTION))
    assert stats.files == 0


def test_a_file_over_the_ceiling_is_refused_by_name(tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 1025)
    with pytest.raises(UnreadableInput, match=r"big\.json: more than 1 KiB; not read$"):
        read_bytes(big, limit=1024)
    big.write_bytes(b" " * 1024)
    assert read_bytes(big, limit=1024) == b" " * 1024


def test_a_file_that_grows_while_read_is_read_whole_and_still_bounded(tmp_path, monkeypatch):
    """The size checked first is out of date when a file grows (a log still being written)."""
    real = os.fstat

    class Stale:
        st_size = 10

    monkeypatch.setattr("bot.events.readers.os.fstat", lambda fd: Stale if fd > 2 else real(fd))
    grown = tmp_path / "grown.json"
    grown.write_bytes(b"x" * 500)
    assert read_bytes(grown, limit=1024) == b"x" * 500
    grown.write_bytes(b"x" * 2000)
    with pytest.raises(UnreadableInput, match=r"grown\.json: more than 1 KiB; not read$"):
        read_bytes(grown, limit=1024)


def test_a_pipe_is_read_to_its_end(tmp_path):
    """`aws s3 cp s3://…/file.json.gz - | iambot triage /dev/stdin`: a pipe has no size to check first."""
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    record = json.dumps(load("UpdateAccessKey__authored__1.json")).encode()

    def write() -> None:
        with fifo.open("wb") as w:
            w.write(record + b"\n")

    writer = threading.Thread(target=write)
    writer.start()
    stats = ReadStats()
    items = list(read_file(fifo, stats, SELECTION))
    writer.join(5)
    assert [i.event_name for i in items] == ["UpdateAccessKey"] and stats.kept == 1


def test_iter_files_walks_folders_sorted_and_skips_other_files(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ("b/2.json", "a.json.gz", "c.jsonl", "d.ndjson", ".hidden.json", "notes.txt", "b/1.json"):
        (tmp_path / name).write_text("{}")
    single = tmp_path / "notes.txt"
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path, single])]
    assert found == ["a.json.gz", "b/1.json", "b/2.json", "c.jsonl", "d.ndjson", "notes.txt"]


def test_records_from_document_shapes():
    assert list(records_from_document({"Records": [1, 2]})) == [1, 2]
    assert list(records_from_document({"detail-type": "x", "detail": {"a": 1}})) == [{"a": 1}]
    assert list(records_from_document([{"Records": [1]}, {"b": 2}])) == [1, {"b": 2}]
    assert list(records_from_document({"Records": "no"})) == [{"Records": "no"}]
    assert list(records_from_document(5)) == [5]


def test_excerpt_is_short_whatever_the_input():
    assert excerpt(b"x" * 1000) == "x" * 200
    assert excerpt("y" * 1000) == "y" * 200
    assert excerpt({"a": 1}) == '{"a":1}'
    assert excerpt(b"\xff\xfe") == "\ufffd\ufffd"
    assert len(excerpt({"k": "v" * 500})) == 200


def test_read_stats_add():
    total = ReadStats(records=1, kept=1)
    total.add(ReadStats(records=2, kept=1, skipped=1, rejected=3, files=4, unreadable=5))
    assert total == ReadStats(records=3, kept=2, skipped=1, rejected=3, files=4, unreadable=5)


def test_selection_with_nothing_selected_skips_everything():
    nothing = Selection(frozenset(), {})
    items, stats = from_bytes(json.dumps(load("CreateUser__stratus__1.json")).encode(), nothing)
    assert items == [] and stats.skipped == 1


SEED_RECORDS = [
    r for r in (load(f.name) for f in all_record_files()) if SELECTION.wants(r["eventSource"], r["eventName"])
]


def _truncations(data: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(0, len(data)).map(lambda n: data[:n])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEED_RECORDS).flatmap(lambda r: _truncations(json.dumps(r).encode())))
def test_truncated_input_never_crashes(data):
    items, stats = from_bytes(data)
    assert all(isinstance(i, Rejected) or i.event_name for i in items)
    assert stats.kept + stats.rejected == len(items)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEED_RECORDS).flatmap(lambda r: _truncations(gzip.compress(json.dumps(r).encode()))))
def test_truncated_gzip_is_unreadable_or_read(data):
    try:
        items, _ = from_bytes(data)
    except UnreadableInput as exc:
        assert "input: not a valid gzip file" in str(exc)
    else:
        assert all(isinstance(i, Rejected) or i.event_name for i in items)
