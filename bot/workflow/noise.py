"""How a new alert reaches Slack: routing and noise control, as one decision per alert.

Dispositions, in the order they are decided:

- ``canary``: iambot's own feed canary coming back (bot/workflow/canary.py), decided by intake;
- ``confirmation`` / ``self``: iambot's own remediation coming back through CloudTrail;
- ``suppressed``: a ``/iam mute`` matches;
- ``backfill``: older than ``backfill_hours`` (a backlog read late), counted in the digest;
- ``quiet``: below ``min_severity``, counted in the digest;
- ``unrouted``: no channel configured yet; kept in the outbox until one is;
- ``repeat``: the same change by the same actor within the repeat window, into the first
  alert's thread as one counter;
- ``burst``: over ``burst_per_minute`` alerts a minute in a channel, summarised;
- ``posted``.

After the decision, a member of a principal's sequence (denied writes, an enumeration:
``bot/workflow/sequences.py``) that would have been shown is ``sequence`` instead: the sequence's
one alert shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.assess import Alert
from bot.catalog import SEVERITIES
from bot.store import Request, Store, Suppression
from bot.store.alerts import Disposition

D = Disposition

if TYPE_CHECKING:
    from bot.config.settings import Settings

ALERT = "alert"


@dataclass(frozen=True, slots=True)
class Decision:
    disposition: Disposition
    channel: str | None = None
    parent: str | None = None  # the alert whose thread a repeat goes into
    request: Request | None = None  # iambot's own request that this event carries out
    suppression: str | None = None


def route(settings: Settings, alert: Alert) -> str | None:
    """The first configured route that matches the alert, else IAMBOT_ALERT_CHANNEL."""
    e = alert.event
    for r in settings.routes:
        if r.severities and alert.severity not in r.severities:
            continue
        if r.accounts and e.account_id not in r.accounts:
            continue
        if r.events and e.event_name not in r.events:
            continue
        return str(r.channel)
    return settings.alert_channel or None


def group_key(alert: Alert) -> str:
    """Same change, same actor, same effect: what makes a repeat."""
    e = alert.event
    return "|".join([e.event_source, e.event_name, e.actor.arn or e.actor.name, e.account_id or "", alert.summary])


def matching(suppressions: list[Suppression], alert: Alert) -> str | None:
    e = alert.event
    targets = set(alert.targets.values())
    for s in suppressions:
        if s.event_name and s.event_name.lower() != e.event_name.lower():
            continue
        if s.actor and s.actor not in {e.actor.arn, e.actor.name, e.actor.user_name, e.actor.email}:
            continue
        if s.target and s.target not in targets:
            continue
        if s.account_id and s.account_id != e.account_id:
            continue
        return s.id
    return None


def own_request(store: Store, alert: Alert) -> Request | None:
    """The request this event carries out: by the session name iambot assumes roles with, or, for
    iambot's own principal, a request that succeeded within the hour on the same parameters."""
    session = alert.event.actor.session_name or ""
    if session.startswith("iambot-R"):
        return store.requests.get(session.removeprefix("iambot-"))
    if not alert.risk.is_self:
        return None
    request = alert.event.request
    seen = {str(v) for v in request.values() if isinstance(v, str | int)} | set(alert.targets.values())
    for found in store.requests.succeeded_since(alert.event.event_time - timedelta(hours=1)):
        params = {str(v) for v in found.params.values() if not isinstance(v, list | dict)}
        if params and params <= seen:
            return found
    return None


def decide(
    store: Store, settings: Settings, alert: Alert, at: datetime, suppressions: list[Suppression] | None = None
) -> Decision:
    """How the alert is shown; ``suppressions`` are the mutes active at ``at`` (read here if not given:
    a batch reads them once)."""
    e = alert.event
    request = own_request(store, alert)
    if request is not None or alert.risk.is_self:
        return Decision(D.CONFIRMATION if request and request.event_key else D.SELF, request=request)
    if sid := matching(store.suppressions.active(at) if suppressions is None else suppressions, alert):
        return Decision(D.SUPPRESSED, suppression=sid)
    if e.event_time < at - timedelta(hours=settings.backfill_hours):
        return Decision(D.BACKFILL)
    if SEVERITIES.index(alert.severity) < SEVERITIES.index(settings.min_severity):
        return Decision(D.QUIET)
    channel = route(settings, alert)
    if not channel:
        return Decision(D.UNROUTED)
    if settings.repeat_window_minutes:
        window = timedelta(minutes=settings.repeat_window_minutes)
        if parent := store.alerts.repeat_parent(group_key(alert), e.event_time - window, e.event_time):
            return Decision(D.REPEAT, channel, parent=parent)
    if store.outbox.count_since(ALERT, channel, at - timedelta(minutes=1)) >= settings.burst_per_minute:
        return Decision(D.BURST, channel)
    return Decision(D.POSTED, channel)
