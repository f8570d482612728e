"""Running a hunt on a CloudTrail Lake event data store: StartQuery, DescribeQuery until the query
ends, GetQueryResults page by page (NextToken). Each result row is a list of one-key maps
(column -> text); the JSON columns are parsed back into the record CloudTrail wrote."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.events.lower import identity, parsed
from bot.hunt.athena import Scan, aws_error
from bot.hunt.query import HuntError

# an event data store: its ARN (arn:aws:cloudtrail:REGION:ACCOUNT:eventdatastore/ID) or its ID
STORE = re.compile(r"(?:arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:eventdatastore/)?([A-Za-z0-9-]{3,128})")
FAILED = {"FAILED": "failed", "CANCELLED": "was cancelled", "TIMED_OUT": "timed out"}
PAGE = 1000


def store_id(value: str) -> str:
    """The id CloudTrail Lake's SQL names the event data store by (the ARN's last part)."""
    found = STORE.fullmatch(value.strip())
    if not found:
        raise HuntError(f"--lake {value[:80]!r} is not an event data store ARN or id")
    return found.group(1)


def record_of(row: list[dict[str, Any]]) -> dict[str, Any]:
    """One Lake result row as the record CloudTrail wrote."""
    record: dict[str, Any] = {}
    for cell in row:
        if isinstance(cell, dict):
            for key, value in cell.items():
                if value is not None and value != "":
                    record[str(key)] = value
    for name in ("requestParameters", "responseElements", "additionalEventData", "resources", "serviceEventDetails"):
        if name in record:
            record[name] = parsed(record[name])
    if "userIdentity" in record:
        record["userIdentity"] = identity(record["userIdentity"])
    return record


class Lake:
    def __init__(
        self,
        cloudtrail: Any,
        store: str,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 1800.0,
    ):
        self.client, self.store = cloudtrail, store
        self.sleep, self.clock, self.timeout = sleep, clock, timeout
        self.scan = Scan(priced=False)
        self._on = {"EventDataStore": store}  # the calls name the store (an ARN or id), as IAM's resource

    def _call(self, what: str, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return dict(getattr(self.client, method)(**kwargs))
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, what) from None

    def _stats(self, answer: dict[str, Any]) -> None:
        stats = answer.get("QueryStatistics") or {}
        if "BytesScanned" in stats:
            self.scan.scanned = int(stats.get("BytesScanned") or 0)

    def records(self, sql: str) -> Iterator[dict[str, Any]]:
        query_id = str(self._call("CloudTrail Lake refused the query", "start_query", QueryStatement=sql)["QueryId"])
        self.scan.query_id = query_id
        started, delay = self.clock(), 0.5
        while True:
            answer = self._call(f"CloudTrail Lake query {query_id}", "describe_query", QueryId=query_id, **self._on)
            self._stats(answer)
            self.scan.seconds = self.clock() - started
            state = answer.get("QueryStatus", "")
            if state == "FINISHED":
                break
            if state in FAILED:
                reason = str(answer.get("ErrorMessage") or "no reason given").splitlines()[0][:300]
                raise HuntError(f"CloudTrail Lake query {query_id} {FAILED[state]}: {reason}")
            if self.clock() - started > self.timeout:
                self._call(f"CloudTrail Lake query {query_id}", "cancel_query", QueryId=query_id, **self._on)
                raise HuntError(f"CloudTrail Lake query {query_id} still {state.lower()} after {self.timeout:.0f} s")
            self.sleep(delay)
            delay = min(delay * 2, 5.0)
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"QueryId": query_id, "MaxQueryResults": PAGE, **self._on}
            if token:
                kwargs["NextToken"] = token
            page = self._call(f"CloudTrail Lake results of {query_id}", "get_query_results", **kwargs)
            for row in page.get("QueryResultRows", []):
                self.scan.rows += 1
                yield record_of(row)
            token = page.get("NextToken")
            if not token:
                return
