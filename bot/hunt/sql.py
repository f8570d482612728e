"""The hunt's query, composed from the catalog's selection and the checked filters, for Athena's
CloudTrail table (Trino SQL) or a CloudTrail Lake event data store (Trino SQL too, its own column
names). Every value is validated by :mod:`bot.hunt.query` and then quoted here as a literal
(``'`` doubled); identifiers are checked names, double-quoted. Nothing a person types reaches the
query text otherwise.

The query is a superset the readers then narrow: its rows go through the same selection as a file
does (:func:`bot.events.readers.select`), so what the query keeps and what triage keeps cannot
drift apart. The root user is asked for in every service, whatever the selection says today.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.events import Selection
from bot.hunt.query import Filters, Window

# The columns of Athena's CloudTrail table (the Athena user guide's CREATE TABLE, with partition
# projection), name -> whether it is a struct or array (returned as JSON text by the query)
DOCS_COLUMNS: dict[str, bool] = {
    "eventversion": False, "useridentity": True, "eventtime": False, "eventsource": False, "eventname": False,
    "awsregion": False, "sourceipaddress": False, "useragent": False, "errorcode": False, "errormessage": False,
    "requestparameters": False, "responseelements": False, "additionaleventdata": False, "requestid": False,
    "eventid": False, "readonly": False, "resources": True, "eventtype": False, "apiversion": False,
    "recipientaccountid": False, "serviceeventdetails": False, "sharedeventid": False, "vpcendpointid": False,
    "vpcendpointaccountid": False, "eventcategory": False, "sessioncredentialfromconsole": False,
}  # fmt: skip
WANTED = frozenset(DOCS_COLUMNS) | {"managementevent", "eventcategory", "vpcendpointaccountid", "tlsdetails"}
JAVA_DATE = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H"}


@dataclass(frozen=True)
class Layout:
    """How a table is laid out: its columns (name -> struct?) and partitions.

    ``date_key``/``date_format``: a projected date partition (the docs' ``timestamp``, 'yyyy/MM/dd');
    ``ymd``: year/month/day partitions (a Glue-partitioned table); ``account_key``/``region_key``:
    partitions by account and region (an Organization's trail)."""

    columns: dict[str, bool] = field(default_factory=lambda: dict(DOCS_COLUMNS))
    date_key: str | None = "timestamp"
    date_format: str = "%Y/%m/%d"
    ymd: bool = False
    account_key: str | None = None
    region_key: str | None = None


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def listed(values: Iterable[str]) -> str:
    return "(" + ", ".join(literal(v) for v in sorted(values)) + ")"


def like_pattern(glob: str) -> str:
    """An ARN glob (* and ?) as a LIKE pattern with ``\\`` as its escape character."""
    out = []
    for ch in glob:
        if ch in "\\%_":
            out.append("\\" + ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def java_format(pattern: str) -> str | None:
    """A projection's Java date format ('yyyy/MM/dd') as strftime's, when it is made of the usual parts."""
    out = pattern
    for java, c in JAVA_DATE.items():
        out = out.replace(java, c)
    return None if any(ch.isalpha() for ch in out.replace("%Y", "").replace("%m", "").replace("%d", "")
                       .replace("%H", "")) else out  # fmt: skip


def ip_prefix(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str | None:
    """A LIKE prefix that every address of an IPv4 network starts with (whole octets), or None."""
    if network.version != 4:
        return None
    octets = network.prefixlen // 8
    if octets == 4:
        return str(network.network_address)
    if octets == 0:
        return None
    return ".".join(str(network.network_address).split(".")[:octets]) + "."


def selection_clause(selection: Selection, source: str, name: str, identity_type: str) -> str:
    parts = []
    if selection.sources:
        parts.append(f"{source} IN {listed(selection.sources)}")
    for src, names in sorted(selection.named.items()):
        if names:
            parts.append(f"({source} = {literal(src)} AND {name} IN {listed(names)})")
    parts.append(f"{identity_type} = 'Root'")  # the root user, in any service
    return "(" + " OR ".join(parts) + ")"


def _months(days: list[date]) -> list[tuple[date, date]]:
    spans: list[tuple[date, date]] = []
    for day in days:
        if spans and spans[-1][1] + timedelta(days=1) == day and spans[-1][0].month == day.month:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def partition_clause(layout: Layout, window: Window) -> str | None:
    days = window.days()
    if layout.date_key is not None:
        first, last = days[0].strftime(layout.date_format), days[-1].strftime(layout.date_format)
        return f"{ident(layout.date_key)} BETWEEN {literal(first)} AND {literal(last)}"
    if layout.ymd:
        ors = []
        for low, high in _months(days):
            y, m = literal(f"{low.year:04d}"), literal(f"{low.month:02d}")
            d1, d2 = literal(f"{low.day:02d}"), literal(f"{high.day:02d}")
            ors.append(f'("year" = {y} AND "month" = {m} AND "day" BETWEEN {d1} AND {d2})')
        return "(" + " OR ".join(ors) + ")"
    return None


def _filters(f: Filters, cols: dict[str, str]) -> list[str]:
    where = []
    if f.actor is not None:
        pattern = literal(like_pattern(f.actor))
        where.append(f"({cols['arn']} LIKE {pattern} ESCAPE '\\' OR {cols['issuer']} LIKE {pattern} ESCAPE '\\')")
    if f.access_key is not None:
        where.append(f"{cols['key']} = {literal(f.access_key)}")
    if f.source_ip is not None and (prefix := ip_prefix(f.source_ip)) is not None:
        exact = f.source_ip.prefixlen == 32
        where.append(f"{cols['ip']} = {literal(prefix)}" if exact else f"{cols['ip']} LIKE {literal(prefix + '%')}")
    if f.events:
        where.append(f"{cols['name']} IN {listed(f.events)}")
    if f.accounts:
        where.append(f"{cols['account']} IN {listed(f.accounts)}")
    return where


def _time(moment: datetime, sep: str) -> str:
    return moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + ("Z" if sep == "T" else "")


def athena_sql(table: tuple[str, str], layout: Layout, selection: Selection, f: Filters, window: Window) -> str:
    """The query over Athena's CloudTrail table: the wanted columns (structs as JSON text), the
    window pushed down to the partitions, the selection and the filters."""
    columns = [
        f"json_format(CAST({ident(c)} AS JSON)) AS {ident(c)}" if struct else ident(c)
        for c, struct in layout.columns.items()
        if c in WANTED
    ]
    where = []
    if (partitions := partition_clause(layout, window)) is not None:
        where.append(partitions)
    if f.accounts and layout.account_key is not None:
        where.append(f"{ident(layout.account_key)} IN {listed(f.accounts)}")
    where.append(f"eventtime >= {literal(_time(window.start, 'T'))} AND eventtime < {literal(_time(window.end, 'T'))}")
    where.append(selection_clause(selection, "eventsource", "eventname", "useridentity.type"))
    cols = {
        "arn": "useridentity.arn",
        "issuer": "useridentity.sessioncontext.sessionissuer.arn",
        "key": "useridentity.accesskeyid",
        "ip": "sourceipaddress",
        "name": "eventname",
        "account": "recipientaccountid",
    }
    where += _filters(f, cols)
    return "\n".join(
        ["SELECT " + ",\n       ".join(columns), f"FROM {ident(table[0])}.{ident(table[1])}", "WHERE " + where[0]]
        + [f"  AND {w}" for w in where[1:]]
    )


LAKE_COLUMNS = (
    "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
    "errorCode", "errorMessage", "requestID", "eventID", "readOnly", "eventType", "managementEvent",
    "recipientAccountId", "sharedEventID", "vpcEndpointId", "eventCategory", "sessionCredentialFromConsole",
)  # fmt: skip
LAKE_JSON = ("userIdentity", "requestParameters", "responseElements", "additionalEventData", "resources",
             "serviceEventDetails")  # fmt: skip


def lake_sql(store_id: str, selection: Selection, f: Filters, window: Window) -> str:
    """The query over a CloudTrail Lake event data store (CloudTrail Lake SQL constraints: Trino
    SQL, the event data store's id as the table; eventTime is a timestamp)."""
    columns = [ident(c) for c in LAKE_COLUMNS] + [f"json_format(CAST({c} AS JSON)) AS {ident(c)}" for c in LAKE_JSON]
    cols = {
        "arn": "userIdentity.arn",
        "issuer": "userIdentity.sessionContext.sessionIssuer.arn",
        "key": "userIdentity.accessKeyId",
        "ip": "sourceIPAddress",
        "name": "eventName",
        "account": "recipientAccountId",
    }
    where = [
        f"eventTime >= {literal(_time(window.start, ' '))} AND eventTime < {literal(_time(window.end, ' '))}",
        selection_clause(selection, "eventSource", "eventName", "userIdentity.type"),
        *_filters(f, cols),
    ]
    return "\n".join(
        ["SELECT " + ",\n       ".join(columns), f"FROM {store_id}", "WHERE " + where[0]]
        + [f"  AND {w}" for w in where[1:]]
    )
