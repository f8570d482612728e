"""CloudTrail log files from a folder or an S3 prefix (the delivery layout, ``.json.gz``).

Each file or object is read once: its URI and ETag (or size and mtime) are recorded after its
events are committed, so reading again skips what was read. `iambot ingest TARGET` polls once;
with ``watch`` set in iambot.toml, `iambot run` polls the target on a schedule.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from bot.events import (
    MAX_INPUT_BYTES,
    IamEvent,
    ReadStats,
    Rejected,
    UnreadableInput,
    events_from_bytes,
    is_digest,
    iter_files,
    read_file,
)
from bot.events.model import size_text
from bot.sources.base import Deps, PollResult, Source, Statement, store_rejections

if TYPE_CHECKING:
    from bot.config.settings import Settings

log = logging.getLogger(__name__)
SUFFIXES = (".json.gz", ".json", ".jsonl", ".ndjson")
BATCH = 500


@dataclass
class IngestStats:
    objects: int = 0
    skipped: int = 0
    new: int = 0
    read: ReadStats = field(default_factory=ReadStats)
    rejected: list[Rejected] = field(default_factory=list)


def parse_s3(uri: str) -> tuple[str, str]:
    rest = uri.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket or not uri.startswith("s3://"):
        raise ValueError(f"{uri}: expected s3://bucket/prefix")
    return bucket, prefix


def read_object(s3: Any, bucket: str, key: str) -> bytes:
    """An S3 object's bytes; UnreadableInput (with AWS's reason) when it cannot be read."""
    try:
        got = s3.get_object(Bucket=bucket, Key=key)
        size = got.get("ContentLength")
        size = size if isinstance(size, int) and size >= 0 else None
        body = got["Body"]
        if size is not None and size > MAX_INPUT_BYTES:
            body.close()
            raise UnreadableInput(f"s3://{bucket}/{key}: more than {size_text(MAX_INPUT_BYTES)}; not read")
        # the object's own length when S3 gives it: asking for the ceiling allocates the ceiling
        data: bytes = body.read(MAX_INPUT_BYTES + 1 if size is None else size)
        body.close()
    except (ClientError, BotoCoreError) as exc:
        raise UnreadableInput(f"s3://{bucket}/{key}: {exc}") from exc
    if len(data) > MAX_INPUT_BYTES:
        raise UnreadableInput(f"s3://{bucket}/{key}: more than {size_text(MAX_INPUT_BYTES)}; not read")
    return data


def bucket_statements(buckets: list[str], kms_keys: list[str]) -> list[Statement]:
    """Read access to CloudTrail's log buckets (and the KMS keys their logs are encrypted with)."""
    if not buckets:
        return []
    statements: list[Statement] = [
        {
            "Sid": "IambotTrailList",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{b}" for b in buckets],
        },
        {
            "Sid": "IambotTrailRead",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{b}/*" for b in buckets],
        },
    ]
    if kms_keys:
        statements.append(
            {"Sid": "IambotTrailDecrypt", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": kms_keys}
        )
    return statements


class FilesSource:
    kind: ClassVar[str] = "files"
    exclusive: ClassVar[bool] = True

    def __init__(self, target: str, deps: Deps, interval: float = 300.0):
        self.target = target
        self.deps = deps
        self.name = f"files:{target}"
        self.interval = interval
        self.stale_after = max(3 * interval, 900)
        self.s3 = deps.aws.client("s3") if target.startswith("s3://") else None
        if self.s3 is not None:
            parse_s3(target)

    @classmethod
    def from_settings(cls, settings: Settings, deps: Deps) -> Source | None:
        if not settings.watch:
            return None
        return cls(settings.watch, deps, settings.watch_interval_seconds)

    @classmethod
    def permissions(cls, settings: Settings) -> list[Statement]:
        buckets = list(settings.trail_buckets)
        if settings.watch and settings.watch.startswith("s3://"):
            buckets.append(parse_s3(settings.watch)[0])
        return bucket_statements(sorted(set(buckets)), list(settings.trail_kms_keys))

    def poll(self, stop: threading.Event) -> PollResult:
        stats = self.ingest(stop)
        return PollResult(stats.objects, stats.new, len(stats.rejected))

    def ingest(self, stop: threading.Event | None = None) -> IngestStats:
        """Read every file or object not read before; commit each one's events, then mark it read."""
        stats = IngestStats()
        store, sink = self.deps.store, self.deps.sink
        for uri, tag, items in self._sources(stats):
            if stop is not None and stop.is_set():
                break
            if store.cursors.seen(uri, tag):
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
                    if len(pending) >= BATCH:
                        stats.new += len(sink.take(pending, source=self.kind).taken)
                        count, pending = count + len(pending), []
            except UnreadableInput as exc:
                stats.rejected.append(Rejected(uri, str(exc), ""))
                continue  # not marked as read: a fixed object is read next time
            if pending:
                stats.new += len(sink.take(pending, source=self.kind).taken)
                count += len(pending)
            with store.unit():
                store.cursors.mark(uri, tag, count)
        store_rejections(store, stats.rejected, self.kind)
        return stats

    def _sources(self, stats: IngestStats) -> Iterator[tuple[str, str, Iterator[IamEvent | Rejected]]]:
        selection = self.deps.selection
        if self.s3 is not None:
            bucket, prefix = parse_s3(self.target)
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    key = obj["Key"]
                    if not key.endswith(SUFFIXES) or is_digest(key):
                        continue
                    uri = f"s3://{bucket}/{key}"

                    def read(key: str = key, uri: str = uri) -> Iterator[IamEvent | Rejected]:
                        stats.read.files += 1
                        yield from events_from_bytes(read_object(self.s3, bucket, key), uri, stats.read, selection)

                    yield uri, str(obj.get("ETag", "")), read()
            return
        for path in iter_files([Path(self.target)]):
            try:
                st = path.stat()
            except OSError as exc:
                stats.rejected.append(Rejected(str(path), exc.strerror or str(exc), ""))
                continue
            yield str(path.resolve()), f"{st.st_size}:{st.st_mtime_ns}", read_file(path, stats.read, selection)
