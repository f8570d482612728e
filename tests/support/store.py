"""Putting assessed fixture events into a store directly, the way intake stores them, for tests of
the store's repositories (no workflow, no Slack)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support.records import load


def alert_of(name_or_record: str | dict[str, Any], assessor: Any = None) -> Any:
    """The Alert for a fixture record (by file name) or a record."""
    from bot.assess import Assessor
    from bot.events import normalize

    record = load(name_or_record) if isinstance(name_or_record, str) else name_or_record
    return (assessor or Assessor())(normalize(record))


def add_event(store: Any, alert: Any, at: datetime | None = None) -> bool:
    """``store.events.add`` with what intake passes for this alert; True when the event is new."""
    from bot.assess import network_of
    from bot.store import dumps

    e = alert.event
    return bool(
        store.events.add(
            e,
            severity=alert.severity,
            summary=alert.summary,
            targets=alert.targets,
            is_self=alert.risk.is_self,
            source_net=network_of(e.source_ip),
            raw=dumps(e.raw),
            at=at,
        )
    )


def add_alert(store: Any, alert: Any, disposition: str = "posted", at: datetime | None = None, **extra: Any) -> None:
    """The event and its alert row (the alert references the event)."""
    add_event(store, alert, at=at)
    store.alerts.add(
        alert.event.key,
        disposition=disposition,
        severity=alert.severity,
        group_key=extra.pop("group_key", f"{alert.event.event_name}|{alert.event.actor.name}"),
        event_time=alert.event.event_time,
        actor=extra.pop("actor", alert.event.actor.arn),
        at=at,
        **extra,
    )
