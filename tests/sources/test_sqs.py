"""The SQS source (moto): EventBridge deliveries and S3 event notifications, each message's
events committed before it is deleted; what cannot be read is kept for a person, never dropped."""

from __future__ import annotations

import gzip
import json
import threading

import orjson
import pytest

from bot.catalog import load as load_catalog
from bot.sources import Deps, SqsSource
from bot.store import StoreBusy
from tests.conftest import ALERTS
from tests.support.records import as_account, envelope, load
from tests.support.sources import digest_file, object_created, s3_notification, through_sns

LOG_KEY = (
    "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/123456789012_CloudTrail_us-east-1_20261122T1000Z_a.json.gz"
)


@pytest.fixture
def queue(aws):
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="iambot-events", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    return sqs, url


def deps(runtime, sink=None):
    return Deps(runtime.aws, sink or runtime.workflow.intake, runtime.store, load_catalog().selection())


def source(runtime, queue, sink=None, **kw):
    sqs, url = queue
    kw.setdefault("s3", runtime.aws.client("s3"))
    return SqsSource(sqs, url, deps(runtime, sink), wait_seconds=0, **kw)


def left(queue) -> int:
    sqs, url = queue
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def record(name="UpdateAccessKey__authored__1.json", **changes):
    r = as_account(load(name))
    r.update(changes)
    return r


class Failing:
    """A sink that fails the way a locked or broken store does, for the events it is told to."""

    def __init__(self, runtime, error, only=None):
        self.intake, self.error, self.only, self.calls = runtime.workflow.intake, error, only, 0

    def take(self, events, source=""):
        self.calls += 1
        events = list(events)
        if self.only is None or any(e.event_id == self.only for e in events):
            raise self.error
        return self.intake.take(events, source)


def test_sqs_redelivery_stores_and_posts_once(runtime, slack, queue):
    sqs, url = queue
    body = envelope(record())
    sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message(QueueUrl=url, MessageBody=body)  # EventBridge delivers at least once
    src = source(runtime, queue)
    total = sum(src.poll(threading.Event()).events for _ in range(3))
    assert total == 2
    assert runtime.store.events.count() == 1
    assert len(slack.posted(ALERTS)) == 1
    assert left(queue) == 0  # both deleted


def test_sqs_crash_between_commit_and_delete_loses_nothing_and_posts_once(runtime, slack, queue, monkeypatch):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=envelope(record()))
    src = source(runtime, queue)

    def crash(**kwargs):
        raise SystemExit("killed after commit, before delete")

    monkeypatch.setattr(sqs, "delete_message_batch", crash)
    with pytest.raises(SystemExit):
        src.poll(threading.Event())
    assert runtime.store.events.count() == 1  # committed
    assert left(queue) == 1  # and still on the queue
    monkeypatch.undo()
    result = src.poll(threading.Event())  # the message comes back (visibility timeout 0 here)
    assert result.received == 1 and result.events == 1
    assert left(queue) == 0  # deleted this time
    assert runtime.store.events.count() == 1
    assert len(slack.posted()) == 1


def test_sqs_sink_failure_keeps_the_message(runtime, queue):
    """Changed on purpose: the poll no longer raises; the message stays for SQS to redeliver, and
    on its last receive before the dead-letter queue it is also kept in `rejected`."""
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=envelope(record()))
    src = source(runtime, queue, sink=Failing(runtime, RuntimeError("database is locked")), max_receive_count=2)
    src.poll(threading.Event())
    assert left(queue) == 1  # not deleted: SQS redelivers
    assert runtime.store.rejected.count() == 0
    src.poll(threading.Event())  # the second receive is the last before the dead-letter queue
    assert left(queue) == 1  # the redrive policy moves it, not iambot
    [row] = runtime.store.rejected.recent()
    assert row["source"] == "sqs" and "gave up after 2 receives" in row["reason"]
    assert "database is locked" in row["reason"] and json.loads(row["body"])["detail"]["eventName"] == "UpdateAccessKey"
    assert runtime.store.events.count() == 0


def test_a_busy_store_is_waited_out_then_the_message_is_left_for_redelivery(runtime, queue):
    sleeps: list[float] = []
    sink = Failing(runtime, StoreBusy("the database is locked by another process"))
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=envelope(record()))
    source(runtime, queue, sink=sink, sleep=sleeps.append).poll(threading.Event())
    assert sleeps == [2.0] * 15 and sink.calls == 16  # 30 seconds of retries, then SQS redelivers
    assert left(queue) == 1 and runtime.store.rejected.count() == 0


def test_a_message_that_breaks_the_batch_does_not_hold_up_the_others(runtime, slack, queue):
    sqs, url = queue
    good = record(eventID="evt-good")
    bad = record("UpdateLoginProfile__authored__1.json", eventID="evt-bad")
    sqs.send_message(QueueUrl=url, MessageBody=envelope(good))
    sqs.send_message(QueueUrl=url, MessageBody=envelope(bad))
    src = source(runtime, queue, sink=Failing(runtime, RuntimeError("a bug"), only="evt-bad"))
    for _ in range(3):  # in one batch or two; the bad one keeps coming back
        src.poll(threading.Event())
    assert [e.id for e in runtime.store.events.recent()] == ["evt-good"]
    assert left(queue) == 1  # the bad one only
    assert len(slack.posted(ALERTS)) == 1


def test_sqs_unparseable_message_is_rejected_with_its_body_and_deleted(runtime, queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    result = source(runtime, queue).poll(threading.Event())
    assert result.rejected == 1
    assert left(queue) == 0
    [row] = runtime.store.rejected.recent()
    assert row["source"] == "sqs" and row["where_"].startswith("sqs:") and "not valid JSON" in row["reason"]
    assert row["body"] == "{not json"


def test_a_message_without_cloudtrail_records_is_rejected_and_deleted(runtime, queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody='{"hello": "world"}')
    assert source(runtime, queue).poll(threading.Event()).rejected == 1
    assert left(queue) == 0
    [row] = runtime.store.rejected.recent()
    assert row["source"] == "sqs" and '"hello"' in row["excerpt"]


def test_sqs_from_a_real_eventbridge_rule(runtime, slack, aws, queue):
    """moto's EventBridge → SQS delivery (without `account`: we read detail.recipientAccountId)."""
    sqs, url = queue
    events = aws.client("events")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"]}
    events.put_rule(Name="iambot-iam", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="iambot-iam", Targets=[{"Id": "q", "Arn": arn}])
    events.put_events(
        Entries=[{"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(record())}]
    )
    result = source(runtime, queue).poll(threading.Event())
    assert result.events == 1
    assert runtime.store.db.one("SELECT account_id FROM events")["account_id"] == "123456789012"
    assert len(slack.posted(ALERTS)) == 1
    assert left(queue) == 0


# ---------------------------------------------------------------- S3 event notifications


@pytest.fixture
def trail(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="org-trail")
    return s3


def put_log(s3, key, *records):
    s3.put_object(Bucket="org-trail", Key=key, Body=gzip.compress(orjson.dumps({"Records": list(records)})))


NOTIFICATIONS = {
    "direct": lambda key: s3_notification("org-trail", key),
    "through SNS": lambda key: through_sns(s3_notification("org-trail", key)),
    "EventBridge Object Created": lambda key: object_created("org-trail", key),
}


@pytest.mark.parametrize("shape", list(NOTIFICATIONS))
def test_an_s3_notification_makes_the_object_be_read(runtime, slack, queue, trail, shape):
    noise = record(eventSource="ec2.amazonaws.com", eventName="RunInstances", eventID="evt-ec2")
    login = record("UpdateLoginProfile__authored__1.json", eventID="evt-login")
    put_log(trail, LOG_KEY, record(eventID="evt-key"), noise, login)
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=NOTIFICATIONS[shape](LOG_KEY))
    result = source(runtime, queue).poll(threading.Event())
    assert (result.received, result.events, result.rejected) == (1, 2, 0)
    assert sorted(e.id for e in runtime.store.events.recent()) == ["evt-key", "evt-login"]
    assert runtime.store.events.get("evt-key").origin.startswith(f"s3://org-trail/{LOG_KEY}")
    assert len(slack.posted(ALERTS)) == 2
    assert left(queue) == 0


def test_a_notified_digest_file_is_not_read_as_a_log(runtime, queue, trail):
    key, body = digest_file()
    trail.put_object(Bucket="org-trail", Key=key, Body=body)
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=s3_notification("org-trail", key))
    result = source(runtime, queue).poll(threading.Event())
    assert left(queue) == 0
    assert (result.events, result.rejected) == (0, 0) and runtime.store.rejected.count() == 0


def test_a_notified_key_with_spaces_is_decoded(runtime, queue, trail):
    key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/with space.json.gz"
    put_log(trail, key, record())
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=s3_notification("org-trail", key))  # the key arrives as with+space
    assert source(runtime, queue).poll(threading.Event()).events == 1


@pytest.mark.parametrize("shape", list(NOTIFICATIONS))
def test_an_unreadable_object_is_not_deleted_silently(runtime, queue, trail, shape):
    missing = LOG_KEY.replace("_a.json.gz", "_missing.json.gz")
    sqs, url = queue
    body = NOTIFICATIONS[shape](missing)
    sqs.send_message(QueueUrl=url, MessageBody=body)
    src = source(runtime, queue, max_receive_count=2)
    src.poll(threading.Event())
    assert left(queue) == 1  # kept: the object may become readable (or the DLQ takes it)
    assert runtime.store.rejected.count() == 0
    src.poll(threading.Event())  # its last receive: the operator sees it in iambot too
    assert left(queue) == 1
    [row] = runtime.store.rejected.recent()
    assert "gave up after 2 receives" in row["reason"] and missing in row["reason"]
    assert row["body"] == body


def test_a_corrupt_notified_object_is_kept_too(runtime, queue, trail):
    trail.put_object(Bucket="org-trail", Key=LOG_KEY, Body=b"\x1f\x8b not gzip at all")
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=s3_notification("org-trail", LOG_KEY))
    src = source(runtime, queue, max_receive_count=1)
    src.poll(threading.Event())
    assert left(queue) == 1
    [row] = runtime.store.rejected.recent()
    assert "not a valid gzip file" in row["reason"]


def test_an_s3_test_event_is_deleted_without_a_rejection(runtime, queue, trail):
    sqs, url = queue
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "org-trail"}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(test_event))
    result = source(runtime, queue).poll(threading.Event())
    assert (result.events, result.rejected) == (0, 0)
    assert left(queue) == 0 and runtime.store.rejected.count() == 0


def test_a_stopping_poll_leaves_what_it_received_on_the_queue(runtime, queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody=envelope(record()))
    stop = threading.Event()
    stop.set()
    assert source(runtime, queue).poll(stop).received == 1
    assert left(queue) == 1 and runtime.store.events.count() == 0
