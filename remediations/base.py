"""The remediation contract.

A remediation declares ``id`` (stable kebab-case), ``title``, ``permissions`` (the exact
``iam:*`` actions it calls, reads included), ``destructive`` (irreversible) and a pydantic
``Params`` model that forbids unknown keys. ``plan(params)`` reads live state and returns
"Would …" lines plus the state it expects; ``apply(params)`` makes the change, is idempotent,
and catches only the specific "already done / no such entity" errors. The runner, not the
remediation, decides dry-run, and re-plans at execution to refuse when live state drifted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field


class BaseParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


UserName = Field(min_length=1, max_length=64, pattern=r"^[\w+=,.@-]+$")
AccessKeyId = Field(min_length=16, max_length=128, pattern=r"^[\w]+$")


class RemediationError(Exception):
    """The remediation cannot go ahead; the message is for the person in Slack."""


@dataclass(frozen=True)
class Plan:
    lines: list[str]
    expected: dict[str, Any] = field(default_factory=dict)
    noop: bool = False  # live state is already what the remediation would make it


@dataclass(frozen=True)
class Outcome:
    changed: bool
    lines: list[str]


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Remediation:
    id: ClassVar[str]
    title: ClassVar[str]
    permissions: ClassVar[tuple[str, ...]]
    destructive: ClassVar[bool] = False
    Params: ClassVar[type[BaseParams]]

    def __init__(self, iam: Any):
        self.iam = iam

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> BaseParams:
        return cls.Params.model_validate(raw)

    def plan(self, params: Any) -> Plan:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(self, params: Any) -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError
