"""What each IAM event means: one TOML data file per event name, validated at load.

An entry says what the call does in plain words, why it matters, its ATT&CK techniques, base
severity, which risk factors apply, how to summarise it in one line, and which remediations
apply with where their parameters come from. Events without an entry get a generic one:
never dropped.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
# Names a summary template or remediation parameter may read (see bot.triage.template_context).
TARGET_FIELDS = frozenset(
    {
        "user",
        "role",
        "group",
        "policy_arn",
        "policy_name",
        "access_key_id",
        "certificate_id",
        "server_certificate",
        "new_server_certificate",
        "new_path",
        "oidc_provider",
        "mfa_serial",
        "mfa_device",
        "ssh_key_id",
        "instance_profile",
        "saml_provider",
        "resource_arn",
        "principal",
    }
)
CONTEXT_FIELDS = TARGET_FIELDS | {"actor", "actor_arn", "account", "key", "event_name", "error_code"}
_DYNAMIC_PREFIXES = ("request.", "response.")


class CatalogError(ValueError):
    """A catalog data file is invalid; the message names the file and the problem."""


def _check_field(name: str) -> str:
    if name in CONTEXT_FIELDS or name.startswith(_DYNAMIC_PREFIXES):
        return name
    raise ValueError(f"unknown field {name!r} (known: {', '.join(sorted(CONTEXT_FIELDS))}, request.*, response.*)")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Summary(_Strict):
    text: str
    attempt: str
    when: dict[str, Any] = Field(default_factory=dict)

    @field_validator("text", "attempt")
    @classmethod
    def _placeholders(cls, value: str) -> str:
        for name in _PLACEHOLDER.findall(value):
            _check_field(name)
        return value

    @field_validator("when")
    @classmethod
    def _when(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            _check_field(name)
        return value


class RemediationOffer(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
    params: dict[str, str] = Field(default_factory=dict)
    when: dict[str, Any] = Field(default_factory=dict)

    @field_validator("params")
    @classmethod
    def _params(cls, value: dict[str, str]) -> dict[str, str]:
        for source in value.values():
            _check_field(source)
        return value

    @field_validator("when")
    @classmethod
    def _when(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            _check_field(name)
        return value


class Entry(_Strict):
    name: str = Field(pattern=r"^[A-Z][A-Za-z0-9]+$")
    title: str = Field(min_length=3, max_length=80)
    first_class: bool = False
    base_severity: Severity
    attack: list[str] = Field(default_factory=list)
    docs: list[str] = Field(min_length=1)
    factors: list[str] = Field(default_factory=list)
    meaning: str = Field(min_length=20)
    why: str = Field(min_length=20)
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

    @field_validator("summary")
    @classmethod
    def _default_last(cls, value: list[Summary]) -> list[Summary]:
        if value[-1].when:
            raise ValueError("the last summary must have no 'when': it is the default")
        return value

    @property
    def attack_urls(self) -> list[str]:
        return [f"https://attack.mitre.org/techniques/{t.replace('.', '/')}/" for t in self.attack]


def _split_camel(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)


def generic_entry(event_name: str, read_only: bool) -> Entry:
    """A correct, modest entry for an IAM event the catalog does not know."""
    words = _split_camel(event_name).lower()
    kind = "read" if read_only else "change"
    return Entry(
        name=event_name,
        title=_split_camel(event_name)[:80],
        base_severity="info" if read_only else "low",
        docs=[f"https://docs.aws.amazon.com/IAM/latest/APIReference/API_{event_name}.html"],
        factors=[],
        meaning=(
            f"An IAM {kind} call ({event_name}: {words}). iambot has no specific entry for it, "
            "so it reports the facts CloudTrail recorded without further interpretation."
        ),
        why=(
            "Reads map out who can do what, which is how an intruder plans the next step; "
            if read_only
            else "Any change to IAM can grant or remove access to the whole account; "
        )
        + "check that the caller meant to do this.",
        summary=[
            Summary(
                text="{actor} called " + event_name,
                attempt="{actor} tried to call " + event_name,
            )
        ],
        generic=True,
    )


class Catalog:
    """Entries by event name, with a generic fallback."""

    def __init__(self, entries: dict[str, Entry]):
        self.entries = entries

    def get(self, event_name: str, read_only: bool = False) -> Entry:
        entry = self.entries.get(event_name)
        return entry if entry is not None else generic_entry(event_name, read_only)

    def __contains__(self, event_name: str) -> bool:
        return event_name in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def names(self) -> list[str]:
        return sorted(self.entries)

    def first_class(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.first_class]


def parse_entry(text: str, where: str) -> Entry:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML: {exc}") from exc
    try:
        return Entry.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors())
        raise CatalogError(f"{where}: {problems}") from exc


def validate(entries: dict[str, Entry], known_factors: set[str], known_remediations: set[str] | None) -> None:
    """Cross-checks a data file cannot do alone: factor and remediation names exist."""
    for name, entry in entries.items():
        for factor in entry.factors:
            if factor not in known_factors:
                raise CatalogError(f"{name}.toml: unknown risk factor {factor!r}")
        if known_remediations is not None:
            for offer in entry.remediations:
                if offer.id not in known_remediations:
                    raise CatalogError(f"{name}.toml: unknown remediation {offer.id!r}")


@cache
def load() -> Catalog:
    """The bundled catalog, validated. Cached: configuration is read once."""
    from bot import risk  # local import: risk depends on the catalog's types

    entries: dict[str, Entry] = {}
    folder = resources.files(__package__) / "events"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".toml"):
            continue
        entry = parse_entry(item.read_text(encoding="utf-8"), item.name)
        if item.name != f"{entry.name}.toml":
            raise CatalogError(f"{item.name}: file name does not match name = {entry.name!r}")
        entries[entry.name] = entry
    validate(entries, set(risk.FACTORS), _remediation_ids())
    return Catalog(entries)


def _remediation_ids() -> set[str] | None:
    try:
        from remediations import registry
    except ImportError:  # pragma: no cover - the package ships with the bot
        return None
    return set(registry.ids())
