"""CloudTrail ``LookupEvents`` for accounts without EventBridge wiring.

IAM is global and its events are recorded in us-east-1. Each poll asks for
``eventSource = iam.amazonaws.com`` from the persisted cursor minus an overlap window (events
reach LookupEvents minutes late), pages through the answer (50 a page) no faster than
CloudTrail's 2 requests a second, commits the events (the store drops repeats) and only then
moves the cursor to the newest event time seen. A crash mid-poll re-reads; nothing is missed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from bot.events import IamEvent, RecordError, normalize, parse_time
from bot.pace import Pacer
from bot.store import iso, now

log = logging.getLogger(__name__)

IAM_SOURCE = "iam.amazonaws.com"
REQUESTS_PER_SECOND = 2


@dataclass
class LookupStats:
    pages: int = 0
    events: int = 0
    rejected: int = 0


class LookupPoller:
    def __init__(
        self,
        cloudtrail: Any,
        store: Any,
        sink: Callable[[list[IamEvent]], Any],
        name: str = "lookup-events",
        overlap: timedelta = timedelta(minutes=20),
        first_lookback: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.cloudtrail = cloudtrail
        self.store = store
        self.sink = sink
        self.cursor_name = name
        self.overlap = overlap
        self.first_lookback = first_lookback
        self.clock = clock
        self._pacer = Pacer(1 / REQUESTS_PER_SECOND, sleep, monotonic)

    def poll(self) -> LookupStats:
        stats = LookupStats()
        end = self.clock()
        cursor = self.store.cursor(self.cursor_name)
        start = parse_time(cursor) - self.overlap if cursor else end - self.first_lookback
        newest = parse_time(cursor) if cursor else None
        kwargs: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": "EventSource", "AttributeValue": IAM_SOURCE}],
            "StartTime": start,
            "EndTime": end,
            "MaxResults": 50,
        }
        events: list[IamEvent] = []
        while True:
            self._pacer.wait()
            page = self.cloudtrail.lookup_events(**kwargs)
            stats.pages += 1
            for item in page.get("Events", []):
                try:
                    event = normalize(orjson.loads(item["CloudTrailEvent"]), origin="lookup-events")
                except (RecordError, orjson.JSONDecodeError, KeyError) as exc:
                    stats.rejected += 1
                    log.warning("lookup event rejected", extra={"event_id": item.get("EventId"), "reason": str(exc)})
                    continue
                events.append(event)
                if newest is None or event.event_time > newest:
                    newest = event.event_time
            token = page.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        if events:
            self.sink(events)
        stats.events = len(events)
        if newest is not None:
            self.store.set_cursor(self.cursor_name, iso(newest))
        log.info("lookup poll", extra={"pages": stats.pages, "events": stats.events, "from": iso(start)})
        return stats
