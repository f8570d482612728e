"""Sequences: what one principal's events say together that none says alone.

Two kinds, each found over one principal's events in time order:

- ``escalation``: denied identity writes (at least ``denied_writes`` within ``denied_window``) —
  a privilege-escalation attempt, or a self-escalation attempt when the denied writes aim at
  the caller's own IAM user;
- ``enumeration``: at least ``distinct_reads`` distinct identity read operations within
  ``read_window``, or any ``GetAccountAuthorizationDetails`` (the whole account's users, roles,
  groups and policies in one call).

A sequence stays open while its members keep coming within the window of the last one; a later
member joins it rather than starting another. Everything here is pure and total: a step is made
from any event (a hostile record gives at most no step), and :func:`find` never raises.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.events import IamEvent
from bot.events.model import builder

if TYPE_CHECKING:
    from bot.config.settings import Settings

ESCALATION = "escalation"
ENUMERATION = "enumeration"
KINDS = (ESCALATION, ENUMERATION)
SEVERITY = "medium"
# What CloudTrail records when a call was refused for want of permission: IAM, STS and
# Organizations write AccessDenied, the JSON-protocol services (sso-admin, identitystore)
# AccessDeniedException, EC2's query protocol Client.UnauthorizedOperation.
DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation"}
)
ALL_AT_ONCE = "GetAccountAuthorizationDetails"
# the identity services whose calls make sequences (eventSource's first label); sign-in events are
# attempts, not API calls (their failures have their own factor), and other services taken in
# (the root user's calls anywhere, the feed's own resources) have entries of their own
IDENTITY = frozenset(
    {"iam", "sts", "sso", "sso-directory", "identitystore", "organizations", "rolesanywhere", "sso-oauth", "portal"}
)
# IAM names the refused resource as "user NAME", "policy ARN" or a bare ARN
_RESOURCE = re.compile(r"on resource: (?:user ([\w+=,.@-]{1,64})|(?:\w+ )?(arn:[^\s]{1,2048}?))(?: because|\s|$)")


@dataclass(frozen=True, slots=True)
class Thresholds:
    denied_writes: int = 5
    denied_window: timedelta = timedelta(minutes=15)
    distinct_reads: int = 10
    read_window: timedelta = timedelta(minutes=5)

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(
            denied_writes=settings.sequence_denied_writes,
            denied_window=timedelta(minutes=settings.sequence_denied_minutes),
            distinct_reads=settings.sequence_distinct_reads,
            read_window=timedelta(minutes=settings.sequence_read_minutes),
        )

    def window(self, kind: str) -> timedelta:
        return self.denied_window if kind == ESCALATION else self.read_window


@dataclass(frozen=True, slots=True)
class Step:
    """One event's part in a sequence."""

    kind: str
    principal: str
    at: datetime
    name: str
    key: str
    at_self: bool = False  # a denied write aimed at the caller's own IAM user


@dataclass
class Found:
    kind: str
    principal: str
    first: datetime
    last: datetime
    calls: Counter[str] = field(default_factory=Counter)
    keys: list[str] = field(default_factory=list)
    at_self: int = 0  # members aimed at the caller's own user
    seen_before: bool = False  # an enumeration by a principal that enumerated before

    @property
    def self_escalation(self) -> bool:
        return self.kind == ESCALATION and self.at_self > 0

    def add(self, step: Step) -> None:
        self.calls[step.name] += 1
        self.keys.append(step.key)
        self.at_self += step.at_self
        self.last = max(self.last, step.at)

    @property
    def title(self) -> str:
        return title(self.kind, self.self_escalation)

    def ranked(self) -> list[tuple[str, int]]:
        return sorted(self.calls.items(), key=lambda kv: (-kv[1], kv[0]))

    @property
    def summary(self) -> str:
        return summary(self.kind, self.principal, self.ranked(), len(self.keys), self.at_self)

    def as_json(self) -> dict[str, object]:
        return {
            "sequence": self.kind,
            "title": self.title,
            "severity": SEVERITY,
            "principal": self.principal,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "events": len(self.keys),
            "summary": self.summary,
            "calls": dict(self.ranked()),
            "aimed_at_self": self.at_self,
            "seen_before": self.seen_before,
        }


def title(kind: str, self_escalation: bool = False) -> str:
    if kind == ENUMERATION:
        return "Identity enumeration"
    return "Self-escalation attempt" if self_escalation else "Privilege-escalation attempt"


def tried(calls: Iterable[tuple[str, int]], limit: int = 12) -> str:
    """"AttachUserPolicy ×3, PutUserPolicy, …": the operation names, most tried first."""
    items = list(calls)
    shown = [f"{name} ×{n}" if n > 1 else name for name, n in items[:limit]]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(shown) + more


def summary(kind: str, principal: str, calls: Iterable[tuple[str, int]], events: int, at_self: int) -> str:
    """What the sequence says, in one paragraph: the same words in Slack and in triage."""
    calls = list(calls)
    if kind == ENUMERATION:
        return (
            f"{principal} made {events} identity read call(s), {len(calls)} distinct, in quick succession: "
            f"{tried(calls)}. Listing users, roles and policies is how an intruder maps what a credential "
            "can reach before using it."
        )
    own = f"; {at_self} of them aimed at the caller's own user" if at_self else ""
    return (
        f"{principal} was denied {events} identity write(s), {len(calls)} distinct operation(s){own}: "
        f"{tried(calls)}. Trying one way after another to gain permissions is what escalation tools do; "
        "each call alone was refused, together they are an attempt."
    )


def principal_of(event: IamEvent) -> str:
    """Who acted, as one stable string: the ARN (an assumed role's session ARN) or the name."""
    return str(event.actor.arn or event.actor.name or "")


def is_read(event: IamEvent) -> bool:
    """An identity read: CloudTrail's ``readOnly``, or, when the record does not say, the name's
    Get/List/Describe… prefix (what normalize reads into ``read_only``)."""
    return bool(event.read_only)


def is_denied(event: IamEvent) -> bool:
    return event.error_code in DENIED


def aims_at_self(event: IamEvent, targets: Mapping[str, str]) -> bool:
    """The call's target user is the caller's own IAM user: by the resolved target, else by the
    resource the denial names (requestParameters is often null on a denial)."""
    actor = event.actor
    if actor.type != "IAMUser" or not actor.user_name:
        return False
    if targets.get("user") == actor.user_name:
        return True
    message = event.error_message if isinstance(event.error_message, str) else ""
    found = _RESOURCE.search(message[:4000])
    if found is None:
        return False
    return found.group(1) == actor.user_name or (actor.arn is not None and found.group(2) == actor.arn)


# Step(kind, principal, at, name, key, at_self), for step_of (model.py's builder: a frozen
# dataclass's own __init__ costs a call per field)
new_step = builder(Step)


def step_of(event: IamEvent, targets: Mapping[str, str] | None = None) -> Step | None:
    """The event's part in a sequence, or None (a successful write, a sign-in, no principal).
    Most events are successful writes: the kind is asked first, the cheapest question."""
    if event.read_only:  # is_read and is_denied, inline
        kind = ENUMERATION
    elif event.error_code in DENIED:
        kind = ESCALATION
    else:
        return None
    principal = principal_of(event)
    if not principal or event.event_source.partition(".")[0] not in IDENTITY:  # event.service
        return None
    at_self = kind == ESCALATION and aims_at_self(event, targets or {})
    key = f"{event.event_id}|{event.event_name}|{int(event.event_time.timestamp())}"  # event.key
    return new_step(kind, principal, event.event_time, event.event_name, key, at_self)


def counted_fires(kind: str, steps: int, names: int, all_at_once: bool, thresholds: Thresholds) -> bool:
    """Whether a window's members (the newest included) make a sequence, from what they add up to:
    how many, how many distinct names, and whether GetAccountAuthorizationDetails is one of them
    (the store counts them in ``iambot run``; find's :class:`Window` keeps the counts in triage)."""
    if kind == ESCALATION:
        return steps >= thresholds.denied_writes
    return all_at_once or names >= thresholds.distinct_reads


class Window:
    """One principal's steps of one kind within the window before the newest, oldest first, with
    the count of each name: a step in and the steps out of reach are each a constant time, so a
    busy principal (a scanner reading the same few things all day) costs no more a step than a
    quiet one."""

    __slots__ = ("names", "steps")

    def __init__(self) -> None:
        self.steps: deque[Step] = deque()
        self.names: Counter[str] = Counter()

    def add(self, step: Step, window: timedelta) -> None:
        """``step``, the newest, in; the steps more than ``window`` before it out."""
        steps, names = self.steps, self.names
        while steps and step.at - steps[0].at > window:
            gone = steps.popleft().name
            names[gone] -= 1
            if not names[gone]:
                del names[gone]
        steps.append(step)
        names[step.name] += 1

    def fires(self, kind: str, thresholds: Thresholds) -> bool:
        """:func:`counted_fires` on these steps."""
        return counted_fires(kind, len(self.steps), len(self.names), ALL_AT_ONCE in self.names, thresholds)


def find(steps: Iterable[Step], thresholds: Thresholds = Thresholds()) -> list[Found]:
    """The sequences in these steps (any principals, in time order): each fires on the member that
    reaches its threshold, counts the members of its window before it, and takes every later member
    that comes within the window of the one before."""
    found: list[Found] = []
    open_: dict[tuple[str, str], Found] = {}
    recent: dict[tuple[str, str], Window] = {}
    enumerated: set[str] = set()
    for step in sorted(steps, key=lambda s: s.at):
        key = (step.kind, step.principal)
        window = thresholds.window(step.kind)
        current = open_.get(key)
        if current is not None and step.at - current.last <= window:
            current.add(step)
            continue
        members = recent.get(key)
        if members is None:
            members = recent[key] = Window()
        members.add(step, window)
        if not members.fires(step.kind, thresholds):
            continue
        first = members.steps[0]
        sequence = Found(step.kind, step.principal, first.at, first.at)
        for member in members.steps:
            sequence.add(member)
        if step.kind == ENUMERATION:
            sequence.seen_before = step.principal in enumerated
            enumerated.add(step.principal)
        found.append(sequence)
        open_[key] = sequence
        del recent[key]
    return found
