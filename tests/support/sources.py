"""What sources deliver, for tests: fixture records at a given time, LookupEvents items, a clock
to move by hand, and the S3 notifications that name CloudTrail log objects."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tests.support.records import as_account, load


def record_at(name: str, when: datetime, event_id: str, **request: Any) -> dict[str, Any]:
    """A fixture record in moto's account, happening at ``when``, with this event id (and request
    parameters changed as given)."""
    r = as_account(load(name))
    r["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    r["eventID"] = event_id
    if request:
        r["requestParameters"] = {**(r.get("requestParameters") or {}), **request}
    return r


def event_at(name: str, when: datetime, event_id: str, **request: Any) -> Any:
    from bot.events import normalize

    return normalize(record_at(name, when, event_id, **request))


def lookup_item(record: dict[str, Any]) -> dict[str, Any]:
    """One item of a LookupEvents page, as CloudTrail returns it."""
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "EventTime": datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")),
        "EventSource": record["eventSource"],
        "CloudTrailEvent": json.dumps(record),
    }


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def s3_notification(bucket: str, key: str) -> str:
    """An S3 event notification (ObjectCreated:Put) sent straight to the queue; keys are URL-encoded."""
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-11-22T10:00:00.000Z",
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                        "object": {"key": key.replace(" ", "+"), "size": 1024},
                    },
                }
            ]
        }
    )


def through_sns(message: str, topic: str = "arn:aws:sns:us-east-1:123456789012:trail-logs") -> str:
    """A message as an SNS subscription (raw delivery off) puts it on the queue."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": "5f6e7d8c-0000-4000-8000-000000000001",
            "TopicArn": topic,
            "Subject": "Amazon S3 Notification",
            "Message": message,
            "Timestamp": "2026-11-22T10:00:00.000Z",
        }
    )


def object_created(bucket: str, key: str) -> str:
    """EventBridge's "Object Created" event for an S3 object."""
    return json.dumps(
        {
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2026-11-22T10:00:00Z",
            "region": "us-east-1",
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": bucket},
                "object": {"key": key, "size": 1024},
                "reason": "PutObject",
            },
        }
    )


def digest_file(account: str = "123456789012", region: str = "us-east-1") -> tuple[str, bytes]:
    """A CloudTrail digest file (log file validation), as CloudTrail delivers it beside the logs:
    its key, and its gzipped body, which holds no event."""
    import gzip

    key = (
        f"AWSLogs/{account}/CloudTrail-Digest/{region}/2026/11/22/"
        f"{account}_CloudTrail-Digest_{region}_org-trail_{region}_20261122T100000Z.json.gz"
    )
    body = {
        "awsAccountId": account,
        "digestStartTime": "2026-11-22T09:00:00Z",
        "digestEndTime": "2026-11-22T10:00:00Z",
        "digestS3Bucket": "org-trail",
        "digestS3Object": key,
        "digestPublicKeyFingerprint": "0123456789abcdef0123456789abcdef",
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": "2026-11-22T09:59:58Z",
        "oldestEventTime": "2026-11-22T09:00:03Z",
        "previousDigestS3Bucket": "org-trail",
        "previousDigestS3Object": None,
        "previousDigestHashValue": None,
        "previousDigestHashAlgorithm": None,
        "previousDigestSignature": None,
        "logFiles": [],
    }
    return key, gzip.compress(json.dumps(body).encode())
