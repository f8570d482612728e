"""The SQS queue an EventBridge rule (source aws.iam, detail-type "AWS API Call via CloudTrail") feeds.

Long polling, ten messages a batch. A message is deleted only after its events are committed
to SQLite, so a crash between the two means a redelivery, which the store's dedupe key turns
into nothing. A message that cannot be parsed is kept in the ``rejected`` table with the reason
and then deleted: its body is in SQLite for a person to read, and the queue's dead-letter
queue is left for messages that fail for other reasons (a database error, a crash), which
are not deleted and come back after the visibility timeout until the redrive policy moves them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.events import IamEvent, ReadStats, Rejected, events_from_bytes

log = logging.getLogger(__name__)


@dataclass
class SqsStats:
    messages: int = 0
    events: int = 0
    rejected: int = 0
    deleted: int = 0


class SqsSource:
    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        sink: Callable[[list[IamEvent]], Any],
        store: Any,
        wait_seconds: int = 20,
    ):
        self.sqs = sqs
        self.queue_url = queue_url
        self.sink = sink
        self.store = store
        self.wait_seconds = wait_seconds

    def poll_once(self) -> SqsStats:
        """Receive one batch, commit its events, then delete the messages."""
        stats = SqsStats()
        resp = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self.wait_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        messages = resp.get("Messages", [])
        stats.messages = len(messages)
        events: list[IamEvent] = []
        rejected: list[Rejected] = []
        read = ReadStats()
        for msg in messages:
            where = f"sqs:{msg['MessageId']}"
            for item in events_from_bytes(msg.get("Body", "").encode(), where, read):
                (rejected if isinstance(item, Rejected) else events).append(item)
        if events:
            self.sink(events)  # commits; if it raises, nothing is deleted and SQS redelivers
        if rejected:
            self.store.add_rejected(rejected, source="sqs")
            for r in rejected:
                log.warning("sqs message rejected", extra={"where": r.where, "reason": r.reason})
        stats.events, stats.rejected = len(events), len(rejected)
        if messages:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
            result = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            stats.deleted = len(result.get("Successful", []))
            for failure in result.get("Failed", []):
                log.warning(
                    "sqs delete failed; the message will come back and be deduplicated",
                    extra={"code": failure.get("Code")},
                )
        return stats

    def run(self, stop: threading.Event) -> None:
        """Poll until ``stop`` is set; the batch in hand is always finished first."""
        log.info("sqs source started", extra={"queue": self.queue_url})
        while not stop.is_set():
            try:
                self.poll_once()
            except (ClientError, BotoCoreError) as exc:
                log.error("sqs receive failed; retrying in 10 s", extra={"error": str(exc)})
                stop.wait(10)
        log.info("sqs source stopped")
