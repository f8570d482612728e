"""The types risk scoring is made of: a factor's finding, and what scoring knows beyond the event."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.catalog.fields import Subject
from bot.events import IamEvent
from bot.events.model import builder

if TYPE_CHECKING:
    from bot.config.settings import Settings


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    delta: int
    reason: str
    at_least: str | None = None  # a floor: the event is at least this severe


_new_factor = builder(Factor)


def factor(name: str, delta: int, reason: str, at_least: str | None = None) -> Factor:
    """``Factor(…)`` through model.py's builder: what a factor function returns when it fires
    (the frozen dataclass's own __init__ costs a call per field)."""
    return _new_factor(name, delta, reason, at_least)


@dataclass(frozen=True, slots=True)
class Feed:
    """iambot's own resources. ``trails`` (names, ARNs or globs of trails and event data stores):
    empty means any trail may be the one iambot reads. ``rules`` and ``queues`` are name globs
    (the template's stack names them ``iambot-…``); ``queue_urls`` the queues iambot reads."""

    trails: tuple[str, ...] = ()
    rules: tuple[str, ...] = ("iambot-*",)
    queues: tuple[str, ...] = ("iambot-*",)
    queue_urls: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Feed:
        trails = tuple(settings.feed_trails)
        if trails and settings.hunt_lake:
            trails += (settings.hunt_lake,)
        return cls(
            trails=trails,
            rules=tuple(settings.feed_rules),
            queues=tuple(settings.feed_queues),
            queue_urls=(settings.sqs_queue_url,) if settings.sqs_queue_url else (),
            buckets=tuple(settings.trail_buckets),
            keys=tuple(settings.trail_kms_keys),
        )


class History(Protocol):
    """What the store remembers of earlier events, for the new-network and repeated-failures factors."""

    def sign_in_sources(self, actor: str, source: str, before: datetime) -> tuple[set[str], set[str]]:
        """(IPs, networks) this actor signed in from before ``before``; empty when unknown."""
        ...

    def failures(self, actor: str | None, source_ip: str | None, source: str, since: datetime, before: datetime) -> int:
        """Failed events of ``source`` by this actor, or from this address, in [since, before)."""
        ...


@dataclass(frozen=True, slots=True)
class RiskContext:
    """What risk scoring knows beyond the event: iambot's own principals and the automation
    principals (ARN globs), the store's history of sign-ins, and iambot's own feed (its trail,
    rules, queue, bucket and key: :class:`Feed`)."""

    self_arns: tuple[str, ...] = ()
    automation_arns: tuple[str, ...] = ()
    history: History | None = None
    feed: Feed = field(default_factory=lambda: Feed())

    def arns_of(self, event: IamEvent) -> list[str]:
        return [a for a in (event.actor.arn, event.actor.issuer_arn) if a]

    def is_self(self, event: IamEvent) -> bool:
        if not self.self_arns:
            return False
        return any(fnmatch.fnmatchcase(a, p) for p in self.self_arns for a in self.arns_of(event))


FactorFn = Callable[[Subject, RiskContext], Factor | None]
