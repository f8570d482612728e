"""CloudTrail log files from a folder or an S3 prefix (moto): each read once, events older than
backfill_hours stored and counted but not posted, an unreadable file kept for the next time."""

from __future__ import annotations

import gzip
import os
import threading
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from bot.catalog import load as load_catalog
from bot.sources import Deps, FilesSource
from tests.conftest import ALERTS
from tests.support.sources import digest_file, record_at

PREFIX = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/"


def deps(runtime):
    return Deps(runtime.aws, runtime.workflow.intake, runtime.store, load_catalog().selection())


def log(*records) -> bytes:
    return gzip.compress(orjson.dumps({"Records": list(records)}))


def test_ingest_s3_prefix_once_and_backfill_is_not_posted(runtime_for, slack, aws):
    runtime = runtime_for(backfill_hours=48)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="org-trail")
    now = datetime.now(UTC)
    fresh = record_at("UpdateAccessKey__authored__1.json", now - timedelta(minutes=5), "evt-fresh")
    old = record_at("UpdateLoginProfile__authored__1.json", now - timedelta(days=30), "evt-old")
    noise = {**fresh, "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "eventID": "evt-sts"}
    key = PREFIX + "123456789012_CloudTrail_us-east-1_x.json.gz"
    s3.put_object(Bucket="org-trail", Key=key, Body=log(fresh, old, noise))
    s3.put_object(Bucket="org-trail", Key="AWSLogs/123456789012/CloudTrail-Digest/x.txt", Body=b"ignored")
    stats = FilesSource("s3://org-trail/AWSLogs/", deps(runtime)).ingest()
    assert (stats.objects, stats.read.records, stats.read.kept, stats.read.skipped) == (1, 3, 2, 1)
    assert stats.new == 2 and stats.rejected == []
    assert runtime.store.alerts.dispositions() == {"posted": 1, "backfill": 1}
    [posted] = slack.posted(ALERTS)
    assert "legacy-etl" in posted["text"]
    again = FilesSource("s3://org-trail/AWSLogs/", deps(runtime)).ingest()
    assert (again.objects, again.skipped, again.new) == (0, 1, 0)
    assert len(slack.posted()) == 1


def test_cloudtrail_digest_files_are_not_read_as_logs(runtime, aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="org-trail")
    s3.put_object(Bucket="org-trail", Key=PREFIX + "a.json.gz",
                  Body=log(record_at("UpdateAccessKey__authored__1.json", datetime.now(UTC), "evt-1")))
    key, body = digest_file()
    s3.put_object(Bucket="org-trail", Key=key, Body=body)
    stats = FilesSource("s3://org-trail/AWSLogs/", deps(runtime)).ingest()
    assert stats.new == 1
    assert stats.rejected == [] and runtime.store.rejected.count() == 0
    assert stats.objects == 1


def test_a_new_object_under_the_prefix_is_read_on_the_next_poll(runtime, slack, aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="org-trail")
    now = datetime.now(UTC)
    s3.put_object(Bucket="org-trail", Key=PREFIX + "a.json.gz",
                  Body=log(record_at("UpdateAccessKey__authored__1.json", now, "evt-1")))
    src = FilesSource("s3://org-trail/AWSLogs/", deps(runtime))
    assert src.ingest().objects == 1
    s3.put_object(Bucket="org-trail", Key=PREFIX + "b.json.gz",
                  Body=log(record_at("UpdateLoginProfile__authored__1.json", now, "evt-2")))
    result = src.poll(threading.Event())
    assert (result.received, result.events) == (1, 1)
    assert len(slack.posted(ALERTS)) == 2


def test_an_oversized_object_or_a_gzip_bomb_is_rejected_by_name_and_the_rest_read(runtime, aws, monkeypatch):
    import bot.events.model
    import bot.sources.files

    monkeypatch.setattr(bot.sources.files, "MAX_INPUT_BYTES", 64 << 10)
    monkeypatch.setattr(bot.events.model, "MAX_INPUT_BYTES", 1 << 20)  # gunzip's ceiling
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="org-trail")
    s3.put_object(Bucket="org-trail", Key=PREFIX + "a.json", Body=b" " * (65 << 10))
    s3.put_object(Bucket="org-trail", Key=PREFIX + "b.json.gz", Body=gzip.compress(b" " * (2 << 20)))
    s3.put_object(Bucket="org-trail", Key=PREFIX + "c.json.gz",
                  Body=log(record_at("UpdateAccessKey__authored__1.json", datetime.now(UTC), "evt-1")))
    stats = FilesSource("s3://org-trail/AWSLogs/", deps(runtime)).ingest()
    assert stats.new == 1
    reasons = sorted(r.reason for r in stats.rejected)
    assert reasons == [
        f"s3://org-trail/{PREFIX}a.json: more than 64 KiB; not read",
        f"s3://org-trail/{PREFIX}b.json.gz: more than 1 MiB once decompressed; not read",
    ]
    assert runtime.store.rejected.count() == 2


def test_a_folder_is_read_once_and_a_changed_file_again(runtime, slack, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    now = datetime.now(UTC)
    first = folder / "one.json.gz"
    first.write_bytes(log(record_at("UpdateAccessKey__authored__1.json", now, "evt-1")))
    (folder / "notes.txt").write_text("not a log")
    stats = FilesSource(str(folder), deps(runtime)).ingest()
    assert (stats.objects, stats.new, stats.read.files) == (1, 1, 1)
    assert FilesSource(str(folder), deps(runtime)).ingest().skipped == 1
    # CloudTrail never rewrites a file, but a person may: a changed file is read again, and the
    # store turns what it already has into nothing
    first.write_bytes(log(record_at("UpdateAccessKey__authored__1.json", now, "evt-1"),
                          record_at("UpdateLoginProfile__authored__1.json", now, "evt-2")))
    os.utime(first, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns + 10**9))
    changed = FilesSource(str(folder), deps(runtime)).ingest()
    assert (changed.objects, changed.new) == (1, 1)
    assert runtime.store.events.count() == 2
    assert len(slack.posted(ALERTS)) == 2


def test_an_unreadable_file_is_reported_and_read_once_fixed(runtime, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    bad = folder / "bad.json.gz"
    bad.write_bytes(b"\x1f\x8b garbage")
    stats = FilesSource(str(folder), deps(runtime)).ingest()
    assert stats.objects == 1 and stats.new == 0
    [rejected] = stats.rejected
    assert rejected.where == str(bad.resolve()) and "not a valid gzip file" in rejected.reason
    assert runtime.store.rejected.count() == 1
    bad.write_bytes(log(record_at("UpdateAccessKey__authored__1.json", datetime.now(UTC), "evt-1")))
    fixed = FilesSource(str(folder), deps(runtime)).ingest()
    assert (fixed.objects, fixed.skipped, fixed.new) == (1, 0, 1)  # not marked as read before


def test_bad_records_are_rejected_and_the_rest_read(runtime, tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = record_at("UpdateAccessKey__authored__1.json", datetime.now(UTC), "evt-1")
    path.write_bytes(orjson.dumps(good) + b"\n{broken\n")
    stats = FilesSource(str(path), deps(runtime)).ingest()
    assert stats.new == 1
    [rejected] = stats.rejected
    assert rejected.where.endswith("mixed.jsonl:2") and "not valid JSON" in rejected.reason
    assert runtime.store.rejected.recent()[0]["source"] == "files"


def test_a_bad_s3_target_is_refused(runtime):
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        FilesSource("s3:///no-bucket", deps(runtime))


def test_the_watch_setting_makes_a_source_and_its_permissions(runtime_for):
    off = runtime_for()
    assert FilesSource.from_settings(off.settings, deps(off)) is None
    on = runtime_for(watch="s3://org-trail/AWSLogs/", watch_interval_seconds=600,
                     trail_kms_keys=["arn:aws:kms:us-east-1:123456789012:key/k"])
    src = FilesSource.from_settings(on.settings, deps(on))
    assert src.target == "s3://org-trail/AWSLogs/" and src.interval == 600
    actions = {a: s["Resource"] for s in FilesSource.permissions(on.settings) for a in s["Action"]}
    assert actions == {
        "s3:ListBucket": ["arn:aws:s3:::org-trail"],
        "s3:GetObject": ["arn:aws:s3:::org-trail/*"],
        "kms:Decrypt": ["arn:aws:kms:us-east-1:123456789012:key/k"],
    }
