"""The types risk scoring is made of: a factor's finding, and what scoring knows beyond the event."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.catalog.fields import Subject
from bot.events import IamEvent


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    delta: int
    reason: str
    at_least: str | None = None  # a floor: the event is at least this severe


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
    principals (ARN globs), and the store's history of sign-ins."""

    self_arns: tuple[str, ...] = ()
    automation_arns: tuple[str, ...] = ()
    history: History | None = None

    def arns_of(self, event: IamEvent) -> list[str]:
        return [a for a in (event.actor.arn, event.actor.issuer_arn) if a]

    def is_self(self, event: IamEvent) -> bool:
        return any(fnmatch.fnmatchcase(a, p) for p in self.self_arns for a in self.arns_of(event))


FactorFn = Callable[[Subject, RiskContext], Factor | None]
