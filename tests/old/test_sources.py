"""SQS (moto), LookupEvents (Stubber: moto has no lookup_events), and files/S3 (moto)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from botocore.stub import Stubber

from bot.sources.cloudtrail import LookupPoller
from bot.sources.files import ingest
from bot.sources.sqs import SqsSource
from bot.store import Store
from tests.conftest import as_account, load


def envelope(record: dict) -> str:
    """What EventBridge puts on the queue for a CloudTrail API call (moto leaves out `account`)."""
    return json.dumps(
        {
            "version": "0",
            "id": "6f8a2c1e-0000-4000-8000-000000000001",
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.iam",
            "time": record["eventTime"],
            "region": "us-east-1",
            "resources": [],
            "detail": record,
        }
    )


@pytest.fixture
def queue(aws):
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="iambot-events", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    return sqs, url


def test_sqs_redelivery_stores_and_posts_once(runtime, slack, queue):
    sqs, url = queue
    body = envelope(as_account(load("UpdateAccessKey__authored__1.json")))
    sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message(QueueUrl=url, MessageBody=body)  # EventBridge delivers at least once
    source = SqsSource(sqs, url, runtime.service.ingest, runtime.store, wait_seconds=0)
    total = 0
    for _ in range(3):
        total += source.poll_once().events
    assert total == 2
    assert runtime.store.count("events") == 1
    assert len(slack.posted()) == 1
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None  # both deleted


def test_sqs_crash_between_commit_and_delete_loses_nothing_and_posts_once(runtime, slack, queue, monkeypatch):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=envelope(as_account(load("UpdateAccessKey__authored__1.json"))))
    source = SqsSource(sqs, url, runtime.service.ingest, runtime.store, wait_seconds=0)

    def crash(**kwargs):
        raise SystemExit("killed after commit, before delete")

    monkeypatch.setattr(sqs, "delete_message_batch", crash)
    with pytest.raises(SystemExit):
        source.poll_once()
    assert runtime.store.count("events") == 1  # committed
    monkeypatch.undo()
    stats = source.poll_once()  # the message comes back (visibility timeout 0 here)
    assert stats.messages == 1 and stats.deleted == 1
    assert runtime.store.count("events") == 1
    assert len(slack.posted()) == 1


def test_sqs_sink_failure_keeps_the_message(runtime, queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=envelope(as_account(load("UpdateAccessKey__authored__1.json"))))

    def broken(events):
        raise RuntimeError("database is locked")

    with pytest.raises(RuntimeError):
        SqsSource(sqs, url, broken, runtime.store, wait_seconds=0).poll_once()
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1  # not deleted: SQS redelivers


def test_sqs_unparseable_message_is_rejected_and_deleted(runtime, queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    stats = SqsSource(sqs, url, runtime.service.ingest, runtime.store, wait_seconds=0).poll_once()
    assert stats.rejected == 1 and stats.deleted == 1
    row = runtime.store.row("SELECT * FROM rejected")
    assert row["source"] == "sqs" and row["where_"].startswith("sqs:")


def test_sqs_from_a_real_eventbridge_rule(runtime, slack, aws, queue):
    """moto's EventBridge → SQS delivery (without `account`: we read detail.recipientAccountId)."""
    sqs, url = queue
    events = aws.client("events")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"]}
    events.put_rule(Name="iambot-iam", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="iambot-iam", Targets=[{"Id": "q", "Arn": arn}])
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    events.put_events(
        Entries=[{"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(record)}]
    )
    stats = SqsSource(sqs, url, runtime.service.ingest, runtime.store, wait_seconds=0).poll_once()
    assert stats.events == 1
    assert runtime.store.row("SELECT account_id FROM events")["account_id"] == "123456789012"
    assert len(slack.posted()) == 1


# ---------------------------------------------------------------- LookupEvents


def lookup_item(record: dict) -> dict:
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "EventTime": datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")),
        "EventSource": record["eventSource"],
        "CloudTrailEvent": json.dumps(record),
    }


def record_at(name: str, when: datetime, event_id: str) -> dict:
    r = as_account(load(name))
    r["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    r["eventID"] = event_id
    return r


class Clock:
    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def test_lookup_pages_cursor_overlap_and_restart(aws_session, tmp_path):
    ct = aws_session.client("cloudtrail", region_name="us-east-1")
    store = Store(tmp_path / "s.db")
    got: list = []
    clock = Clock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    sleeps: list[float] = []
    mono = iter(float(i) * 0.1 for i in range(1000))

    def make():
        return LookupPoller(
            ct,
            store,
            got.extend,
            overlap=timedelta(minutes=20),
            clock=clock,
            sleep=sleeps.append,
            monotonic=lambda: next(mono),
        )

    t = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    a = record_at("UpdateAccessKey__authored__1.json", t, "evt-a")
    b = record_at("UpdateLoginProfile__authored__1.json", t + timedelta(minutes=5), "evt-b")
    late = record_at("UploadSigningCertificate__authored__1.json", t + timedelta(minutes=20), "evt-late")
    c = record_at("UpdateAccessKey__authored__2.json", t + timedelta(minutes=40), "evt-c")
    with Stubber(ct) as stub:
        attrs = [{"AttributeKey": "EventSource", "AttributeValue": "iam.amazonaws.com"}]
        first = {
            "LookupAttributes": attrs,
            "StartTime": clock.t - timedelta(hours=1),
            "EndTime": clock.t,
            "MaxResults": 50,
        }
        stub.add_response("lookup_events", {"Events": [lookup_item(b)], "NextToken": "p2"}, first)
        stub.add_response("lookup_events", {"Events": [lookup_item(a)]}, {**first, "NextToken": "p2"})
        stats = make().poll()
        assert stats.pages == 2 and stats.events == 2
        assert store.cursor("lookup-events") == "2026-11-22T09:35:00Z"
        assert sleeps and all(0 < s <= 0.5 for s in sleeps)  # no faster than 2 requests a second

        # restart: a new poller resumes from the stored cursor minus the overlap; a late event
        # (delivered after the last poll, timed before the cursor) and a repeat both come back
        clock.t = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
        second = {**first, "StartTime": datetime(2026, 11, 22, 9, 15, tzinfo=UTC), "EndTime": clock.t}
        second.pop("NextToken", None)
        stub.add_response("lookup_events", {"Events": [lookup_item(c), lookup_item(late), lookup_item(b)]}, second)
        make().poll()
        stub.assert_no_pending_responses()
    assert store.cursor("lookup-events") == "2026-11-22T10:10:00Z"
    ids = [e.event_id for e in got]
    assert sorted(set(ids)) == ["evt-a", "evt-b", "evt-c", "evt-late"]  # nothing missed
    # the store keeps each once: repeats from the overlap window do not alert twice
    from bot.triage import Assessor

    assert len(store.add_alerts(Assessor()(e) for e in got)) == 4


def test_lookup_crash_before_commit_does_not_move_the_cursor(aws_session, tmp_path):
    ct = aws_session.client("cloudtrail", region_name="us-east-1")
    store = Store(tmp_path / "s.db")
    clock = Clock(datetime(2026, 11, 22, 10, 0, tzinfo=UTC))
    r = record_at("UpdateAccessKey__authored__1.json", datetime(2026, 11, 22, 9, 50, tzinfo=UTC), "evt-a")

    def broken(events):
        raise RuntimeError("disk full")

    with Stubber(ct) as stub:
        stub.add_response("lookup_events", {"Events": [lookup_item(r)]})
        with pytest.raises(RuntimeError):
            LookupPoller(ct, store, broken, clock=clock, sleep=lambda s: None).poll()
    assert store.cursor("lookup-events") is None


# ---------------------------------------------------------------- files and S3


def test_ingest_s3_prefix_once_and_backfill_is_not_posted(runtime_for, slack, aws):
    runtime = runtime_for(backfill_hours=48)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="org-trail")
    now = runtime.service.clock()
    fresh = record_at("UpdateAccessKey__authored__1.json", now - timedelta(minutes=5), "evt-fresh")
    old = record_at("UpdateLoginProfile__authored__1.json", now - timedelta(days=30), "evt-old")
    noise = {**fresh, "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole", "eventID": "evt-sts"}
    key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/123456789012_CloudTrail_us-east-1_x.json.gz"
    s3.put_object(Bucket="org-trail", Key=key, Body=gzip.compress(orjson.dumps({"Records": [fresh, old, noise]})))
    s3.put_object(Bucket="org-trail", Key="AWSLogs/123456789012/CloudTrail-Digest/x.txt", Body=b"ignored")
    stats = ingest("s3://org-trail/AWSLogs/", runtime.store, runtime.service.ingest, s3=s3)
    assert (stats.objects, stats.read.records, stats.read.iam) == (1, 3, 2)
    dispositions = dict(
        (r["disposition"], r["n"]) for r in runtime.store.rows("SELECT disposition, COUNT(*) n FROM alerts GROUP BY 1")
    )
    assert dispositions == {"posted": 1, "backfill": 1}
    assert len(slack.posted()) == 1
    again = ingest("s3://org-trail/AWSLogs/", runtime.store, runtime.service.ingest, s3=s3)
    assert (again.objects, again.skipped) == (0, 1)
