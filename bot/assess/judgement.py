"""The judgement made when an event is taken in, kept with its alert.

Risk depends on history (a new network, repeated failures) and on the configuration (automation
principals, iambot's own): assessed again later, the same event can come out different. What was
posted is what was judged then, so an alert stores its judgement — severity, factors, summary,
targets, offers — and every later render shows it, changing only the status around it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.assess.assessor import Alert, Offer, Risk
from bot.assess.base import Factor
from bot.catalog.model import SEVERITIES

VERSION = 1


def judgement(alert: Alert) -> dict[str, Any]:
    """What to keep of an alert's assessment (JSON-ready)."""
    risk = alert.risk
    return {
        "v": VERSION,
        "severity": risk.severity,
        "base": risk.base,
        "is_self": risk.is_self,
        "factors": [
            {"name": f.name, "delta": f.delta, "reason": f.reason, "at_least": f.at_least} for f in risk.factors
        ],
        "summary": alert.summary,
        "targets": dict(alert.targets),
        "offers": [{"id": o.id, "params": dict(o.params)} for o in alert.offers],
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _factor(raw: Any) -> Factor | None:
    if not isinstance(raw, dict) or _text(raw.get("name")) is None or _text(raw.get("reason")) is None:
        return None
    delta = raw.get("delta")
    floor = raw.get("at_least")
    return Factor(
        raw["name"],
        delta if isinstance(delta, int) and not isinstance(delta, bool) else 0,
        raw["reason"],
        floor if floor in SEVERITIES else None,
    )


def _offer(raw: Any) -> Offer | None:
    if not isinstance(raw, dict) or _text(raw.get("id")) is None or not isinstance(raw.get("params"), dict):
        return None
    return Offer(raw["id"], {str(k): str(v) for k, v in raw["params"].items()})


def restore(alert: Alert, stored: Any) -> Alert:
    """``alert`` (assessed now, for its event and entry) with the judgement stored at intake. A
    judgement that is missing or not one this version wrote leaves the alert as assessed now."""
    if not isinstance(stored, dict) or stored.get("v") != VERSION:
        return alert
    severity, base = stored.get("severity"), stored.get("base")
    summary, targets = _text(stored.get("summary")), stored.get("targets")
    factors, offers = stored.get("factors"), stored.get("offers")
    if severity not in SEVERITIES or base not in SEVERITIES or summary is None:
        return alert
    if not isinstance(targets, dict) or not isinstance(factors, list) or not isinstance(offers, list):
        return alert
    risk = Risk(
        severity,
        base,
        tuple(f for f in map(_factor, factors) if f is not None),
        stored.get("is_self") is True,
    )
    return replace(
        alert,
        risk=risk,
        summary=summary,
        targets={str(k): str(v) for k, v in targets.items()},
        offers=tuple(o for o in map(_offer, offers) if o is not None),
    )
