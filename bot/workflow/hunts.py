"""What a hunt found, as one summary for Slack: the counts by severity and the top rows, kept
small and bounded however many rows the hunt read (a heap of the worst, not a list of all)."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.assess import Alert
from bot.catalog import SEVERITIES
from bot.store import Store
from bot.workflow import messages as m

TOP = 10


@dataclass
class HuntSummary:
    """The hunt's question, what it found at or above ``floor``, and what the engine scanned."""

    question: str
    floor: str
    scan: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    top: list[tuple[int, str, int, dict[str, str]]] = field(default_factory=list)  # heap: (level, time, n, row)
    seen: int = 0

    def add(self, alert: Alert) -> None:
        level = SEVERITIES.index(alert.severity)
        if level < SEVERITIES.index(self.floor):
            return
        self.counts[alert.severity] += 1
        self.seen += 1
        e = alert.event
        row = {
            "severity": alert.severity,
            "when": e.event_time.strftime("%Y-%m-%d %H:%M"),
            "event": e.event_name,
            "actor": e.actor.name,
            "account": e.account_id or "",
            "summary": alert.summary[:300],
        }
        item = (level, row["when"], -self.seen, row)
        if len(self.top) < TOP:
            heapq.heappush(self.top, item)
        elif item[:3] > self.top[0][:3]:
            heapq.heapreplace(self.top, item)

    def as_data(self) -> dict[str, Any]:
        rows = [item[3] for item in sorted(self.top, key=lambda i: i[:3], reverse=True)]
        by = {s: self.counts[s] for s in reversed(SEVERITIES) if self.counts[s]}
        return {"question": self.question, "floor": self.floor, "scan": self.scan, "counts": by, "top": rows}


def queue_hunt(store: Store, channel: str, query_id: str, summary: HuntSummary, at: datetime) -> bool:
    """One message for the hunt in the outbox (once per query: a second --post of it queues nothing).
    False when nothing at or above the floor was found, or it was queued before."""
    if not summary.seen:
        return False
    with store.unit():
        return store.outbox.put(m.hunt_id(query_id), m.Kind.HUNT, query_id, channel, data=summary.as_data(), at=at)
