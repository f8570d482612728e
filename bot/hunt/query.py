"""What a person asks a hunt for, checked: the time window and the filters. Every value that ends
up in a query is validated to a narrow form here, and quoted by :mod:`bot.hunt.sql`."""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.events import IamEvent, ReadStats, Rejected, Selection
from bot.events.readers import select

ACCOUNT = re.compile(r"[0-9]{12}")  # [0-9], here and below: \d takes any script's digits
# access key ids: AKIA (long-term) or ASIA (temporary) and 16 upper-case letters or digits
ACCESS_KEY = re.compile(r"A[KS]IA[A-Z0-9]{16}")
EVENT = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}")  # what normalize accepts as an API call name
ACTOR = re.compile(r"[A-Za-z0-9:/+=,.@_*?-]{1,512}")  # an ARN (IAM's name characters) with * and ? wildcards
TABLE = re.compile(r"([A-Za-z0-9_]{1,255})\.([A-Za-z0-9_]{1,255})")  # Glue: lower-case, digits, underscore
WORKGROUP = re.compile(r"[a-zA-Z0-9._-]{1,128}")  # Athena's WorkGroup name pattern
S3_OUTPUT = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\x00-\x1f\x7f]*)?")
SINCE = re.compile(r"([0-9]{1,5})([dhm])")
MAX_WINDOW = timedelta(days=366 * 15)  # CloudTrail began in 2013: a longer window is a typo


class HuntError(ValueError):
    """A hunt cannot run as asked, or the engine said no; the message is one line for a person."""


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def days(self) -> list[date]:
        """Every UTC day the window touches (the partitions to read)."""
        first, last = self.start.date(), (self.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class Filters:
    actor: str | None = None  # an ARN glob
    access_key: str | None = None
    source_ip: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    events: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = field(default=())


def _when(text: str, option: str, end: bool) -> datetime:
    value = text.strip()
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(), UTC)
        else:
            moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise HuntError(
            f"{option} {value[:40]!r} is not a date (2026-11-01) or a time (2026-11-01T09:30:00Z)"
        ) from None
    return moment


def window(since: str | None, start: str | None, end: str | None, now: datetime) -> Window:
    """The window from ``--since 30d`` (days, hours or minutes back from now), or ``--from``/``--to``
    (dates are whole UTC days; ``--to`` defaults to now)."""
    if since is not None and (start is not None or end is not None):
        raise HuntError("give --since or --from/--to, not both")
    if since is not None:
        found = SINCE.fullmatch(since.strip())
        if not found:
            raise HuntError(f"--since {since[:40]!r} is not a span like 90d, 12h or 30m")
        unit = {"d": "days", "h": "hours", "m": "minutes"}[found.group(2)]
        span = timedelta(**{unit: int(found.group(1))})
        if not span or span > MAX_WINDOW:
            raise HuntError(f"--since {since} is empty or longer than {MAX_WINDOW.days} days")
        return Window(now - span, now)
    if start is None:
        raise HuntError("say how far back: --since 30d, or --from 2026-11-01 [--to 2026-11-30]")
    first = _when(start, "--from", end=False)
    last = _when(end, "--to", end=True) if end is not None else now
    if last <= first:
        raise HuntError("--to is not after --from")
    if last - first > MAX_WINDOW:
        raise HuntError(f"the window is longer than {MAX_WINDOW.days} days")
    return Window(first, last)


def _each(values: tuple[str, ...], pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    for value in values:
        if not pattern.fullmatch(value):
            raise HuntError(f"{value[:60]!r} is not {what}")
    return tuple(dict.fromkeys(values))


def filters(
    actor: str | None = None,
    access_key: str | None = None,
    source_ip: str | None = None,
    events: tuple[str, ...] = (),
    accounts: tuple[str, ...] = (),
) -> Filters:
    """The filters, each checked to its narrow form (one line naming the value otherwise)."""
    if actor is not None and not ACTOR.fullmatch(actor):
        raise HuntError(f"--actor {actor[:60]!r} is not an ARN or an ARN glob (letters, digits, :/+=,.@_- and * ?)")
    if access_key is not None and not ACCESS_KEY.fullmatch(access_key):
        raise HuntError(f"--access-key {access_key[:40]!r} is not an access key id (AKIA… or ASIA…, 20 characters)")
    network = None
    if source_ip is not None:
        try:
            network = ipaddress.ip_network(source_ip.strip(), strict=False)
        except ValueError:
            raise HuntError(f"--source-ip {source_ip[:60]!r} is not an IP address or a CIDR block") from None
    return Filters(
        actor=actor,
        access_key=access_key,
        source_ip=network,
        events=_each(events, EVENT, "an API call name like CreateAccessKey"),
        accounts=_each(accounts, ACCOUNT, "an account id (12 digits)"),
    )


def table_name(value: str) -> tuple[str, str]:
    found = TABLE.fullmatch(value.strip())
    if not found:
        raise HuntError(f"--athena-table {value[:80]!r} is not DATABASE.TABLE (letters, digits, underscores)")
    return found.group(1).lower(), found.group(2).lower()


def workgroup_name(value: str) -> str:
    if not WORKGROUP.fullmatch(value):
        raise HuntError(f"--workgroup {value[:80]!r} is not an Athena workgroup name")
    return value


def output_location(value: str | None) -> str | None:
    if value is not None and not S3_OUTPUT.fullmatch(value):
        raise HuntError(f"--output {value[:80]!r} is not an s3://bucket/prefix/ location")
    return value


def matches(event: IamEvent, f: Filters) -> bool:
    """The filters, checked exactly on the event (the query pushes them down; a CIDR that is not
    whole octets, or IPv6, is pushed down coarser or not at all)."""
    actor = event.actor
    if f.actor is not None and not any(
        arn is not None and fnmatch.fnmatchcase(arn, f.actor) for arn in (actor.arn, actor.issuer_arn)
    ):
        return False
    if f.access_key is not None and actor.access_key_id != f.access_key:
        return False
    if f.source_ip is not None:
        try:
            if ipaddress.ip_address(event.source_ip or "") not in f.source_ip:
                return False
        except ValueError:  # a service name ("iam.amazonaws.com") or nothing
            return False
    if f.events and event.event_name not in f.events:
        return False
    return not (f.accounts and event.account_id not in f.accounts)


def hunted(
    records: Iterable[Any], where: str, selection: Selection, f: Filters, stats: ReadStats
) -> Iterator[IamEvent | Rejected]:
    """The engine's records through the readers' selection and normalize (the same events a file
    gives), then the filters; counted in ``stats`` like a file's records."""
    items = (((where, None, i), record) for i, record in enumerate(records))
    for item in select(items, stats, selection):
        if isinstance(item, IamEvent) and not matches(item, f):
            stats.kept -= 1
            stats.skipped += 1
            continue
        yield item
