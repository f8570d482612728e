"""Running a hunt on Athena: the table's layout from Glue, the query started in a workgroup, its
state polled, its result pages read one at a time (GetQueryResults with NextToken) and each row
turned into the record CloudTrail wrote.

Only the page being read is held: a hunt over millions of rows runs in flat memory. Errors Athena
returns (a failed or cancelled query, a missing table, access denied) become :class:`HuntError`
with one line a person can act on.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.events.lower import camel
from bot.hunt.query import HuntError
from bot.hunt.sql import DOCS_COLUMNS, Layout, java_format

PAGE = 1000  # GetQueryResults' largest page
MB = 1 << 20
TB = 1 << 40
PRICE_PER_TB = 5.0  # Athena SQL: $5 per TB scanned, rounded up to the megabyte, 10 MB minimum a query
MINIMUM_MB = 10
DONE = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


def cost(scanned: int) -> float:
    """Athena's charge for a query that scanned ``scanned`` bytes, in dollars."""
    return max(MINIMUM_MB, math.ceil(scanned / MB)) * MB / TB * PRICE_PER_TB


@dataclass
class Scan:
    """What the engine reports about the query."""

    query_id: str = ""
    scanned: int = 0  # bytes
    rows: int = 0
    seconds: float = 0.0
    priced: bool = True  # Athena's price applies (CloudTrail Lake is billed otherwise)

    def summary(self) -> str:
        text = f"scanned {self.scanned / MB:,.1f} MB in {self.seconds:.0f} s"
        dollars = cost(self.scanned)
        price = f"${dollars:.5f}" if dollars < 0.01 else f"${dollars:.2f}"
        return text + (f", about {price} at $5 per TB (10 MB minimum)" if self.priced else "")


def aws_error(exc: Exception, what: str) -> HuntError:
    """A boto3 error as one line: the code and Athena's message, or the transport's."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "error"))
        message = str(err.get("Message", "")).splitlines()[0][:300] if err.get("Message") else ""
        if message.startswith("<"):  # a body that is not the service's JSON (a proxy's, or XML): not shown
            message = ""
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation") or status == 403:
            return HuntError(f"{what}: access denied ({message or code}); see `iambot policy --hunt`")
        if code == "EntityNotFoundException":
            return HuntError(f"{what}: no such table or database ({message or code})")
        return HuntError(f"{what}: {code}: {message}".rstrip(": "))
    return HuntError(f"{what}: {str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__}")


def layout_of(table: dict[str, Any]) -> Layout:
    """The layout of a Glue table (GetTable's Table): its columns, and how it is partitioned."""
    columns = {
        str(c.get("Name", "")).lower(): str(c.get("Type", "")).lower().startswith(("struct", "array", "map"))
        for c in table.get("StorageDescriptor", {}).get("Columns", [])
        if isinstance(c, dict)
    }
    keys = [str(k.get("Name", "")).lower() for k in table.get("PartitionKeys", []) if isinstance(k, dict)]
    params = {str(k): str(v) for k, v in (table.get("Parameters") or {}).items()}
    date_key, date_format = None, "%Y/%m/%d"
    for key in keys:
        if params.get(f"projection.{key}.type") == "date":
            found = java_format(params.get(f"projection.{key}.format", ""))
            if found:
                date_key, date_format = key, found
                break
    if date_key is None and "timestamp" in keys:  # the docs' table, projected or not: 'yyyy/MM/dd'
        date_key = "timestamp"
    ymd = date_key is None and {"year", "month", "day"} <= set(keys)
    account = next((k for k in keys if k in ("account", "accountid", "account_id")), None)
    region = next((k for k in keys if k in ("region", "awsregion")), None)
    return Layout(columns or dict(DOCS_COLUMNS), date_key, date_format, ymd, account, region)


def record_of(row: dict[str, Any]) -> dict[str, Any]:
    """One result row (column -> text) as the record CloudTrail wrote."""
    ui = row.get("useridentity")
    if isinstance(ui, str) and ui.startswith("["):
        # Athena engine 2 casts a struct to a JSON array, without its field names
        raise HuntError("the workgroup returns structs without field names (Athena engine version 2); use version 3")
    return camel(row)


class Athena:
    """One hunt's query on Athena. ``sleep`` and ``clock`` are seams for tests."""

    def __init__(
        self,
        athena: Any,
        glue: Any,
        workgroup: str,
        output: str | None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 1800.0,
    ):
        self.athena, self.glue = athena, glue
        self.workgroup, self.output = workgroup, output
        self.sleep, self.clock, self.timeout = sleep, clock, timeout
        self.scan = Scan()

    def layout(self, database: str, table: str) -> Layout:
        try:
            found = self.glue.get_table(DatabaseName=database, Name=table)["Table"]
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, f"Glue table {database}.{table}") from None
        return layout_of(found)

    def start(self, sql: str) -> str:
        kwargs: dict[str, Any] = {"QueryString": sql, "WorkGroup": self.workgroup}
        if self.output:
            kwargs["ResultConfiguration"] = {"OutputLocation": self.output}
        try:
            self.scan.query_id = str(self.athena.start_query_execution(**kwargs)["QueryExecutionId"])
        except (ClientError, BotoCoreError) as exc:
            raise aws_error(exc, "Athena refused the query") from None
        return self.scan.query_id

    def wait(self, query_id: str) -> None:
        """Until the query ends: SUCCEEDED returns, FAILED or CANCELLED raise with Athena's reason."""
        started, delay = self.clock(), 0.5
        while True:
            try:
                execution = self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            except (ClientError, BotoCoreError) as exc:
                raise aws_error(exc, f"Athena query {query_id}") from None
            status = execution.get("Status", {})
            state = status.get("State", "")
            self.scan.scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0) or 0)
            self.scan.seconds = self.clock() - started
            if state == "SUCCEEDED":
                return
            if state in DONE:
                reason = str(status.get("StateChangeReason", "") or "no reason given").splitlines()[0][:300]
                raise HuntError(f"Athena query {query_id} {state.lower()}: {reason}")
            if self.clock() - started > self.timeout:
                self.stop(query_id)
                raise HuntError(f"Athena query {query_id} still {state.lower()} after {self.timeout:.0f} s; stopped")
            self.sleep(delay)
            delay = min(delay * 2, 5.0)

    def stop(self, query_id: str) -> None:
        # it may have ended meanwhile, or we may not stop it: nothing more to do then
        with contextlib.suppress(ClientError, BotoCoreError):
            self.athena.stop_query_execution(QueryExecutionId=query_id)

    def rows(self, query_id: str) -> Iterator[dict[str, Any]]:
        """The result rows as dicts of column -> text (None for SQL NULL), page by page."""
        token: str | None = None
        names: list[str] | None = None
        while True:
            kwargs: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": PAGE}
            if token:
                kwargs["NextToken"] = token
            try:
                page = self.athena.get_query_results(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise aws_error(exc, f"Athena results of {query_id}") from None
            result = page.get("ResultSet", {})
            rows = result.get("Rows", [])
            if names is None:
                info = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                names = [str(c.get("Name", "")).lower() for c in info]
                if rows and [d.get("VarCharValue") for d in rows[0].get("Data", [])] == names:
                    rows = rows[1:]  # the first page starts with the column names
            for row in rows:
                values = [d.get("VarCharValue") for d in row.get("Data", [])]
                self.scan.rows += 1
                yield dict(zip(names, values, strict=False))
            token = page.get("NextToken")
            if not token:
                return

    def records(self, sql: str) -> Iterator[dict[str, Any]]:
        query_id = self.start(sql)
        try:
            self.wait(query_id)
        except KeyboardInterrupt:  # pragma: no cover - a person pressing Ctrl-C: do not leave it scanning
            self.stop(query_id)
            raise
        for row in self.rows(query_id):
            yield record_of(row)
