"""Feeding `iambot run` processes: an SQS queue in moto server full of CloudTrail records, the
config that makes them fast, and what they posted and report."""

from __future__ import annotations

import json
import random
from typing import Any

import boto3

from tests.support.process import Running
from tests.support.records import envelope, key_record

ALERTS = "C0ALERTS"
FAST = """
channel_interval_seconds = 0
burst_per_minute = 1000000
repeat_window_minutes = 0
sqs_wait_seconds = {wait}
"""


def queue(endpoint: str, visibility: int = 2) -> tuple[Any, str]:
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    url = sqs.create_queue(QueueName=f"q{random.randrange(10**9)}", Attributes={"VisibilityTimeout": str(visibility)})[
        "QueueUrl"
    ]
    return sqs, url


def send(sqs: Any, url: str, n: int, prefix: str) -> list[str]:
    ids = []
    for i in range(0, n, 10):
        entries = []
        for j in range(i, min(n, i + 10)):
            record = key_record(f"{prefix}-user-{j}", f"AKIAEXAMPLE{j:09d}", eventID=f"{prefix}-{j:06d}")
            ids.append(record["eventID"])
            entries.append({"Id": str(j - i), "MessageBody": envelope(record)})
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    return ids


def configured(env: dict[str, str], folder: Any, config: str) -> dict[str, str]:
    path = folder / "iambot.toml"
    path.write_text(config)
    return {**env, "IAMBOT_CONFIG": str(path)}


def health(running: Running) -> dict[str, Any]:
    return json.loads(running.get("/readyz")[1])  # type: ignore[no-any-return]


def alert_posts(slack: Any) -> list[str]:
    return [
        c.params["metadata"]["event_payload"]["id"]
        for c in slack.of("chat.postMessage")
        if c.params.get("channel") == ALERTS and c.params.get("metadata")
    ]
