"""The feed canary: proof that the whole path, CloudTrail → EventBridge → the queue → iambot, works.

Every ``canary_minutes`` one replica tags iambot's own role with ``iambot:canary=<time>`` (the only
write outside remediations/, through the ``tag`` function the runtime gives it). CloudTrail records
that call like any other; when it comes back through the feed, intake recognises it (the tag key,
on iambot's own role, by iambot's own principal), stores and counts it as ``canary`` and never
posts it. When the newest canary has not come back within ``canary_timeout_minutes``, the feed is
broken: the alert channel is told once, health says so, and the first canary to come back (in any
replica) clears it with one "feed restored" message.

The state is in the store (cursors), so every replica sees the same: ``canary:sent`` (the value of
the newest tag written), ``canary:seen`` (the newest value come back), ``canary:broken`` (the value
that was overdue when the feed was declared broken; empty when it is not), ``canary:error`` (the
last failure to write the tag, empty after a success).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.events import IamEvent
from bot.store import Store, now
from bot.workflow import messages as m

if TYPE_CHECKING:
    from bot.config.settings import Settings

log = logging.getLogger(__name__)
KEY = "iambot:canary"
SENT, SEEN, BROKEN, ERROR = "canary:sent", "canary:seen", "canary:broken", "canary:error"
STAMP = "%Y-%m-%dT%H:%M:%SZ"

Tag = Callable[[str, str, str], Any]  # (role name, tag key, tag value): iam:TagRole


def role_of(arn: str) -> str | None:
    """The role name of an assumed-role session ARN (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION)."""
    if ":assumed-role/" not in arn:
        return None
    parts = arn.split(":assumed-role/", 1)[1].split("/")
    return parts[0] if len(parts) >= 2 and parts[0] else None


def canary_value(event: IamEvent) -> str | None:
    """The iambot:canary tag value an iam:TagRole event sets, if it sets one."""
    if event.event_source != "iam.amazonaws.com" or event.event_name != "TagRole" or event.error_code:
        return None
    tags = event.request.get("tags")
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("key") == KEY and isinstance(tag.get("value"), str):
            return str(tag["value"])
    return None


def _parse(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class CanaryState:
    on: bool
    ok: bool
    detail: str
    sent: str | None = None
    seen: str | None = None
    broken: str | None = None
    last_error: str | None = None
    age_seconds: float | None = None  # since the newest canary was written, while it has not come back

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "on": self.on, "detail": self.detail, "sent": self.sent, "seen": self.seen,
            "broken_since": self.broken, "last_error": self.last_error,
        }  # fmt: skip


class Canary:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Callable[[], datetime] = now,
        notify: Callable[[], None] = lambda: None,
        tag: Tag | None = None,
    ):
        self.store, self.settings, self.clock, self.notify = store, settings, clock, notify
        self.tag = tag
        self.role: str | None = settings.canary_role.rsplit("/", 1)[-1] if settings.canary_role else None
        self.principal: str | None = None  # the assumed-role ARN prefix of iambot's own sessions
        self.off_reason: str | None = None if self.enabled else "canary_minutes or canary_timeout_minutes is 0"

    @property
    def enabled(self) -> bool:
        return bool(self.settings.canary_minutes and self.settings.canary_timeout_minutes)

    def use_principal(self, arn: str | None) -> None:
        """iambot's own principal (STS): an assumed role is the canary's role, unless one is configured."""
        if not self.enabled:
            return
        name = role_of(arn) if arn else None
        if name is not None:
            self.principal = arn.split(":assumed-role/", 1)[0] + f":assumed-role/{name}/" if arn else None
            self.role = self.role or name
        if self.role is None:
            why = f"iambot runs as {arn}, not an assumed role" if arn else "iambot could not ask STS who it is"
            self.off_reason = f"the feed canary is off: {why}; set canary_role to tag a role"
            log.warning(self.off_reason)
        else:
            self.off_reason = None

    @property
    def active(self) -> bool:
        return self.enabled and self.role is not None and self.tag is not None and self.off_reason is None

    # ------------------------------------------------------------------ the scheduled jobs

    def send(self, period: datetime | None = None) -> str | None:
        """Write one canary (one replica per period); a failure is logged, counted and kept for health."""
        if not self.active:
            return None
        assert self.tag is not None and self.role is not None
        value = (period or self.clock()).astimezone(UTC).strftime(STAMP)
        try:
            self.tag(self.role, KEY, value)
        except Exception as exc:
            metrics.CANARY_ERRORS.inc()
            log.exception("the feed canary could not be written", extra={"role": self.role})
            self.store.cursors.set(ERROR, f"{type(exc).__name__}: {str(exc)[:300]}", at=self.clock())
            return None
        with self.store.unit():
            self.store.cursors.set(SENT, value, at=self.clock())
            self.store.cursors.set(ERROR, "", at=self.clock())
        metrics.CANARIES.labels("sent").inc()
        return value

    def check(self) -> bool:
        """Declare the feed broken when the newest canary is overdue; True when it just did."""
        if not self.active:
            return False
        at = self.clock()
        cursors = self.store.cursors
        sent, seen, broken = cursors.get(SENT), cursors.get(SEEN) or "", cursors.get(BROKEN) or ""
        if not sent or seen >= sent or broken:
            return False
        written = _parse(sent)
        if written is None or at - written < timedelta(minutes=self.settings.canary_timeout_minutes):
            return False
        with self.store.unit():
            cursors.set(BROKEN, sent, at=at)
            data = {"sent": sent, "seen": seen or None, "timeout": self.settings.canary_timeout_minutes,
                    "role": self.role}  # fmt: skip
            self.store.outbox.put(m.feed_id("broken", sent), m.Kind.FEED, "broken", self._channel(), data=data, at=at)
        metrics.CANARIES.labels("overdue").inc()
        log.error("the feed is broken: the canary has not come back", extra={"sent": sent})
        self.notify()
        return True

    # ------------------------------------------------------------------ intake

    def recognises(self, event: IamEvent, is_self: bool) -> str | None:
        """The canary value when ``event`` is iambot's own canary coming back, else None."""
        value = canary_value(event)
        if value is None:
            return None
        role = event.request.get("roleName")
        own = is_self or bool(self.principal and (event.actor.arn or "").startswith(self.principal))
        return value if own and (self.role is None or role == self.role) else None

    def returned(self, value: str, at: datetime) -> None:
        """A canary came back (inside intake's unit of work): the feed works; clear a break once."""
        cursors = self.store.cursors
        if value > (cursors.get(SEEN) or ""):
            cursors.set(SEEN, value, at=at)
        metrics.CANARIES.labels("returned").inc()
        broken = cursors.get(BROKEN) or ""
        if broken:
            cursors.set(BROKEN, "", at=at)
            data = {"broken": broken, "seen": value}
            self.store.outbox.put(m.feed_id("restored", broken), m.Kind.FEED, "restored", self._channel(), data=data,
                                  at=at)  # fmt: skip
            log.info("the feed is restored: a canary came back", extra={"seen": value})

    def _channel(self) -> str:
        return self.settings.alert_channel or ""

    # ------------------------------------------------------------------ health

    def state(self) -> CanaryState:
        if not self.active:
            return CanaryState(False, True, self.off_reason or "the feed canary is off")
        cursors = self.store.cursors
        sent, seen = cursors.get(SENT), cursors.get(SEEN)
        broken, error = cursors.get(BROKEN) or None, cursors.get(ERROR) or None
        written = _parse(sent) if sent else None
        pending = bool(sent and (seen or "") < sent)
        age = (self.clock() - written).total_seconds() if written is not None and pending else None
        if broken:
            detail = f"the feed is broken: the canary written at {broken} has not come back"
        elif error:
            detail = f"the canary could not be written: {error}"
        elif not sent:
            detail = "no canary written yet"
        else:
            detail = "waiting for the canary to come back" if pending else "the canary came back"
        return CanaryState(True, not broken and not error, detail, sent, seen, broken, error, age)
