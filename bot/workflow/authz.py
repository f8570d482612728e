"""Who may do what, and who a CloudTrail actor is in Slack.

Every state change asks here where the click or command lands. Approvers come from
``IAMBOT_APPROVERS`` and ``approver_groups``; requesters from ``requesters`` and
``requester_groups`` (nobody listed: anyone may ask, since a request changes nothing until an
approver approves). Separation of duties: nobody approves their own request, and the person who
made a change (the CloudTrail actor, mapped to Slack through ``people`` in iambot.toml or their
e-mail) can neither approve its remediation nor dismiss its alert.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from bot.events import Actor

if TYPE_CHECKING:
    from bot.config.settings import Settings

log = logging.getLogger(__name__)
CACHE_SECONDS = 300


class Refused(Exception):
    """A click or command the policy does not allow; the message is for the person."""


def plain_id(value: str, limit: int = 64) -> str:
    """An id a person typed or a button carried, reduced to letters, digits and dashes before it
    appears in any message (so nothing typed can become a mention or markup)."""
    return re.sub(r"[^A-Za-z0-9-]", "", value)[:limit] or "?"


class Directory(Protocol):
    """What iambot asks Slack about people (the Slack layer implements it)."""

    def group_members(self, group: str) -> frozenset[str]:
        """Members of a user group; empty when Slack cannot say (then nobody is trusted through it)."""
        ...

    def user_by_email(self, email: str) -> str | None: ...


class NoDirectory:
    def group_members(self, group: str) -> frozenset[str]:
        return frozenset()

    def user_by_email(self, email: str) -> str | None:
        return None


class Act(StrEnum):
    REQUEST = "request"
    APPROVE = "approve"
    DENY = "deny"
    DISMISS = "dismiss"
    MUTE = "mute"
    UNMUTE = "unmute"
    DIGEST = "digest"
    REPORT = "report"


@dataclass(frozen=True, slots=True)
class ActorRef:
    """The CloudTrail actor of a change, as stored with its alert and requests."""

    arn: str | None
    name: str | None
    email: str | None

    @classmethod
    def of(cls, actor: Actor) -> ActorRef:
        return cls(actor.arn, actor.name, actor.email)

    def as_dict(self) -> dict[str, str | None]:
        return {"arn": self.arn, "name": self.name, "email": self.email}

    @classmethod
    def load(cls, data: Any) -> ActorRef | None:
        if not isinstance(data, dict):
            return None
        return cls(data.get("arn"), data.get("name"), data.get("email"))


class _Cache:
    def __init__(self, seconds: float, monotonic: Callable[[], float]):
        self.seconds, self.monotonic = seconds, monotonic
        self._items: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit and self.monotonic() - hit[0] < self.seconds:
                return hit[1]
        value = make()  # outside the lock: it may call Slack
        with self._lock:
            self._items[key] = (self.monotonic(), value)
        return value


class Authorizer:
    def __init__(self, settings: Settings, directory: Directory, monotonic: Callable[[], float] = time.monotonic):
        self.approvers = frozenset(settings.approvers)
        self.approver_groups = tuple(settings.approver_groups)
        self.requesters = frozenset(settings.requesters)
        self.requester_groups = tuple(settings.requester_groups)
        self.people: dict[str, str] = dict(settings.people)
        self.directory = directory
        self._cache = _Cache(CACHE_SECONDS, monotonic)

    def _members(self, group: str) -> frozenset[str]:
        found = self._cache.get(f"group:{group}", lambda: self.directory.group_members(group))
        return found if isinstance(found, frozenset) else frozenset()

    def _in_groups(self, user: str, groups: tuple[str, ...]) -> bool:
        return any(user in self._members(g) for g in groups)

    def is_approver(self, user: str) -> bool:
        return user in self.approvers or self._in_groups(user, self.approver_groups)

    def is_requester(self, user: str) -> bool:
        if not self.requesters and not self.requester_groups:
            return True
        return user in self.requesters or self.is_approver(user) or self._in_groups(user, self.requester_groups)

    def may(self, act: Act, user: str) -> bool:
        """The role check alone; the separation-of-duties checks are in ``actor_is``."""
        if act in (Act.REQUEST, Act.REPORT):
            return self.is_requester(user)
        return self.is_approver(user)

    def slack_user(self, actor: ActorRef | None) -> str | None:
        """The Slack user who is this CloudTrail actor, when iambot can tell."""
        if actor is None:
            return None
        listed = self.listed_user(actor)
        if listed is not None:
            return listed
        if actor.email:
            email = actor.email
            found = self._cache.get(f"email:{email}", lambda: self.directory.user_by_email(email))
            return found if isinstance(found, str) else None
        return None

    def listed_user(self, actor: ActorRef) -> str | None:
        """The Slack user ``people`` in iambot.toml names for this actor (no call to Slack)."""
        for pattern, user in self.people.items():
            for value in (actor.arn, actor.name, actor.email):
                if value and (value == pattern or ("*" in pattern and fnmatch.fnmatchcase(value, pattern))):
                    return user
        return None

    def actor_is(self, actor: ActorRef | None, user: str) -> bool:
        return actor is not None and self.slack_user(actor) == user
