"""Loading the catalog: the sources, one TOML file per event (``events/<service>/<Name>.toml``) and
the tables of read operations (``reads/*.toml``, see ``bot.catalog.reads``), validated at load.
Events of a covered source without an entry get a modest generic one; the root user's calls
without an entry, in any service, get the root entry instead."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.catalog.model import Entry, Summary
from bot.catalog.reads import load_tables
from bot.config import toml
from bot.events import Selection


class CatalogError(ValueError):
    """A catalog data file is invalid; the message names the file and the problem."""


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str = Field(pattern=r"^[a-z0-9-]+$")
    source: str = Field(pattern=r"^[a-z0-9-]+\.amazonaws\.com$")
    label: str
    recorded: Literal["global", "regional", "home"]
    docs: str
    named_only: bool = False
    generic_severity: Literal["info", "low"] = "low"
    detail_type: str = "AWS API Call via CloudTrail"

    @property
    def eventbridge_source(self) -> str:
        return f"aws.{self.service}"


def _unlisted(source: str) -> Source:
    """A source outside sources.toml (only hand-fed records reach here): described plainly."""
    service = source.split(".", 1)[0] or "unknown"
    return Source(
        service=service if re.fullmatch(r"[a-z0-9-]+", service) else "unknown",
        source=source if re.fullmatch(r"[a-z0-9-]+\.amazonaws\.com", source) else "unknown.amazonaws.com",
        label=service,
        recorded="regional",
        docs="https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference.html",
    )


def _split_camel(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)


def generic_entry(source: Source, event_name: str, read_only: bool) -> Entry:
    """A correct, modest entry for an event of a covered source that the catalog does not know."""
    words = _split_camel(event_name).lower()
    kind = "read" if read_only else "change"
    return Entry(
        source=source.source,
        name=event_name,
        title=_split_camel(event_name)[:80] or event_name[:80],
        base_severity="info" if read_only else source.generic_severity,
        docs=[source.docs.format(name=event_name)],
        meaning=(
            f"A {source.label} {kind} call ({event_name}: {words}). iambot has no specific entry for it, "
            "so it reports the facts CloudTrail recorded without further interpretation."
        ),
        why=(
            "Reads map out who can do what, which is how an intruder plans the next step; "
            if read_only
            else "Any change to identity and access can grant or remove access to the whole account; "
        )
        + "check that the caller meant to do this.",
        summary=[Summary(text="{actor} called " + event_name, attempt="{actor} tried to call " + event_name)],
        generic=True,
    )


ROOT_DOCS = [
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html",
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html",
]


def root_entry(source: str, event_name: str) -> Entry:
    """What iambot says of a root user's call that has no entry of its own, in any service: the
    use itself is the finding (CIS AWS Foundations 1.7 and its root-usage alarm). It starts at
    medium; the root-actor factor takes every such call to at least high."""
    service = source.split(".", 1)[0] if re.fullmatch(r"[a-z0-9-]+\.amazonaws\.com", source) else "unknown"
    call = f"{service}:{event_name}"
    return Entry(
        source=source if service != "unknown" else "unknown.amazonaws.com",
        name=event_name,
        title=f"Root user called {call}"[:80],
        base_severity="medium",
        attack=["T1078.004"],
        docs=ROOT_DOCS,
        meaning=(
            f"The account's root user made a {call} call. iambot has no specific entry for it, so it "
            "reports the facts CloudTrail recorded; the call's own effect is whatever the service's "
            "reference says of it."
        ),
        why=(
            "The root user has complete, unrestricted access to every resource of the account, and no IAM "
            "policy limits it. AWS advises using it only for the few tasks that require it, and the CIS AWS "
            "Foundations Benchmark (1.7) to eliminate its everyday use and to alarm on any use. Check who "
            "holds the root credentials and whether this task needed them; if nobody expected it, treat "
            "the credentials as compromised."
        ),
        summary=[Summary(text="{actor} called " + call, attempt="{actor} tried to call " + call)],
        generic=True,
    )


MAX_MADE = 4096  # generic and root entries kept: event names come from outside input


class Catalog:
    """Entries by (source, event name), with a generic fallback for covered sources and one for the
    root user's calls."""

    def __init__(self, sources: dict[str, Source], entries: dict[tuple[str, str], Entry]):
        self.sources = sources
        self.entries = entries
        self._made: dict[tuple[str, str, bool, bool], Entry] = {}

    def get(self, source: str, event_name: str, read_only: bool = False, root: bool = False) -> Entry:
        """The event's entry; without one, the root entry for a root user's call (``root``), else a
        generic entry of its source. Those are made once for each name (they are immutable, and
        the assessor compiles each entry it meets once); at most MAX_MADE are kept."""
        entry = self.entries.get((source, event_name))
        if entry is not None:
            return entry
        key = (source, event_name, read_only, root)
        made = self._made.get(key)
        if made is None:
            if len(self._made) >= MAX_MADE:
                self._made.clear()
            if root:
                made = root_entry(source, event_name)
            else:
                made = generic_entry(self.sources.get(source) or _unlisted(source), event_name, read_only)
            self._made[key] = made
        return made

    def find(self, event_name: str) -> list[Entry]:
        """Entries with this name in any source, case-insensitively (for `explain`)."""
        wanted = event_name.lower()
        return [e for (_, name), e in sorted(self.entries.items()) if name.lower() == wanted]

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def names(self, source: str | None = None) -> list[str]:
        return sorted(name for (src, name) in self.entries if source is None or src == source)

    def first_class(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.first_class]

    def selection(self) -> Selection:
        """Which CloudTrail records the readers keep."""
        full = frozenset(s.source for s in self.sources.values() if not s.named_only)
        named = {s.source: frozenset(self.names(s.source)) for s in self.sources.values() if s.named_only}
        return Selection(full, named)


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors())


def parse_entry(text: str, where: str) -> Entry:
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise CatalogError(f"{where}: not valid TOML: {exc}") from exc
    try:
        return Entry.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"{where}: {_problems(exc)}") from exc


def load_sources(folder: Traversable) -> dict[str, Source]:
    data = toml.loads((folder / "sources.toml").read_text(encoding="utf-8"))
    try:
        found = [Source.model_validate(item) for item in data.get("source", [])]
    except ValidationError as exc:
        raise CatalogError(f"sources.toml: {_problems(exc)}") from exc
    return {s.source: s for s in found}


def load_from(folder: Traversable) -> Catalog:
    sources = load_sources(folder)
    by_service = {s.service: s for s in sources.values()}
    entries: dict[tuple[str, str], Entry] = {}
    events = folder / "events"
    for service_dir in sorted(events.iterdir(), key=lambda p: p.name):
        if not service_dir.is_dir():
            continue
        source = by_service.get(service_dir.name)
        if source is None:
            raise CatalogError(f"events/{service_dir.name}: not a service listed in sources.toml")
        for item in sorted(service_dir.iterdir(), key=lambda p: p.name):
            if not item.name.endswith(".toml"):
                continue
            where = f"events/{service_dir.name}/{item.name}"
            entry = parse_entry(item.read_text(encoding="utf-8"), where)
            if item.name != f"{entry.name}.toml":
                raise CatalogError(f"{where}: file name does not match name = {entry.name!r}")
            if entry.source != source.source:
                raise CatalogError(f"{where}: source {entry.source!r} does not belong in events/{source.service}")
            entries[entry.key] = entry
    try:
        load_tables(folder / "reads", sources, entries)  # the compact tables of read operations
    except ValueError as exc:
        raise CatalogError(str(exc)) from exc
    return Catalog(sources, entries)


@cache
def load() -> Catalog:
    """The bundled catalog. Cached: it is read once per process."""
    return load_from(resources.files("bot.catalog"))
