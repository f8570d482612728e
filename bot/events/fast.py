"""The fast reader: the same events, rejections and counts as the reference reader
(:func:`bot.events.readers.events_from_bytes`), without building Python objects for the records
of other services, which are about 98% of a CloudTrail log.

An S3 delivery ``{"Records": [...]}`` (plain or .json.gz) is read in three passes over bytes:

1. simdjson validates the whole document, as strictly as orjson does (UTF-8, surrogates,
   numbers that overflow a double, nesting deeper than 1024): a document the reference reader
   would reject is never half-read here;
2. msgspec decodes every record's ``eventSource`` and ``eventName`` (the last of duplicate
   keys, as a dict keeps) and its ``userIdentity.type`` (the root user's calls are taken in from
   every service), skipping everything else without creating objects;
3. for the wanted records only, simdjson writes the record back as minimal JSON (the same values:
   numbers as parsed, strings re-escaped, duplicate keys kept in order) and orjson decodes it, so
   a wanted record becomes the very dict the reference reader builds.

Anything else (a single record, an EventBridge envelope, a JSON array, JSON Lines, invalid JSON,
a byte-order mark, integers beyond 64 bits, where either wheel is missing) goes to the reference
reader, which defines the result. ``tests/events/test_fast.py`` compares the two.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from itertools import compress
from pathlib import Path
from typing import Any

import orjson

from bot.events.gz import gunzip
from bot.events.lower import camel, is_lower
from bot.events.model import IamEvent, ReadStats, Rejected
from bot.events.readers import GZIP_MAGIC, Selection, decode_plain, normalized, read_bytes, select

try:  # pragma: no cover - which branch runs depends on the platform's wheels
    import msgspec
    import simdjson

    class _Who(msgspec.Struct, gc=False):
        type: Any = None

    class _Head(msgspec.Struct, gc=False):
        eventSource: Any = None
        eventName: Any = None
        # any JSON value: an object's "type" alone is read (about a tenth more decoding time)
        userIdentity: _Who | list[Any] | str | int | float | bool | None = None

    class _Heads(msgspec.Struct, gc=False):
        Records: list[_Head]

    class _Raws(msgspec.Struct, gc=False):
        Records: list[msgspec.Raw]

    _heads = msgspec.json.Decoder(_Heads)
    _head = msgspec.json.Decoder(_Head)
    _raws = msgspec.json.Decoder(_Raws)
    FAST = True
except ImportError:  # pragma: no cover
    FAST = False

BOM = b"\xef\xbb\xbf"
Picked = tuple[int, Any, int | None]  # index in the delivery, the record, a bound on its containers
_local = threading.local()


def _parsed(data: bytes) -> Any:
    """simdjson's document when orjson would decode ``data`` whole (simdjson is as strict, and
    stricter on integers beyond 64 bits, which the reference reader then handles); else None.
    The caller drops it before the next parse on this thread."""
    if data[:3] == BOM:  # orjson refuses it; simdjson skips it
        return None
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = simdjson.Parser()
    try:
        return parser.parse(data)
    except (ValueError, RuntimeError, UnicodeDecodeError, MemoryError):
        return None


def _wanted(heads: list[Any], selection: Selection) -> list[int]:
    """Indices of the records :meth:`Selection.keeps`, or that are not well-formed enough to
    skip (no string eventSource): the reference reader normalizes those too, and rejects them."""
    sources, named = selection.sources, selection.named
    # one pass, in the order that settles the usual record (another service's, not the root
    # user's) soonest; the last test is the reference reader's is_root on the decoded head
    return [
        i
        for i, head in enumerate(heads)
        if type(source := head.eventSource) is not str
        or source in sources
        or (source in named and type(name := head.eventName) is str and name in named[source])
        or (type(who := head.userIdentity) is _Who and who.type == "Root")
    ]


def _decoded(data: bytes, selection: Selection) -> tuple[int, list[Picked]] | None:
    """(records in the delivery, [(index, record, containers) of the records to normalize]); None when the
    input is not a valid S3 delivery document, for the reference reader."""
    if not FAST:
        return None
    doc = _parsed(data)
    if doc is None:
        return None
    try:
        return _picked(doc, data, selection)
    except (msgspec.DecodeError, msgspec.ValidationError, orjson.JSONDecodeError, RecursionError, IndexError):
        return None
    finally:
        del doc


def _picked(doc: Any, data: bytes, selection: Selection) -> tuple[int, list[Picked]]:
    try:
        heads: list[Any] = _heads.decode(data).Records
    except msgspec.ValidationError:  # a record that is not an object, or no "Records" list
        raws = _raws.decode(data).Records
        heads = [_head_of(raw) for raw in raws]
        return len(heads), [(i, orjson.loads(memoryview(raws[i])), None) for i in _wanted(heads, selection)]
    wanted = _wanted(heads, selection)
    if not wanted:
        return len(heads), []
    if list(doc.keys()).count("Records") != 1:  # simdjson reads the first of duplicate keys, orjson the last
        raise msgspec.ValidationError("Records twice")
    records = doc["Records"]
    if len(records) != len(heads):  # pragma: no cover - both read the same list
        raise IndexError("records")
    # a wanted record's minimal JSON, as simdjson writes it back: the same values for orjson, and
    # its brackets an upper bound on how many containers it holds (see normalize). The records are
    # walked once, in order (simdjson finds records[i] by walking the array from its start), up to
    # the last wanted one; compress hands over the wanted records without a Python step per record.
    mask = [False] * (wanted[-1] + 1)
    for i in wanted:
        mask[i] = True
    picked = []
    for i, record in zip(wanted, compress(records, mask), strict=True):
        mini = record.mini
        picked.append((i, orjson.loads(mini), mini.count(b"{") + mini.count(b"[")))
    return len(heads), picked


def _head_of(raw: Any) -> Any:
    try:
        return _head.decode(raw)
    except msgspec.ValidationError:
        return _Head()  # not an object: normalized, and so rejected, like the reference


def fast_events_from_bytes(
    data: bytes, where: str, stats: ReadStats, selection: Selection
) -> Iterator[IamEvent | Rejected]:
    """What :func:`events_from_bytes` yields for these bytes, and the same counts in ``stats``."""
    if data[:2] == GZIP_MAGIC:
        data = gunzip(data, where)
    found = _decoded(data, selection)
    if found is None:
        yield from select(decode_plain(data, where), stats, selection)
        return
    total, picked = found
    stats.records += total
    stats.skipped += total - len(picked)
    for index, record, containers in picked:
        if is_lower(record):  # Athena's shape (no eventSource, so picked): selected as the reference does
            record, containers = camel(record), None  # its parsed JSON strings hold containers too
            source = record.get("eventSource")
            if type(source) is str and not selection.keeps(record):
                stats.skipped += 1
                continue
        yield normalized(record, f"{where}[{index}]", stats, containers)


def fast_read_file(path: Path, stats: ReadStats, selection: Selection) -> Iterator[IamEvent | Rejected]:
    """:func:`bot.events.read_file` through the fast reader."""
    data = read_bytes(path)
    stats.files += 1
    yield from fast_events_from_bytes(data, str(path), stats, selection)
