"""The remediation contract.

A remediation declares ``id`` (stable kebab-case), ``title``, ``service`` (the boto3 client it
acts through: ``iam`` or ``organizations``), ``permissions`` (the exact actions it calls, reads
included), ``destructive`` (irreversible) and a pydantic ``Params`` model that forbids unknown
keys. ``plan(params)`` reads live state and returns "Would …" lines plus the state it expects,
and a few lines of blast radius (``remediations/_impact.py``: reads it declares too, which never
block the plan when they fail); ``apply(params)`` makes the change, is idempotent, and catches
only the specific "already done / no such entity" errors. The runner, not the remediation,
decides dry-run, and re-plans at execution to refuse when live state drifted.

A remediation also carries what else it knows: ``defaults(settings)`` (parameters an operator
configures), ``prepare(params, knowledge)`` (parameters only iambot's own records hold, such as
the thumbprints an OIDC provider had before a change), and ``jobs()`` (scheduled reads that keep
those records, with the permissions they need). Nothing outside ``remediations/`` names one.

And it knows its way back: ``undo(params, expected)`` names the request (another registered
remediation and its parameters) that puts back what it changed, from its stored parameters and the
state its plan read before the change; or None where no safe inverse exists, and then
``undo_note`` says why (a deleted key cannot be re-created). ``undo`` is total over what is
stored: parameters or expected state that do not read as this remediation's give None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError


class BaseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


UserName = Field(min_length=1, max_length=64, pattern=r"^[\w+=,.@-]+$")
RoleName = Field(min_length=1, max_length=64, pattern=r"^[\w+=,.@-]+$")
GroupName = Field(min_length=1, max_length=128, pattern=r"^[\w+=,.@-]+$")
PolicyName = Field(min_length=1, max_length=128, pattern=r"^[\w+=,.@-]+$")
PolicyArn = Field(min_length=20, max_length=2048, pattern=r"^arn:aws[\w-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]+$")
AccessKeyId = Field(min_length=16, max_length=128, pattern=r"^[\w]+$")


class RemediationError(Exception):
    """The remediation cannot go ahead; the message is for the person in Slack."""


@dataclass(frozen=True)
class Plan:
    lines: list[str]
    expected: dict[str, Any] = field(default_factory=dict)
    noop: bool = False  # live state is already what the remediation would make it
    # the blast radius: a few lines about what the target can do and who depends on it (_impact.py),
    # shown before anyone approves; never compared at execution (last-used times are not drift)
    impact: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    changed: bool
    lines: list[str]


class OperatorSettings(Protocol):
    """What remediations read of iambot's settings (``bot.config.settings.Settings`` has it all;
    a protocol here because the settings module imports the remediation registry to check ids)."""

    @property
    def remediation_role(self) -> str | None: ...

    @property
    def external_id(self) -> SecretStr | None: ...

    @property
    def password_policy(self) -> dict[str, Any]: ...


class SnapshotStore(Protocol):
    """Where iambot keeps state recorded before a change (the store's snapshots)."""

    def record(
        self, kind: str, key: str, value: Any, account_id: str | None = None, at: datetime | None = None
    ) -> bool: ...

    def latest(self, kind: str, key: str) -> Any: ...

    def before(self, kind: str, key: str, when: datetime) -> Any: ...


@dataclass(frozen=True)
class Knowledge:
    """What a remediation may consult when it is requested from an alert."""

    snapshots: SnapshotStore | None
    event_time: datetime | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class JobContext:
    client: Any  # the remediation's service client, in iambot's own account
    account_id: str
    snapshots: SnapshotStore
    now: datetime


@dataclass(frozen=True)
class Job:
    """A scheduled read a remediation needs (named, every ``minutes``)."""

    name: str
    minutes: int
    run: Callable[[JobContext], int]
    permissions: tuple[str, ...]


@dataclass(frozen=True)
class Undo:
    """The request that undoes an applied remediation: another registered remediation (an inverse,
    requested, approved and drift-checked like any other) and its parameters, JSON-ready."""

    remediation_id: str
    params: dict[str, Any]


def as_dict(value: Any) -> dict[str, Any]:
    """Stored JSON that should be an object (an expected state): itself, or {} when it is not one."""
    return value if isinstance(value, dict) else {}


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Remediation:
    id: ClassVar[str]
    title: ClassVar[str]
    service: ClassVar[str] = "iam"
    permissions: ClassVar[tuple[str, ...]]
    destructive: ClassVar[bool] = False
    Params: ClassVar[type[BaseParams]]
    # why there is no undo, for the request message (None: undoable, or nothing to say)
    undo_note: ClassVar[str | None] = None
    # requested only as the undo of another remediation (re-activating a key or re-attaching a
    # policy on its own would be a way to grant access through an approval)
    undo_only: ClassVar[bool] = False

    def __init__(self, client: Any, snapshots: SnapshotStore | None = None):
        self.client = client
        self.snapshots = snapshots

    @property
    def iam(self) -> Any:
        return self.client

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> BaseParams:
        return cls.Params.model_validate(raw)

    @classmethod
    def parsed(cls, raw: Any) -> Any:
        """The parameters, or None when ``raw`` does not parse as them (for ``undo``, which is total)."""
        if not isinstance(raw, dict):
            return None
        try:
            return cls.parse(raw)
        except ValidationError:
            return None

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        """The request that puts back what this remediation changed, from its parameters and the
        state its plan read before the change (``expected``); None where no safe inverse exists."""
        return None

    @classmethod
    def defaults(cls, settings: OperatorSettings) -> dict[str, Any]:
        """Parameters an operator set in the configuration; a request may override them."""
        return {}

    @classmethod
    def prepare(cls, params: dict[str, Any], knowledge: Knowledge) -> dict[str, Any]:
        """Complete the parameters an alert supplies with what only iambot's records hold."""
        return params

    @classmethod
    def jobs(cls) -> tuple[Job, ...]:
        return ()

    def plan(self, params: Any) -> Plan:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(self, params: Any) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError
