"""`iambot ingest TARGET`: CloudTrail files (a folder, a file or an S3 prefix) into the store, each
read once; with Slack settings what is new is posted, without them it waits in the outbox — and
alerts taken in before any channel was configured are posted once one is."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from bot.runtime.wiring import build
from bot.store import Store
from remediations.aws import Aws
from tests.conftest import ALERTS, APPROVER
from tests.support.cli import clean_environment, invoke, one_line_error
from tests.support.slack_fake import SECRET
from tests.support.sources import record_at


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("IAMBOT_DB", str(tmp_path / "iambot.db"))


@pytest.fixture
def logs(tmp_path):
    """A folder with one delivery: a fresh event, one from 30 days ago, and a record of another service."""
    folder = tmp_path / "logs"
    folder.mkdir()
    now = datetime.now(UTC)
    fresh = record_at("UpdateAccessKey__authored__1.json", now - timedelta(minutes=5), "evt-fresh")
    old = record_at("UpdateLoginProfile__authored__1.json", now - timedelta(days=30), "evt-old")
    noise = {**fresh, "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "eventID": "evt-ec2"}
    (folder / "one.json.gz").write_bytes(gzip.compress(orjson.dumps({"Records": [fresh, old, noise]})))
    return folder


def with_slack(monkeypatch, slack):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-not-a-real-token")
    monkeypatch.setenv("SLACK_API_URL", slack.url + "/api/")
    monkeypatch.setenv("IAMBOT_ALERT_CHANNEL", ALERTS)


def said(result) -> str:
    assert result.exit_code == 0, result.stderr
    return " ".join(result.stdout.split())


def test_ingest_posts_what_is_new_and_reads_each_file_once(monkeypatch, slack, logs):
    with_slack(monkeypatch, slack)
    first = said(invoke("ingest", str(logs)))
    assert "Read 1 file(s) (0 already read): 3 record(s), 2 identity event(s), 2 new." in first
    assert "1 backfill, 1 posted" in first  # older than backfill_hours: stored and counted, not posted
    [posted] = slack.posted(ALERTS)
    assert "legacy-etl" in posted["text"]
    again = said(invoke("ingest", str(logs)))
    assert "Read 0 file(s) (1 already read)" in again and "Posted 0 message(s)" in again
    assert len(slack.posted()) == 1


def test_ingest_says_how_many_messages_it_posted(monkeypatch, slack, logs):
    with_slack(monkeypatch, slack)
    out = said(invoke("ingest", str(logs)))
    assert len(slack.posted()) == 1
    assert "Posted 1 message(s)" in out


def test_without_slack_settings_alerts_wait_and_are_posted_once_a_channel_is_set(logs, slack, tmp_path, aws):
    out = said(invoke("ingest", str(logs)))
    assert "Posted 0 message(s); 0 wait in the outbox for `iambot run` (no SLACK_BOT_TOKEN)" in out
    assert "1 wait for a channel (IAMBOT_ALERT_CHANNEL or routes)" in out
    assert "1 backfill, 1 unrouted" in out
    assert slack.calls == []
    store = Store(tmp_path / "iambot.db")
    [key] = store.alerts.unrouted()
    assert store.outbox.get(f"alert:{key}").channel == ""
    store.close()

    # later, `iambot run` with a channel: what waited is posted, once
    from bot.config.settings import given

    settings = given(
        SLACK_BOT_TOKEN="xoxb-test-not-a-real-token",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url + "/api/",
        IAMBOT_DB=str(tmp_path / "iambot.db"),
        IAMBOT_ALERT_CHANNEL=ALERTS,
        IAMBOT_APPROVERS=APPROVER,
        channel_interval_seconds=0,
    )
    runtime = build(settings, aws=Aws.from_settings(settings, aws))
    try:
        assert runtime.workflow.intake.reroute() == 1
        assert runtime.workflow.intake.reroute() == 0
        [posted] = slack.posted(ALERTS)
        assert "legacy-etl" in posted["text"]
        assert runtime.store.alerts.dispositions() == {"backfill": 1, "posted": 1}
    finally:
        runtime.store.close()


def test_ingest_an_s3_prefix(monkeypatch, slack, aws):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with_slack(monkeypatch, slack)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="org-trail")
    record = record_at("UpdateAccessKey__authored__1.json", datetime.now(UTC), "evt-s3")
    key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/123456789012_CloudTrail_us-east-1_x.json.gz"
    s3.put_object(Bucket="org-trail", Key=key, Body=gzip.compress(orjson.dumps({"Records": [record]})))
    out = said(invoke("ingest", "s3://org-trail/AWSLogs/"))
    assert "Read 1 file(s) (0 already read): 1 record(s), 1 identity event(s), 1 new." in out
    assert "All alerts so far: 1 posted." in out
    assert len(slack.posted(ALERTS)) == 1


def test_a_missing_bucket_is_exit_2_naming_it(monkeypatch, aws):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    line = one_line_error(invoke("ingest", "s3://no-such-bucket/AWSLogs/"))
    assert "could not read s3://no-such-bucket/AWSLogs/" in line and "NoSuchBucket" in line


def test_a_missing_path_is_exit_2(tmp_path):
    line = one_line_error(invoke("ingest", str(tmp_path / "nope")))
    assert "nope: no such file or directory" in line


def test_a_corrupt_file_is_reported_and_not_marked_read(tmp_path):
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(b"\x1f\x8b garbage")
    result = invoke("ingest", str(bad))
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    assert f"iambot: skipped {bad.resolve()}: " in result.stderr and "not a valid gzip file" in result.stderr
    assert "Read 1 file(s) (0 already read)" in said(invoke("ingest", str(bad)))  # tried again


@pytest.mark.parametrize("kind", ["directory", "not sqlite"])
def test_an_unusable_database_is_exit_2(monkeypatch, tmp_path, logs, kind):
    path = tmp_path / "db"
    if kind == "directory":
        path.mkdir()
    else:
        path.write_text("not a database\n" * 10)
    monkeypatch.setenv("IAMBOT_DB", str(path))
    line = one_line_error(invoke("ingest", str(logs)))
    assert str(path) in line
