"""The intake ceiling: events a second from an SQS queue into the store, decided and queued for
Slack, with 0, 10k and 100k events already stored, beside the queue alone.

The queue is a stub (ten messages a receive, deletes counted, no network) and Slack is the
loopback fake with no rate limit, so neither is the limit: what is measured is iambot's own
work (read, assess, store, decide, queue, post) against a store that holds history. History is
seeded fast: a few thousand real events go through the intake, then their rows are copied
(new keys, times spread over the past weeks) to the size wanted.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson


class StubQueue:
    """An SQS client holding message bodies: receive takes up to ten, delete counts them."""

    def __init__(self, bodies: list[str]):
        self.waiting = deque(bodies)
        self.total = len(bodies)
        self.deleted = 0
        self.lock = threading.Lock()
        self.drained = threading.Event()

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            batch = [self.waiting.popleft() for _ in range(min(10, len(self.waiting)))]
        if not batch:
            time.sleep(0.01)  # an empty long poll returns after a while
        return {
            "Messages": [
                {"MessageId": f"m{id(b)}", "ReceiptHandle": f"r{id(b)}", "Body": b,
                 "Attributes": {"ApproximateReceiveCount": "1"}}
                for b in batch
            ]
        }

    def delete_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.deleted += len(kwargs["Entries"])
            if self.deleted >= self.total:
                self.drained.set()
        return {"Successful": [{"Id": e["Id"]} for e in kwargs["Entries"]], "Failed": []}


class NullSink:
    def take(self, events: Any, source: str = "") -> None:
        for _ in events:
            pass


def envelopes(count: int, seed: int, prefix: str) -> list[str]:
    """EventBridge deliveries of identity events copied from the real fixtures, happening now."""
    from generate import ACCOUNTS, _record, templates

    r = random.Random(seed)
    t = templates()
    pool = t.identity_global + t.identity_regional
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        record = _record(r, r.choice(pool), r.choice(ACCOUNTS), "us-east-1", now - timedelta(seconds=i % 600), True)
        record["eventID"] = f"{prefix}-{i:07d}"
        out.append(
            orjson.dumps(
                {
                    "version": "0",
                    "id": f"eb-{prefix}-{i}",
                    "detail-type": "AWS API Call via CloudTrail",
                    "source": "aws." + record["eventSource"].split(".")[0],
                    "time": record["eventTime"],
                    "region": "us-east-1",
                    "resources": [],
                    "detail": record,
                }
            ).decode()
        )
    return out


def settings(db: Path, slack_url: str, **extra: Any) -> Any:
    from bot.config.settings import given

    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": "xoxb-bench-not-a-real-token",
        "SLACK_SIGNING_SECRET": "bench-signing-secret",
        "SLACK_API_URL": slack_url + "/api/",
        "IAMBOT_DB": str(db),
        "IAMBOT_ALERT_CHANNEL": "C0BENCHALERTS",
        "IAMBOT_APPROVERS": "UAPPROVE1",
        "channel_interval_seconds": 0,
        **extra,
    }
    return given(**values)


def runtime(db: Path, slack_url: str, **extra: Any) -> Any:
    from bot.runtime.wiring import build
    from remediations.aws import Aws

    given = settings(db, slack_url, **extra)
    return build(given, aws=Aws.from_settings(given), sleep=lambda s: None)


def seed(db: Path, slack_url: str, stored: int, base: int = 2000) -> None:
    """A store holding ``stored`` events with their alerts and sent messages, spread over weeks."""
    if stored == 0:
        runtime(db, slack_url).close()
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    rt = runtime(db, slack_url, burst_per_minute=10**6)  # history: alerts posted over weeks, not one burst
    rt.posting = False
    src = _source(rt, StubQueue(envelopes(min(base, stored), seed=1, prefix="seed")), rt.workflow.intake)
    while not src.sqs.drained.is_set():
        src.poll(threading.Event())
    rt.close()
    copies = (stored - 1) // base
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE messages SET ts = '1.0', sent_version = version, due = 0, due_since = NULL")
        tables = {name: [c[1] for c in conn.execute(f"PRAGMA table_info({name})")] for name in ("events", "alerts")}
        rows = {name: conn.execute(f"SELECT * FROM {name}").fetchall() for name in tables}
        messages = [c[1] for c in conn.execute("PRAGMA table_info(messages)")]
        message_rows = conn.execute("SELECT * FROM messages").fetchall()
        for k in range(1, copies + 1):
            shift = timedelta(minutes=30 * k)  # back in time, up to weeks: history, not the last minute
            for name, cols in tables.items():
                batch = [_shifted(dict(zip(cols, row, strict=True)), k, shift) for row in rows[name]]
                conn.executemany(
                    f"INSERT INTO {name} ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                    [tuple(b[c] for c in cols) for b in batch][: stored - base * k],
                )
            batch = [_shifted(dict(zip(messages, row, strict=True)), k, shift) for row in message_rows]
            conn.executemany(
                f"INSERT INTO messages ({','.join(messages)}) VALUES ({','.join('?' * len(messages))})",
                [tuple(b[c] for c in messages) for b in batch],
            )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one file: the bench copies it for each round
    conn.close()  # no ANALYZE: iambot never runs it, so the planner works without statistics


def _shifted(row: dict[str, Any], k: int, shift: timedelta) -> dict[str, Any]:
    for col in ("key", "id", "ref", "thread_of"):
        if row.get(col):
            row[col] = f"{row[col]}~{k}"
    for col in ("event_time", "created_at", "updated_at", "ingested_at", "sent_at"):
        if row.get(col):
            when = datetime.fromisoformat(str(row[col]).replace("Z", "+00:00")) - shift
            row[col] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if row.get("group_key"):
        row["group_key"] = f"{row['group_key']}~{k % 50}"
    return row


def _source(rt: Any, queue: StubQueue, sink: Any, pipeline: bool = False) -> Any:
    from bot.catalog import load
    from bot.sources import Deps, SqsSource

    deps = Deps(rt.aws, sink, rt.store, load().selection())
    kw = {"prefetch": 1} if pipeline else {}
    return SqsSource(queue, "https://sqs.us-east-1.amazonaws.com/123456789012/bench", deps, wait_seconds=0, **kw)


def drain(rt: Any, queue: StubQueue, sink: Any, pipeline: bool) -> float:
    """Seconds to take every message in and delete it, polling as `iambot run` does."""
    src = _source(rt, queue, sink, pipeline)
    stop = threading.Event()
    t0 = time.perf_counter()
    while not queue.drained.is_set():
        src.poll(stop)
    elapsed = time.perf_counter() - t0
    stop.set()
    close = getattr(src, "close", None)
    if close is not None:
        close()
    return elapsed


def ceiling(
    tmp: Path, slack_url: str, stored: int, count: int, pipeline: bool = True, reseed: bool = True
) -> dict[str, float]:
    """Events a second taken in with ``stored`` events already there (in tmp/intake-<stored>.db,
    seeded here unless ``reseed`` is False), the poster running."""
    db = tmp / f"intake-{stored}.db"
    if reseed:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        seed(db, slack_url, stored)
    rt = runtime(db, slack_url)
    before = rt.store.events.count()
    _start_poster(rt)  # the poster sends to the fake as alerts are queued
    try:
        seconds = drain(rt, StubQueue(envelopes(count, seed=2, prefix=f"in{stored}")), rt.workflow.intake,
                        pipeline)
        taken = rt.store.events.count() - before
    finally:
        rt.stop()
        rt.close()
    return {"stored": before, "taken": taken, "seconds": seconds, "rate": taken / seconds}


def _start_poster(rt: Any) -> None:
    """The poster of `iambot run` (its scheduled jobs, which call AWS, are left out)."""
    from bot.runtime.background import PosterLoop

    rt.background.poster = PosterLoop(rt.poster.flush, rt.background.stop)
    rt.running = True
    rt.background.poster.start()


def queue_alone(tmp: Path, slack_url: str, count: int, pipeline: bool = True) -> float:
    """Events a second through the same source with a sink that keeps nothing: the queue side."""
    db = tmp / "queue-alone.db"
    rt = runtime(db, slack_url)
    try:
        seconds = drain(rt, StubQueue(envelopes(count, seed=3, prefix="q")), NullSink(), pipeline)
    finally:
        rt.close()
    return count / seconds


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - a manual probe
    import sys
    import tempfile

    quiet()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.support.slack_fake import SlackFake, serve

    server, url = serve(SlackFake())
    with tempfile.TemporaryDirectory() as tmp:
        for stored in [int(a) for a in (argv or sys.argv[1:])] or [0, 10_000]:
            print(json.dumps(ceiling(Path(tmp), url, stored, 2000)))
        print("queue alone", queue_alone(Path(tmp), url, 2000))
    server.shutdown()


def quiet() -> None:
    """No AWS call leaves this machine (a closed local port answers at once), and the poster's
    warnings about the seeded history's messages stay out of the figures."""
    import logging
    import os

    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
    )
    logging.disable(logging.WARNING)

if __name__ == "__main__":
    main()
