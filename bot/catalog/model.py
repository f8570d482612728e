"""The shape of a catalog entry, validated when the catalog loads.

An entry says, for one event name of one source, what the call does in plain words, why it
matters, its ATT&CK techniques, its severity, what it acted on (its targets, read from the
record), how to summarise it in one line for each case, which risk factors apply, and which
remediations fit with where their parameters come from. ``bot/catalog/README.md`` is the
authoring guide.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
TARGET_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Record paths a target, condition or template may read.
PATH_ROOTS = ("request.", "response.", "additional.", "service.", "resources.", "identity.", "record.")
# Facts about the event every entry may use by name.
CONTEXT_FIELDS = frozenset(
    {
        "actor",  # display name: user, role/session, SSO e-mail, "root"
        "actor_arn",
        "actor_type",  # Root, IAMUser, AssumedRole, FederatedUser, AWSService, …
        "actor_key",  # the access key the caller signed with
        "actor_key_short",  # the same, shortened (AKIA…MPLE)
        "actor_issuer",  # the role behind an assumed-role session (its ARN)
        "actor_account",
        "account",  # the account the event was recorded in
        "region",
        "source_ip",
        "user_agent",
        "event_name",
        "event_source",
        "error_code",
        "error_message",
        "on_self",  # true when the target user is the caller itself; false for someone else; unset if unknown
        "key",  # the target access key id, shortened (AKIA…MPLE)
        "allows",  # the call's policy document has an Allow statement
        "trusted",  # the principals a trust or resource policy document names (AWS, Federated, Service)
    }
)
OPERATORS = frozenset({"present", "prefix", "suffix", "contains", "not", "below", "above"})

Scalar = str | int | float | bool
Condition = Scalar | list[Scalar] | dict[str, Any]


def is_path(name: str) -> bool:
    return name.startswith(PATH_ROOTS) and len(name.split(".", 1)[1]) > 0


def check_condition(name: str, condition: Any) -> None:
    if isinstance(condition, dict):
        unknown = set(condition) - OPERATORS
        if unknown or not condition:
            raise ValueError(f"{name}: operators are {', '.join(sorted(OPERATORS))}; got {sorted(condition)}")
        if "present" in condition and not isinstance(condition["present"], bool):
            raise ValueError(f"{name}: present takes true or false")
        for op in ("prefix", "suffix", "contains"):
            if op in condition and not isinstance(condition[op], str | list):
                raise ValueError(f"{name}: {op} takes a string or a list of strings")
        for op in ("below", "above"):
            if op in condition and (isinstance(condition[op], bool) or not isinstance(condition[op], int | float)):
                raise ValueError(f"{name}: {op} takes a number")


def _check_conditions(value: dict[str, Any]) -> dict[str, Any]:
    for name, condition in value.items():
        check_condition(name, condition)
    return value


Conditions = Annotated[dict[str, Condition], AfterValidator(_check_conditions)]  # a case's or an offer's `when`


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Summary(_Strict):
    """One case: the first whose ``when`` matches (and whose placeholders resolve) describes the
    event. A case may set the severity the event starts from; factors then move it."""

    when: Conditions = Field(default_factory=dict)
    text: str = Field(min_length=3, max_length=300)
    attempt: str = Field(min_length=3, max_length=300)
    severity: Severity | None = None


class RemediationOffer(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
    params: dict[str, str] = Field(default_factory=dict)
    when: Conditions = Field(default_factory=dict)


class Entry(_Strict):
    source: str = Field(pattern=r"^[a-z0-9-]+\.amazonaws\.com$")
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,127}$")
    title: str = Field(min_length=3, max_length=80)
    first_class: bool = False
    base_severity: Severity
    attack: list[str] = Field(default_factory=list)
    docs: list[str] = Field(min_length=1)
    factors: list[str] = Field(default_factory=list)
    meaning: str = Field(min_length=20)
    why: str = Field(min_length=20)
    targets: dict[str, str | list[str]] = Field(default_factory=dict)
    caller_default: str | None = None  # this target is the caller when the request names none
    summary: list[Summary] = Field(min_length=1)
    remediations: list[RemediationOffer] = Field(default_factory=list)
    generic: bool = False

    @field_validator("attack")
    @classmethod
    def _attack(cls, value: list[str]) -> list[str]:
        for technique in value:
            if not re.fullmatch(r"T\d{4}(\.\d{3})?", technique):
                raise ValueError(f"{technique!r} is not an ATT&CK technique id like T1098.001")
        return value

    @field_validator("docs")
    @classmethod
    def _docs(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith("https://docs.aws.amazon.com/"):
                raise ValueError(f"{url!r} is not an AWS documentation link")
        return value

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for name, paths in value.items():
            if not TARGET_NAME.fullmatch(name) or name in CONTEXT_FIELDS:
                raise ValueError(f"target name {name!r}: use lower_snake_case that is not a context field")
            for path in [paths] if isinstance(paths, str) else paths:
                if not is_path(path):
                    raise ValueError(f"target {name}: {path!r} is not a record path ({', '.join(PATH_ROOTS)}…)")
        return value

    @model_validator(mode="after")
    def _names(self) -> Entry:
        known = CONTEXT_FIELDS | set(self.targets)

        def check(name: str, where: str) -> None:
            if name not in known and not is_path(name):
                raise ValueError(
                    f"{where}: unknown field {name!r}; use a target of this entry "
                    f"({', '.join(sorted(self.targets)) or 'none'}), a context field or a record path"
                )

        if self.caller_default is not None and self.caller_default not in self.targets:
            raise ValueError(f"caller_default {self.caller_default!r} is not one of this entry's targets")
        for i, case in enumerate(self.summary):
            for template in (case.text, case.attempt):
                for name in PLACEHOLDER.findall(template):
                    check(name, f"summary[{i}]")
            for name in case.when:
                check(name, f"summary[{i}].when")
        if self.summary[-1].when:
            raise ValueError("the last summary must have no 'when': it is the default")
        for offer in self.remediations:
            for name in [*offer.params.values(), *offer.when]:
                check(name, f"remediation {offer.id}")
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.name)

    @property
    def attack_urls(self) -> list[str]:
        return [f"https://attack.mitre.org/techniques/{t.replace('.', '/')}/" for t in self.attack]
