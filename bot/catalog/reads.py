"""Read operations in compact tables: ``reads/<name>.toml``, one short row per read, expanded into
full entries when the catalog loads.

Some 170 read operations of the identity services need an entry each (what the call reveals, and
to whom), and 170 hand-written files would say the same thing 170 times. A table names its
source once, and a row says only what differs: what the call returns (``reveals``, a noun phrase
that completes "{actor} read …"), the same phrase naming its target when the record names one
(``of``), the target paths, and a severity when the read itself matters. Reads that matter enough
to need their own words (a whole-account dump, a permission probe, credentials handed to a person)
have full entries in ``events/`` instead; a row for an operation that already has one is refused,
so the two never disagree.

Every row is validated like any entry (placeholders, paths, ATT&CK ids). Whether each row names
an operation AWS has is checked by the coverage tests against the locked botocore, not here: a
newer botocore at run time must never stop iambot from starting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.catalog.model import Entry, Severity, Summary
from bot.config import toml


class Source(Protocol):
    """What a table needs of its source (``bot.catalog.loader.Source``, which imports this module)."""

    @property
    def service(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def docs(self) -> str: ...


OP_NAME = re.compile(r"[A-Z][A-Za-z0-9]{1,127}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Row(_Strict):
    """One read operation."""

    reveals: str = Field(min_length=5, max_length=160)  # "the IAM users of the account": no placeholders
    of: str | None = Field(default=None, min_length=5, max_length=200)  # the same, naming the target
    targets: dict[str, str | list[str]] = Field(default_factory=dict)
    severity: Severity = "info"
    # what the caller did with it, past and infinitive: "read" by default; a Generate… call that
    # starts a report says so ("asked IAM to build" / "ask IAM to build")
    did: str = Field(default="read", min_length=3, max_length=40)
    to_do: str = Field(default="read", min_length=3, max_length=40)
    attack: list[str] | None = None  # the table's techniques unless given
    title: str | None = Field(default=None, min_length=3, max_length=80)
    meaning: str | None = Field(default=None, min_length=20)  # when "returns …" would be untrue
    why: str | None = Field(default=None, min_length=10)  # said before the table's why

    @field_validator("reveals")
    @classmethod
    def _plain(cls, value: str) -> str:
        if "{" in value or "}" in value:
            raise ValueError("reveals is the case that names no target: no placeholders (put them in `of`)")
        return value


class Table(_Strict):
    source: str = Field(pattern=r"^[a-z0-9-]+\.amazonaws\.com$")
    docs: str | None = None  # reference page of a row, {name} filled in; the source's when absent
    why: str = Field(min_length=20)
    attack: list[str] = Field(default_factory=list)
    read: dict[str, Row] = Field(min_length=1)


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)


def expand(table: Table, name: str, row: Row, source: Source) -> Entry:
    """The full entry a row stands for (raises pydantic's ValidationError)."""
    if not OP_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not an operation name")
    if row.of is not None and not row.targets:
        raise ValueError(f"{name}: `of` names a target, so the row needs [targets]")
    summary = [
        Summary(text=f"{{actor}} {row.did} {row.reveals}", attempt=f"{{actor}} tried to {row.to_do} {row.reveals}")
    ]
    if row.of is not None:
        summary.insert(
            0, Summary(text=f"{{actor}} {row.did} {row.of}", attempt=f"{{actor}} tried to {row.to_do} {row.of}")
        )
    meaning = row.meaning or (
        f"A read-only {source.label} call: {name} returns {row.reveals} to the caller. It changes nothing."
    )
    return Entry(
        source=table.source,
        name=name,
        title=row.title or f"{_words(name)} (read)"[:80],
        base_severity=row.severity,
        attack=table.attack if row.attack is None else row.attack,
        docs=[(table.docs or source.docs).format(name=name)],
        meaning=meaning,
        why=table.why if row.why is None else f"{row.why} {table.why}",
        targets=row.targets,
        summary=summary,
    )


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors())


def load_tables(folder: Traversable, sources: Mapping[str, Source], entries: dict[tuple[str, str], Entry]) -> None:
    """Expand every table of ``folder`` into ``entries``; a bad row is a ValueError naming it.

    ``entries`` holds the full entries already loaded: a row for one of them is refused."""
    if not folder.is_dir():
        return
    rows: dict[tuple[str, str], str] = {}  # where each table row came from
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".toml"):
            continue
        where = f"reads/{item.name}"
        try:
            table = Table.model_validate(toml.loads(item.read_text(encoding="utf-8")))
        except toml.TOMLDecodeError as exc:
            raise ValueError(f"{where}: not valid TOML: {exc}") from exc
        except ValidationError as exc:
            raise ValueError(f"{where}: {_problems(exc)}") from exc
        source = sources.get(table.source)
        if source is None:
            raise ValueError(f"{where}: source {table.source!r} is not listed in sources.toml")
        for name, row in table.read.items():
            key = (table.source, name)
            if key in entries:
                kind = "a row in " + rows[key] if key in rows else f"a full entry (events/{source.service}/{name}.toml)"
                raise ValueError(f"{where}: {name} already has {kind}; keep one")
            try:
                entries[key] = expand(table, name, row, source)
            except ValidationError as exc:
                raise ValueError(f"{where}: {name}: {_problems(exc)}") from exc
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from exc
            rows[key] = where
