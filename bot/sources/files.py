"""CloudTrail log files from a folder or an S3 prefix (the delivery layout, ``.json.gz``).

Each file or object is read once: its URI and ETag (or size and mtime) are recorded after its
events are committed, so running ``iambot ingest`` again skips what it has read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.events import (
    IamEvent,
    ReadStats,
    Rejected,
    UnreadableInput,
    events_from_bytes,
    iter_files,
    read_records,
)
from bot.store import iso, now

log = logging.getLogger(__name__)


@dataclass
class IngestStats:
    objects: int = 0
    skipped: int = 0
    read: ReadStats = field(default_factory=ReadStats)
    rejected: list[Rejected] = field(default_factory=list)


def parse_s3(uri: str) -> tuple[str, str]:
    rest = uri.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ValueError(f"{uri}: expected s3://bucket/prefix")
    return bucket, prefix


def _seen(store: Any, uri: str, tag: str) -> bool:
    row = store.row("SELECT etag FROM ingested_objects WHERE uri = ?", [uri])
    return bool(row and row["etag"] == tag)


def _mark(store: Any, uri: str, tag: str, count: int) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO ingested_objects (uri, etag, events, at) VALUES (?,?,?,?)"
            " ON CONFLICT(uri) DO UPDATE SET etag = excluded.etag, events = excluded.events, at = excluded.at",
            (uri, tag, count, iso(now())),
        )


def ingest(
    target: str,
    store: Any,
    sink: Callable[[list[IamEvent]], Any],
    s3: Any = None,
    batch: int = 500,
) -> IngestStats:
    stats = IngestStats()
    for uri, tag, items in _sources(target, s3, stats):
        if _seen(store, uri, tag):
            stats.skipped += 1
            continue
        stats.objects += 1
        pending: list[IamEvent] = []
        count = 0
        try:
            for item in items:
                if isinstance(item, Rejected):
                    stats.rejected.append(item)
                    continue
                pending.append(item)
                if len(pending) >= batch:
                    sink(pending)
                    count += len(pending)
                    pending = []
        except UnreadableInput as exc:
            stats.rejected.append(Rejected(uri, str(exc), ""))
            continue  # not marked as read: fixed objects are read next time
        if pending:
            sink(pending)
            count += len(pending)
        _mark(store, uri, tag, count)
    if stats.rejected:
        store.add_rejected(stats.rejected, source="ingest")
    return stats


def _sources(target: str, s3: Any, stats: IngestStats) -> Iterator[tuple[str, str, Iterator[IamEvent | Rejected]]]:
    if target.startswith("s3://"):
        bucket, prefix = parse_s3(target)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if not (key.endswith(".json.gz") or key.endswith(".json") or key.endswith(".jsonl")):
                    continue
                uri = f"s3://{bucket}/{key}"

                def read(key: str = key, uri: str = uri) -> Iterator[IamEvent | Rejected]:
                    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                    yield from events_from_bytes(data, uri, stats.read)

                yield uri, str(obj.get("ETag", "")), read()
        return
    for path in iter_files([Path(target)]):
        st = path.stat()
        yield str(path.resolve()), f"{st.st_size}:{st.st_mtime_ns}", read_records(path, stats.read)
