"""CloudTrail ``LookupEvents`` for accounts without EventBridge wiring.

LookupEvents takes one lookup attribute per request, so each poll runs one lookup per source
and region where that source's events are recorded: IAM and Organizations in us-east-1;
sign-in, STS and Roles Anywhere in ``lookup_regions``; IAM Identity Center in its home region.
STS is asked by event name, for the calls iambot explains only (AssumeRole alone runs to
millions a day). The root user's calls, in any service, are asked by user name in each of those
regions. Each lookup reads from its own cursor minus an overlap (events reach
LookupEvents minutes late), pages (50 a page) no faster than CloudTrail's 2 requests a second
per region, hands the events to the sink (which commits them), and only then moves its cursor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from bot.catalog import Catalog
from bot.catalog import load as load_catalog
from bot.events import IamEvent, RecordError, Rejected, excerpt, normalize, parse_time
from bot.pace import Pacer
from bot.sources.base import Deps, PollResult, Source, Statement, store_rejections
from bot.store import iso, now

if TYPE_CHECKING:
    from bot.config.settings import Settings

log = logging.getLogger(__name__)
REQUESTS_PER_SECOND = 2
GLOBAL_REGION = "us-east-1"
LEGACY_CURSOR = "lookup-events"  # before iambot looked beyond IAM


@dataclass(frozen=True)
class Lookup:
    region: str
    key: str  # EventSource | EventName
    value: str

    @property
    def cursor(self) -> str:
        return f"lookup:{self.region}:{self.key}:{self.value}"


# The user name asked for the root user's calls. The API reference does not say which Username
# LookupEvents files root's events under; "root" is what records and the console show. A root
# call filed otherwise is still found here when its source is looked up, and by files and the hunt.
ROOT_USERNAME = "root"


def plan(catalog: Catalog, regions: list[str], home: str | None) -> list[Lookup]:
    """Every (region, attribute) whose events iambot explains, and the root user's calls in every
    region looked at (any service: LookupEvents' Username attribute)."""
    found: list[Lookup] = []
    for source in sorted(catalog.sources.values(), key=lambda s: s.service):
        if source.recorded == "global":
            where = [GLOBAL_REGION]
        elif source.recorded == "home":
            where = [home] if home else []
        else:
            where = list(regions)
        for region in where:
            if source.named_only:
                found += [Lookup(region, "EventName", name) for name in catalog.names(source.source)]
            else:
                found.append(Lookup(region, "EventSource", source.source))
    for region in dict.fromkeys([GLOBAL_REGION, *regions, *([home] if home else [])]):
        found.append(Lookup(region, "Username", ROOT_USERNAME))
    return list(dict.fromkeys(found))  # an event name two named sources share is looked up once


class LookupSource:
    kind: ClassVar[str] = "lookup"
    exclusive: ClassVar[bool] = True

    def __init__(
        self,
        clients: Callable[[str], Any],
        lookups: list[Lookup],
        deps: Deps,
        interval: float = 300.0,
        overlap: timedelta = timedelta(minutes=20),
        first_lookback: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = now,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.clients = clients
        self.lookups = lookups
        self.deps = deps
        self.name = "lookup-events"
        self.interval = interval
        self.stale_after = max(3 * interval, 900)
        self.overlap = overlap
        self.first_lookback = first_lookback
        self.clock = clock
        self._pacer = Pacer(1 / REQUESTS_PER_SECOND, sleep, monotonic)

    @classmethod
    def from_settings(cls, settings: Settings, deps: Deps) -> Source | None:
        if not settings.lookup_events:
            return None
        lookups = plan(load_catalog(), list(settings.lookup_regions), settings.identity_center_region)
        if not settings.identity_center_region:
            log.info("identity_center_region is not set: IAM Identity Center events are not looked up")
        return cls(
            lambda region: deps.aws.client("cloudtrail", region_name=region),
            lookups,
            deps,
            interval=settings.lookup_interval_seconds,
            overlap=timedelta(minutes=settings.lookup_overlap_minutes),
        )

    @classmethod
    def permissions(cls, settings: Settings) -> list[Statement]:
        if not settings.lookup_events:
            return []
        return [
            {"Sid": "IambotLookupEvents", "Effect": "Allow", "Action": ["cloudtrail:LookupEvents"], "Resource": "*"}
        ]

    def poll(self, stop: threading.Event) -> PollResult:
        result = PollResult()
        for lookup in self.lookups:
            if stop.is_set():
                break
            self._one(lookup, result, stop)
        return result

    def _start(self, lookup: Lookup, end: datetime) -> tuple[datetime, datetime | None]:
        cursors = self.deps.store.cursors
        cursor = cursors.get(lookup.cursor)
        if cursor is None and lookup == Lookup(GLOBAL_REGION, "EventSource", "iam.amazonaws.com"):
            cursor = cursors.get(LEGACY_CURSOR)
        if cursor is None:
            return end - self.first_lookback, None
        newest = parse_time(cursor)
        return newest - self.overlap, newest

    def _one(self, lookup: Lookup, result: PollResult, stop: threading.Event) -> None:
        end = self.clock()
        start, newest = self._start(lookup, end)
        client = self.clients(lookup.region)
        kwargs: dict[str, Any] = {
            "LookupAttributes": [{"AttributeKey": lookup.key, "AttributeValue": lookup.value}],
            "StartTime": start,
            "EndTime": end,
            "MaxResults": 50,
        }
        events: list[IamEvent] = []
        rejected: list[Rejected] = []
        while not stop.is_set():
            self._pacer.wait(lookup.region)
            page = client.lookup_events(**kwargs)
            result.received += 1
            for item in page.get("Events", []):
                where = f"lookup:{lookup.region}:{item.get('EventId', '?')}"
                try:
                    record = orjson.loads(item["CloudTrailEvent"])
                    if not self.deps.selection.keeps(record):  # another service's call, not root's
                        continue
                    event = normalize(record, origin=where)
                except (RecordError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                    rejected.append(Rejected(where, f"not a CloudTrail record: {exc}", excerpt(item)))
                    continue
                events.append(event)
                if newest is None or event.event_time > newest:
                    newest = event.event_time
            token = page.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
        else:
            return  # stopping mid-lookup: commit nothing, move nothing; the next run reads it again
        if events:
            self.deps.sink.take(events, source=self.kind)
        store_rejections(self.deps.store, rejected, self.kind)
        if newest is not None:
            with self.deps.store.unit():
                self.deps.store.cursors.set(lookup.cursor, iso(newest))
        result.events += len(events)
        result.rejected += len(rejected)
        log.info("lookup", extra={"lookup": lookup.cursor, "events": len(events), "from": iso(start)})
