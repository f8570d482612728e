"""From an IamEvent to an explained, risk-scored Alert; and the read → assess → store pipeline."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import catalog as catalog_mod
from bot.catalog import SEVERITIES, Catalog, Entry
from bot.events import IamEvent, ReadStats, Rejected, read_records
from bot.risk import Risk, RiskContext, score

log = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
UNKNOWN = "(unknown)"


@dataclass(frozen=True, slots=True)
class Offer:
    """A remediation that applies to this event, with parameters taken from it."""

    id: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class Alert:
    event: IamEvent
    entry: Entry
    risk: Risk
    summary: str
    offers: tuple[Offer, ...]

    @property
    def severity(self) -> str:
        return self.risk.severity

    def as_json(self) -> dict[str, Any]:
        e = self.event
        return {
            "event_id": e.event_id,
            "key": e.key,
            "event_name": e.event_name,
            "event_time": e.event_time.isoformat().replace("+00:00", "Z"),
            "account_id": e.account_id,
            "region": e.region,
            "actor": e.actor.as_dict(),
            "target": e.target,
            "source_ip": e.source_ip,
            "user_agent": e.user_agent,
            "error_code": e.error_code,
            "error_message": e.error_message,
            "read_only": e.read_only,
            "severity": self.severity,
            "base_severity": self.risk.base,
            "reasons": self.risk.reasons,
            "factors": [f.name for f in self.risk.factors],
            "remediations": [o.id for o in self.offers],
            "summary": self.summary,
            "title": self.entry.title,
            "attack": self.entry.attack,
            "is_self": self.risk.is_self,
            "origin": e.origin,
        }


def short_key(key: str | None) -> str | None:
    """AKIAIOSFODNN7EXAMPLE -> AKIA…MPLE: enough to recognise, short enough to read."""
    if not key:
        return None
    return key if len(key) <= 12 else f"{key[:4]}…{key[-4:]}"


def lookup(event: IamEvent, name: str) -> Any:
    """The value a catalog field name refers to, or None."""
    if name.startswith("request."):
        return _path(event.request, name[8:])
    if name.startswith("response."):
        return _path(event.response, name[9:])
    match name:
        case "actor":
            return event.actor.name
        case "actor_arn":
            return event.actor.arn
        case "account":
            return event.account_id
        case "key":
            return short_key(event.target.get("access_key_id"))
        case "event_name":
            return event.event_name
        case "error_code":
            return event.error_code
    return event.target.get(name)


def _path(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def render(template: str, event: IamEvent) -> str:
    def sub(match: re.Match[str]) -> str:
        value = lookup(event, match.group(1))
        if value is None or value == "":
            return UNKNOWN
        return str(value).lower() if isinstance(value, bool) else str(value)

    return _PLACEHOLDER.sub(sub, template)


def matches(when: dict[str, Any], event: IamEvent) -> bool:
    """Every field equals its value (a list means any of them). Strings compare case-insensitively."""
    for name, expected in when.items():
        actual = lookup(event, name)
        options = expected if isinstance(expected, list) else [expected]
        if not any(_same(actual, option) for option in options):
            return False
    return True


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(actual).lower() == str(expected).lower()
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.lower() == expected.lower()
    return actual == expected


def _resolves(template: str, event: IamEvent) -> bool:
    return all(lookup(event, name) not in (None, "") for name in _PLACEHOLDER.findall(template))


def summarize(entry: Entry, event: IamEvent) -> str:
    """The first matching case whose fields the event supplies; failing that, the first match.
    A denied call often has null parameters, so a vaguer case reads better than "(unknown)"."""
    cases = [c for c in entry.summary if matches(c.when, event)]
    chosen = [c.attempt if event.failed else c.text for c in cases]
    text = next((t for t in chosen if _resolves(t, event)), chosen[0])
    text = render(text, event)
    return f"{text} ({event.error_code})" if event.failed else text


def offers(entry: Entry, event: IamEvent, risk: Risk) -> tuple[Offer, ...]:
    """Remediations that apply: none for failed calls (nothing changed) or the bot's own calls;
    an offer whose parameters the event does not supply is left out."""
    if event.failed or risk.is_self:
        return ()
    found = []
    for offer in entry.remediations:
        if not matches(offer.when, event):
            continue
        params = {name: lookup(event, source) for name, source in offer.params.items()}
        if any(v is None or v == "" for v in params.values()):
            continue
        if params.get("user_name") == "root":
            continue  # the root user's credentials are not manageable through IAM user APIs
        found.append(Offer(offer.id, {k: str(v) for k, v in params.items()}))
    return tuple(found)


class Assessor:
    """Catalog + risk context, applied to events."""

    def __init__(self, catalog: Catalog | None = None, context: RiskContext | None = None):
        self.catalog = catalog or catalog_mod.load()
        self.context = context or RiskContext()

    def __call__(self, event: IamEvent) -> Alert:
        entry = self.catalog.get(event.event_name, event.read_only)
        risk = score(event, entry, self.context)
        return Alert(event, entry, risk, summarize(entry, event), offers(entry, event, risk))


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass
class TriageResult:
    alerts: list[Alert] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    stats: ReadStats = field(default_factory=ReadStats)
    new: int = 0
    duplicates: int = 0

    def counts(self) -> Counter[str]:
        return Counter(a.severity for a in self.alerts)


def triage_files(
    files: Iterable[Path],
    assessor: Assessor,
    stats: ReadStats,
    on_file: Callable[[Path], None] | None = None,
) -> Iterator[Alert | Rejected]:
    """Alerts and rejections from files, streaming one file at a time."""
    for path in files:
        for item in read_records(path, stats):
            yield item if isinstance(item, Rejected) else assessor(item)
        if on_file:
            on_file(path)
