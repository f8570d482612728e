"""From an event to an explained, risk-scored :class:`Alert`.

The entry's first matching case says what happened (and may set the severity it starts from);
generic factors and the entry's own factors move that severity, each with a reason. Each entry
is read through its plan (``plan.py``), compiled the first time an event needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from bot.assess.factors import FACTORS, GENERIC, Factor, RiskContext
from bot.assess.plan import Plan, plan_of
from bot.catalog import SEVERITIES, Catalog, CatalogError, Entry
from bot.catalog import load as load_catalog
from bot.catalog.fields import Subject
from bot.catalog.model import Summary
from bot.events import Actor, IamEvent
from bot.events.model import builder


@dataclass(frozen=True, slots=True)
class Risk:
    severity: str
    base: str
    factors: tuple[Factor, ...]
    is_self: bool = False

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.factors]


@dataclass(frozen=True, slots=True)
class Offer:
    """A remediation that applies to this event, with parameters taken from it."""

    id: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class Alert:
    event: IamEvent
    entry: Entry
    targets: dict[str, str]
    risk: Risk
    summary: str
    offers: tuple[Offer, ...]

    @property
    def severity(self) -> str:
        return self.risk.severity

    def with_offers(self, offers: tuple[Offer, ...]) -> Alert:
        return replace(self, offers=offers)

    def as_json(self) -> dict[str, Any]:
        e = self.event
        risk = self.risk
        factors = risk.factors
        return {
            "event_id": e.event_id,
            "key": f"{e.event_id}|{e.event_name}|{int(e.event_time.timestamp())}",  # e.key, without its call
            "event_source": e.event_source,
            "event_name": e.event_name,
            "event_time": iso_time(e.event_time),
            "account_id": e.account_id,
            "region": e.region,
            "actor": actor_json(e.actor),
            "target": self.targets,
            "source_ip": e.source_ip,
            "user_agent": e.user_agent,
            "error_code": e.error_code,
            "error_message": e.error_message,
            "read_only": e.read_only,
            "severity": risk.severity,
            "base_severity": risk.base,
            "reasons": [f.reason for f in factors] if factors else [],  # most events: none, and no offers
            "factors": [f.name for f in factors] if factors else [],
            "remediations": [o.id for o in self.offers] if self.offers else [],
            "summary": self.summary,
            "title": self.entry.title,
            "attack": self.entry.attack,
            "is_self": risk.is_self,
            "origin": e.origin,
        }


# The per-event constructors (model.py's builder: a draft class, then frozen): the frozen
# dataclasses' own __init__ costs a call per field, four times the time of building them here.
new_subject = builder(Subject)
new_risk = builder(Risk)
new_offer = builder(Offer)
new_alert = builder(Alert)


_ACTOR_JSON: dict[int, tuple[Actor, dict[str, Any]]] = {}
MAX_ACTORS = 4096


def actor_json(actor: Actor) -> dict[str, Any]:
    """``actor.as_dict()``, made once an actor: normalize shares one Actor between the events of
    the same identity, and the dict is only read (as ``target`` and ``attack`` are). Keyed by the
    actor's id: the cache keeps its actor alive, so the id is not reused while it is cached (an
    Actor's own hash reads its 13 fields, as long as building the dict)."""
    found = _ACTOR_JSON.get(id(actor))
    if found is None or found[0] is not actor:
        if len(_ACTOR_JSON) >= MAX_ACTORS:
            _ACTOR_JSON.clear()
        found = _ACTOR_JSON[id(actor)] = (actor, actor.as_dict())
    return found[1]


def iso_time(when: datetime) -> str:
    """``2024-08-28T09:54:40Z``: the text of ``when.isoformat()`` with UTC written ``Z``. orjson
    writes a UTC time the same way (tests/assess/test_plan.py holds it to that) in a third of the
    time isoformat takes; a time in another zone is left to isoformat."""
    if when.tzinfo is UTC:
        return orjson.dumps(when, option=orjson.OPT_UTC_Z)[1:-1].decode()
    return when.isoformat().replace("+00:00", "Z")


_UNMOVED = {s: Risk(s, s, ()) for s in SEVERITIES}  # immutable: one of each is enough


_LEVEL = {s: i for i, s in enumerate(SEVERITIES)}  # SEVERITIES.index, one look-up


def step(severity: str, delta: int) -> str:
    index = _LEVEL[severity] + delta
    return SEVERITIES[max(0, min(len(SEVERITIES) - 1, index))]


def at_least(severity: str, floor: str | None) -> str:
    return severity if floor is None or _LEVEL[severity] >= _LEVEL[floor] else floor


def case_for(entry: Entry, subject: Subject) -> Summary:
    """The case that describes the event (see :meth:`Plan.describe`)."""
    return plan_of(entry).describe(subject)[0]


def score(entry: Entry, case: Summary, subject: Subject, context: RiskContext) -> Risk:
    """Severity: the case's (or entry's) base, moved by the factors; iambot's own calls are info."""
    return _score(plan_of(entry), case, subject, context)


def _score(plan: Plan, case: Summary, subject: Subject, context: RiskContext) -> Risk:
    base = case.severity or plan.entry.base_severity
    event = subject.event
    if context.self_arns and context.is_self(event):
        reason = Factor("bot-principal", 0, "Made by iambot's own principal: a remediation, not a threat")
        return Risk("info", base, (reason,), is_self=True)
    found = []
    for fn in plan.factors_for(event, context):
        factor = fn(subject, context)
        if factor is not None:
            found.append(factor)
    if not found:
        return _UNMOVED[base]  # most events: no factor applies
    delta = 0
    for factor in found:  # sum(f.delta for f in found), without a generator
        delta += factor.delta
    severity = step(base, delta)
    for factor in found:
        if factor.at_least is not None:
            severity = at_least(severity, factor.at_least)
    return new_risk(severity, base, tuple(found), False)


def offers(entry: Entry, subject: Subject, risk: Risk) -> tuple[Offer, ...]:
    """Remediations that apply (see :func:`_offers`)."""
    return _offers(plan_of(entry), subject, risk)


def _offers(plan: Plan, subject: Subject, risk: Risk) -> tuple[Offer, ...]:
    """Remediations that apply: none for failed calls (nothing changed) or the bot's own calls;
    an offer whose parameters the event does not supply is left out."""
    if not plan.offers or subject.event.error_code is not None or risk.is_self:  # failed: error_code
        return ()
    found = []
    for offer in plan.offers:
        if not offer.when(subject):
            continue
        params = offer.params_of(subject)
        if params is None or params.get("user_name") == "root":
            continue  # the root user's credentials are not managed through IAM user APIs
        found.append(new_offer(offer.id, params))
    return tuple(found)


def check_factors(catalog: Catalog) -> None:
    for entry in catalog:
        for name in entry.factors:
            if name not in FACTORS or name in GENERIC:
                where = f"events/{entry.source.split('.')[0]}/{entry.name}.toml"
                listable = ", ".join(sorted(set(FACTORS) - set(GENERIC)))
                raise CatalogError(f"{where}: unknown risk factor {name!r} (listable: {listable})")


class Assessor:
    """Catalog + risk context, applied to events."""

    def __init__(self, catalog: Catalog | None = None, context: RiskContext | None = None):
        self.catalog = catalog or load_catalog()
        self.context = context or RiskContext()
        check_factors(self.catalog)
        self._plans: dict[tuple[str, str], Plan] = {}  # the catalog's own entries, by source and name

    def with_context(self, context: RiskContext) -> Assessor:
        return Assessor(self.catalog, context)

    def __call__(self, event: IamEvent) -> Alert:
        plan = self._plans.get((event.event_source, event.event_name)) or self._plan(event)
        targets = plan.resolve(event)
        subject = new_subject(event, targets)
        case, summary = plan.describe(subject)
        risk = _score(plan, case, subject, self.context)
        return new_alert(event, plan.entry, targets, risk, summary, _offers(plan, subject, risk))

    def _plan(self, event: IamEvent) -> Plan:
        key = (event.event_source, event.event_name)
        entry = self.catalog.get(*key, event.read_only, event.actor.is_root)
        plan = plan_of(entry)
        if self.catalog.entries.get(key) is entry:  # generic and root entries depend on more than the name
            self._plans[key] = plan
        return plan
