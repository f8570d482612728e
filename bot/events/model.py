"""The normalized event: who acted, what they called, and what CloudTrail recorded of it.

An :class:`IamEvent` is an identity event from any covered source (IAM, sign-in, STS, IAM
Identity Center, Organizations, Roles Anywhere). It holds facts only; what the call acted on
(its targets) and what it means come from the catalog entry for its source and name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, make_dataclass
from datetime import datetime
from typing import Any, TypeVar

JsonObject = dict[str, Any]


class RecordError(ValueError):
    """A record that cannot become an IamEvent; the message says what is wrong."""


# The most iambot reads from one file, S3 object or message, before and after gunzip. CloudTrail's
# log files are a few megabytes; a larger input is refused by name rather than read into memory.
MAX_INPUT_BYTES = 1 << 30


def size_text(n: int) -> str:
    """1073741824 -> '1024 MiB', 65536 -> '64 KiB'."""
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB" if n >= 1 << 10 else f"{n} bytes"


class UnreadableInput(Exception):
    """A path that cannot be read at all (missing, no permission, corrupt gzip)."""


Frozen = TypeVar("Frozen")


def builder(cls: type[Frozen]) -> Callable[..., Frozen]:
    """A positional constructor of the frozen slotted dataclass ``cls``, for normalize's hot path.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` (a call per
    field: 0.2 µs); here the values go into a plain class with the same slots (an attribute store
    each), which then takes ``cls`` as its class, a switch CPython allows between classes of the
    same layout. The result is a ``cls`` like any other: frozen, equal, hashed, pickled the same."""

    def freeze(self: Any) -> None:
        self.__class__ = cls

    names = [(f.name, f.type) for f in fields(cls)]  # type: ignore[arg-type]
    draft = make_dataclass(
        f"_{cls.__name__}Draft", names, namespace={"__post_init__": freeze}, slots=True, repr=False, eq=False,
        match_args=False,
    )  # fmt: skip
    if draft.__slots__ != getattr(cls, "__slots__", None):  # type: ignore[attr-defined]  # a layout CPython refuses
        raise TypeError(f"{cls.__name__}: not a slotted dataclass")
    return draft


@dataclass(frozen=True, slots=True)
class Actor:
    type: str
    arn: str | None
    name: str
    account_id: str | None = None
    principal_id: str | None = None
    access_key_id: str | None = None
    user_name: str | None = None  # the IAM user, for IAMUser callers
    role_name: str | None = None  # for AssumedRole callers
    session_name: str | None = None
    issuer_arn: str | None = None  # the role behind an assumed-role session
    mfa: bool | None = None  # None: CloudTrail did not say, or it does not apply (federation)
    console: bool = False
    invoked_by: str | None = None

    @property
    def is_root(self) -> bool:
        return self.type == "Root"

    @property
    def email(self) -> str | None:
        """The person's e-mail when the identity carries one (IAM Identity Center sessions,
        e-mail-named users): how an actor is matched to a Slack user."""
        for candidate in (self.session_name, self.user_name):
            if candidate and "@" in candidate and "." in candidate.rsplit("@", 1)[-1]:
                return candidate.lower()
        return None

    def as_dict(self) -> JsonObject:
        return {
            "type": self.type,
            "arn": self.arn,
            "name": self.name,
            "account_id": self.account_id,
            "access_key_id": self.access_key_id,
            "mfa": self.mfa,
            "console": self.console,
        }


# Actor(type, arn, name, account_id, …, invoked_by): every field, in order (normalize's path)
new_actor = builder(Actor)


@dataclass(frozen=True, slots=True)
class IamEvent:
    event_id: str
    event_name: str
    event_source: str
    event_time: datetime
    account_id: str | None
    region: str | None
    actor: Actor
    source_ip: str | None
    user_agent: str | None
    request: JsonObject
    response: JsonObject
    additional: JsonObject  # additionalEventData (sign-in: MFAUsed, LoginTo …)
    error_code: str | None
    error_message: str | None
    read_only: bool
    request_recorded: bool  # False when CloudTrail wrote requestParameters as null (often on denials)
    raw: JsonObject = field(repr=False, compare=False)
    origin: str = ""

    @property
    def failed(self) -> bool:
        """The call failed or was denied, or the sign-in failed: nothing changed."""
        return self.error_code is not None

    @property
    def service(self) -> str:
        """iam, signin, sts, sso, organizations … (the first label of eventSource)."""
        return self.event_source.split(".", 1)[0]

    @property
    def key(self) -> str:
        """What the store deduplicates on. A redelivered record has the same eventID, name and
        time; published fixtures reuse eventIDs like "1111" across different events, and those
        must not swallow each other."""
        return f"{self.event_id}|{self.event_name}|{int(self.event_time.timestamp())}"


new_event = builder(IamEvent)  # every field, in order


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that could not be read: where it was and why, in one line."""

    where: str
    reason: str
    excerpt: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(slots=True)
class ReadStats:
    records: int = 0
    kept: int = 0  # records of the identity sources iambot explains
    skipped: int = 0  # records of other services, counted and left alone
    rejected: int = 0
    files: int = 0
    unreadable: int = 0

    def add(self, other: ReadStats) -> None:
        for name in ("records", "kept", "skipped", "rejected", "files", "unreadable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
