"""The SQS path is total over input: any message body — mutated real records in every shape,
broken bytes, nesting 10,000 deep, megabyte strings — becomes alerts or stored rejections with a
reason; nothing escapes, and every message is deleted or kept on purpose, never dropped."""

from __future__ import annotations

import threading
from typing import Any

from hypothesis import HealthCheck, given, settings

from bot.catalog import load as load_catalog
from bot.config.settings import given as settings_given
from bot.slack.render import Renderer
from bot.sources import Deps
from bot.sources.sqs import SqsSource
from bot.store import MessageRow, Store
from bot.workflow import Workflow
from tests.support.mutations import EXAMPLES, hostile_bytes


class Queue:
    """An SQS client stand-in holding one batch of bodies."""

    def __init__(self, bodies: list[str]):
        self.bodies, self.deleted = bodies, []

    def receive_message(self, **_: Any) -> dict[str, Any]:
        return {
            "Messages": [
                {
                    "MessageId": f"m{i}",
                    "ReceiptHandle": f"h{i}",
                    "Body": b,
                    "Attributes": {"ApproximateReceiveCount": "1"},
                }
                for i, b in enumerate(self.bodies)
            ]
        }

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.deleted.extend(e["ReceiptHandle"] for e in Entries)
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    bodies=hostile_bytes()
    .map(lambda b: b.decode("utf-8", "surrogateescape"))
    .flatmap(lambda first: hostile_bytes().map(lambda b: [first, b.decode("utf-8", "replace")]))
)
def test_any_message_becomes_alerts_or_rejections(bodies: list[str]) -> None:
    cfg = settings_given(
        IAMBOT_ALERT_CHANNEL="C0ALERTS",
        IAMBOT_APPROVERS="UAPPROVE1",
        backfill_hours=1e6,
        min_severity="info",
        repeat_window_minutes=0,
        burst_per_minute=10**6,
    )
    store = Store(":memory:")
    wf = Workflow.build(cfg, store, aws=None)
    queue = Queue(bodies)
    source = SqsSource(
        queue,
        "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        Deps(None, wf.intake, store, load_catalog().selection()),
    )
    result = source.poll(threading.Event())
    assert result.received == 2
    assert sorted(queue.deleted) == ["h0", "h1"]  # each one taken in or stored as a rejection
    stored, rejected = store.events.count(), store.rejected.count()
    assert stored + rejected >= 1 or result.events == 0
    render = Renderer(wf.views)
    for row in store.db.query("SELECT * FROM messages"):
        message = render(MessageRow.of(row))  # every queued alert renders within Slack's limits
        assert message is None or len(message.blocks) <= 50
    store.close()
