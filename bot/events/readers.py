"""Readers for every shape CloudTrail reaches people in.

A single record, the S3 delivery document ``{"Records": [...]}`` (plain or ``.json.gz``), a JSON
array, JSON Lines, the EventBridge envelope (``detail-type`` "AWS API Call via CloudTrail" or
"AWS Console Signin via CloudTrail"), records in Athena's shape (lower-case keys, JSON text
columns: :mod:`bot.events.lower`), and folders of these. Bad input never stops the rest: it
comes out as a :class:`Rejected` item naming where it was and what is wrong. Only records of the
sources iambot explains (a :class:`Selection`), and the root user's in any service, are
normalized; the rest are counted.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bot.events.gz import gunzip
from bot.events.lower import camel, is_lower
from bot.events.model import (
    MAX_INPUT_BYTES,
    IamEvent,
    ReadStats,
    RecordError,
    Rejected,
    UnreadableInput,
    size_text,
)
from bot.events.normalize import normalize

SUFFIXES = frozenset({".json", ".gz", ".jsonl", ".ndjson"})
GZIP_MAGIC = b"\x1f\x8b"
EXCERPT = 200

Location = tuple[str, int | None, int | None]  # file, line (JSON Lines), index in its document


def is_root(identity: Any) -> bool:
    """True when a record's ``userIdentity`` is the account's root user: any call it makes, in any
    service, is taken in (no IAM policy restricts root; CIS asks for an alarm on every use)."""
    return type(identity) is dict and identity.get("type") == "Root"


@dataclass(frozen=True, slots=True)
class Selection:
    """Which records are identity events: every call of ``sources``, and of ``named`` sources only
    the listed event names (STS: the few calls worth explaining, not millions of AssumeRole); and,
    whatever the source, every call of the root user (:func:`is_root`)."""

    sources: frozenset[str]
    named: dict[str, frozenset[str]]

    def wants(self, source: Any, name: Any) -> bool:
        if not isinstance(source, str):
            return False
        if source in self.sources:
            return True
        names = self.named.get(source)
        return bool(names and isinstance(name, str) and name in names)

    def keeps(self, record: Any) -> bool:
        """True when a decoded record is one the readers normalize (a dict of a wanted source and
        name, or the root user's)."""
        if type(record) is not dict:
            return False
        return self.wants(record.get("eventSource"), record.get("eventName")) or is_root(record.get("userIdentity"))

    @property
    def every_source(self) -> frozenset[str]:
        return self.sources | frozenset(self.named)


def location(loc: Location) -> str:
    """ "file:line[index]", formatted only for the records that need a name (events, rejections)."""
    where, number, index = loc
    return where + (f":{number}" if number is not None else "") + (f"[{index}]" if index is not None else "")


def excerpt(data: Any) -> str:
    if isinstance(data, bytes):
        return data[:EXCERPT].decode("utf-8", "replace")
    if isinstance(data, str):
        return data[:EXCERPT]
    try:
        return orjson.dumps(data, default=repr, option=orjson.OPT_NON_STR_KEYS)[:EXCERPT].decode("utf-8", "replace")
    except (TypeError, orjson.JSONEncodeError):
        return repr(data)[:EXCERPT]


def _is_container(item: Any) -> bool:
    return isinstance(item, dict) and (isinstance(item.get("Records"), list) or "detail-type" in item)


def records_from_document(doc: Any) -> Iterator[Any]:
    """The CloudTrail records inside one decoded JSON document, whatever its shape."""
    if isinstance(doc, list):
        for item in doc:
            if _is_container(item):
                yield from records_from_document(item)
            else:
                yield item
    elif isinstance(doc, dict):
        if isinstance(doc.get("Records"), list):
            yield from doc["Records"]
        elif "detail-type" in doc and "detail" in doc:  # EventBridge envelope
            yield doc.get("detail")
        else:
            yield doc
    else:
        yield doc


def decode_bytes(data: bytes, where: str) -> Iterator[tuple[Location, Any] | Rejected]:
    """(location, record) pairs or Rejected items from one file's bytes. Raises UnreadableInput
    only when the whole input cannot be read (a corrupt gzip stream)."""
    if data[:2] == GZIP_MAGIC:
        data = gunzip(data, where)
    yield from decode_plain(data, where)


def decode_plain(data: bytes, where: str) -> Iterator[tuple[Location, Any] | Rejected]:
    """:func:`decode_bytes` for bytes already decompressed."""
    if not data.strip():
        return
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as whole_error:
        lines = data.splitlines()
        if len(lines) < 2:
            yield Rejected(where, f"not valid JSON: {whole_error}", excerpt(data))
            return
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield Rejected(f"{where}:{number}", f"not valid JSON: {exc}", excerpt(line))
                continue
            many = isinstance(item, list) or _is_container(item)
            for index, record in enumerate(records_from_document(item)):
                yield ((where, number, index if many else None), record)
        return
    for index, record in enumerate(records_from_document(doc)):
        yield ((where, None, index), record)


def events_from_bytes(data: bytes, where: str, stats: ReadStats, selection: Selection) -> Iterator[IamEvent | Rejected]:
    """Identity events (and rejections) from one file's bytes: the plain reference reader, which
    decodes every record. Triage reads with :func:`bot.events.fast.fast_events_from_bytes`, which
    gives the same items and counts without building the records of other services."""
    yield from select(decode_bytes(data, where), stats, selection)


def select(
    items: Iterable[tuple[Location, Any] | Rejected], stats: ReadStats, selection: Selection
) -> Iterator[IamEvent | Rejected]:
    """The decoded records of the selected sources as events: a record of another service costs
    two dict lookups; only wanted records are normalized."""
    records = skipped = 0
    sources, named = selection.sources, selection.named
    try:
        for item in items:
            if type(item) is Rejected:
                stats.rejected += 1
                yield item
                continue
            loc, record = item  # type: ignore[misc]
            records += 1
            if type(record) is dict:
                if is_lower(record):  # Athena's shape: read as the record CloudTrail wrote
                    record = camel(record)
                source = record.get("eventSource")
                if type(source) is str and source not in sources:
                    names = named.get(source)
                    name = record.get("eventName")
                    wanted = names and type(name) is str and name in names
                    if not wanted and not is_root(record.get("userIdentity")):
                        skipped += 1
                        continue
            yield normalized(record, location(loc), stats)
    finally:
        stats.records += records
        stats.skipped += skipped


def normalized(record: Any, at: str, stats: ReadStats, containers: int | None = None) -> IamEvent | Rejected:
    """One wanted record as an event, or its rejection; counted in ``stats``."""
    try:
        event = normalize(record, at, containers)
    except RecordError as exc:
        stats.rejected += 1
        return Rejected(at, str(exc), excerpt(record))
    stats.kept += 1
    return event


def is_digest(name: str) -> bool:
    """CloudTrail's log file validation writes digest files beside the logs
    (AWSLogs/<account>/CloudTrail-Digest/…): they hold hashes, not events."""
    return "CloudTrail-Digest/" in name.replace("\\", "/")


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files under the given paths, directories walked in sorted order. Raises UnreadableInput."""
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                yield from sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and not p.name.startswith(".") and p.suffix in SUFFIXES and not is_digest(str(p))
                )
            elif path.exists():
                yield path
            else:
                raise UnreadableInput(f"{path}: no such file or directory")
        except OSError as exc:
            raise UnreadableInput(f"{path}: {exc.strerror or exc}") from exc


def read_bytes(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The file's bytes; UnreadableInput when it cannot be read or holds more than ``limit`` bytes
    (a pipe such as /dev/stdin is read up to the limit; a device that never ends stops there)."""
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise UnreadableInput(f"{path}: more than {size_text(limit)}; not read")
            # a file is read at its size, one buffer (asking for the limit allocates the limit, a
            # quarter of triage's reading time); a pipe or device (size 0), or a file that grew since,
            # is read on up to the limit
            data = f.read(size + 1) if size else b""
            if not size or len(data) > size:
                data += f.read(limit + 1 - len(data))
    except OSError as exc:
        raise UnreadableInput(f"{path}: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise UnreadableInput(f"{path}: more than {size_text(limit)}; not read")
    return data


def read_file(path: Path, stats: ReadStats, selection: Selection) -> Iterator[IamEvent | Rejected]:
    """Identity events and rejections from one file; other records are counted and skipped."""
    data = read_bytes(path)
    stats.files += 1
    yield from events_from_bytes(data, str(path), stats, selection)
