"""`iambot run --http` against the Slack fake: acknowledgement latency, event → message latency,
a burst against Slack's rate limit, and the footprint. Each figure beside a peer measured in the
same run (the health check, the queue alone, bare Python)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from measure import pct, tree_rss_kb

from tests.support.harness import block_actions, slash_command
from tests.support.records import as_account, envelope, load
from tests.support.slack_fake import SECRET, SlackFake, sign

BIN = Path(sys.executable).parent
ALERTS = "C0BENCHALERTS"

# a Fernet key for the benchmark's own iambot (Fernet.generate_key()); it protects nothing
BENCH_SECRET_KEY = "YmVuY2gtb25seS1ub3QtYS1yZWFsLWtleS0xMjM0NTY="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bot:
    """`iambot run --http` as a process, pointed at the Slack fake and an AWS endpoint."""

    def __init__(
        self, slack_url: str, aws: str, db: Path, queue_url: str | None = None, db_url: str | None = None,
        **file_settings: Any,
    ):
        self.port = free_port()
        config = db.with_suffix(".toml")
        config.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in file_settings.items()))
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench-not-a-real-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_url + "/api/",
            "IAMBOT_DB": db_url or str(db),
            "IAMBOT_CONFIG": str(config),
            "IAMBOT_ALERT_CHANNEL": ALERTS,
            "IAMBOT_APPROVERS": "UAPPROVE1",
            "IAMBOT_SECRET_KEY": BENCH_SECRET_KEY,
            "IAMBOT_REMEDIATIONS": "deactivate-access-key",
            "PORT": str(self.port),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": aws,
        }
        if queue_url:
            env["IAMBOT_SQS_QUEUE_URL"] = queue_url
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(BIN / "iambot"), "run", "--http"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while True:
            try:
                self.health()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("iambot run exited") from None
                time.sleep(0.01)
        self.ready_seconds = time.perf_counter() - t0

    def rss_mb(self) -> float:
        """Resident memory of the whole process tree."""
        return tree_rss_kb(self.proc.pid) / 1024

    def health(self) -> dict[str, Any]:
        """/readyz's JSON, whether it says 200 or 503 (a source that has not polled yet)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=5) as resp:
                return dict(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:
            return dict(json.loads(exc.read()))

    def post(self, body: str) -> float:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/slack/events",
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)},
        )
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
        return time.perf_counter() - t0

    def health_latency(self) -> float:
        t0 = time.perf_counter()
        self.health()
        return time.perf_counter() - t0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def ack(bot: Bot, slack: SlackFake, per_client: int, row: Any, backend: str = "SQLite", stalls: bool = True) -> None:
    print(f"  Slack acknowledgement latency, 20 concurrent clients, {backend}", flush=True)
    responses = slack.url + "/response/"

    def run(make: Any) -> list[float]:
        with ThreadPoolExecutor(20) as pool:
            return [x for xs in pool.map(lambda i: [make(i) for _ in range(per_client)], range(20)) for x in xs]

    health = run(lambda i: bot.health_latency())
    slash = run(lambda i: bot.post(slash_command("help", f"U{i:04d}", responses)))
    clicks = run(lambda i: bot.post(block_actions("dismiss", "no-such-event", f"U{i:04d}", responses)))
    peer = pct(health, 99) * 1000
    for name, values in (("slash command /iam help", slash), ("block_actions click", clicks)):
        p50, p99 = pct(values, 50) * 1000, pct(values, 99) * 1000
        row(f"ack {name} on {backend} ({len(values)} requests, 20 clients)", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
            f"GET /readyz p99 {peer:.1f} ms → {p99 / peer:.1f}×", "p99 < 100 ms")
    if stalls:
        stalled(bot, responses, 20 * per_client, row)


STALLED = 50


def stalled(bot: Bot, responses: str, count: int, row: Any) -> None:
    """Issue 10's case: 50 uploads that announce a body and never send it stay open while one
    client sends slash commands, one at a time."""
    print(f"  Slack acknowledgement latency, {STALLED} stalled uploads open", flush=True)
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 1000000\r\n\r\n0123456789"
    )
    sockets = []
    try:
        for _ in range(STALLED):
            s = socket.create_connection(("127.0.0.1", bot.port))
            s.sendall(head)
            sockets.append(s)
        idle = [bot.health_latency() for _ in range(count)]
        slash = [bot.post(slash_command("help", "U0STALLED", responses)) for _ in range(count)]
    finally:
        for s in sockets:
            s.close()
    p50, p99, peer = pct(slash, 50) * 1000, pct(slash, 99) * 1000, pct(idle, 99) * 1000
    row(f"ack, slash command /iam help, {STALLED} stalled uploads open ({count} requests)",
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms", f"GET /readyz p99 {peer:.1f} ms", "p99 < 100 ms")


def iam_record(i: int, prefix: str) -> dict[str, Any]:
    r = as_account(load("UpdateAccessKey__authored__1.json"))
    r["eventID"] = f"{prefix}-{i:06d}"
    r["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    r["requestParameters"] = {
        "userName": f"{prefix}-user-{i}", "accessKeyId": f"AKIAEXAMPLE{i:09d}", "status": "Active"
    }
    return r


def queue(endpoint: str, name: str) -> tuple[Any, str]:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    return sqs, sqs.create_queue(QueueName=name)["QueueUrl"]


def latency(count: int, endpoint: str, slack: SlackFake, tmp: Path, row: Any) -> None:
    print(f"  event → message latency, {count} events one by one", flush=True)
    sqs, url = queue(endpoint, "latency")
    raw = []
    for i in range(min(count, 200)):  # the peer: the queue alone, send → receive
        t0 = time.perf_counter()
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
        msgs: list[Any] = []
        while not msgs:
            msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        raw.append(time.perf_counter() - t0)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    bot = Bot(slack.url, endpoint, tmp / "latency.db", url, sqs_wait_seconds=20, burst_per_minute=1_000_000,
              channel_interval_seconds=0, repeat_window_minutes=0)
    seen: dict[str, float] = {}
    cond = threading.Condition()
    original = slack._answer

    def answer(method: str, params: dict[str, Any]) -> Any:  # note when each alert reaches chat.postMessage
        result = original(method, params)
        if method == "chat.postMessage":
            with cond:
                for name in re.findall(r"lat-user-\d+", json.dumps(params)):
                    seen.setdefault(name, time.perf_counter())
                cond.notify_all()
        return result

    slack._answer = answer  # type: ignore[method-assign]
    latencies = []
    try:
        for i in range(count):
            t0 = time.perf_counter()
            sqs.send_message(QueueUrl=url, MessageBody=envelope(iam_record(i, "lat")))
            name = f"lat-user-{i}"
            with cond:
                cond.wait_for(lambda name=name: name in seen, timeout=30)
            latencies.append(seen[name] - t0)
    finally:
        slack._answer = original  # type: ignore[method-assign]
        bot.stop()
    row("event → chat.postMessage", f"p50 {pct(latencies, 50) * 1000:.0f} ms, p99 {pct(latencies, 99) * 1000:.0f} ms",
        f"queue alone p50 {pct(raw, 50) * 1000:.0f} ms, p99 {pct(raw, 99) * 1000:.0f} ms", "p99 < 1 s")


def burst(total: int, seconds: float, endpoint: str, slack: SlackFake, tmp: Path, row: Any) -> None:
    print(f"  burst: {total} events in {seconds:.0f} s, Slack allowing 1 message/s per channel", flush=True)
    sqs, url = queue(endpoint, "burst")
    db = tmp / "burst.db"
    bot = Bot(slack.url, endpoint, db, url, sqs_wait_seconds=20)
    idle = bot.rss_mb()
    row("cold start to ready (iambot run --http → /readyz)", f"{bot.ready_seconds:.2f} s", "", "< 3 s")
    before = len(slack.calls)
    slack.rate_limit_per_channel = 1.0
    t0 = time.perf_counter()
    for i in range(0, total, 10):
        entries = [{"Id": str(j), "MessageBody": envelope(iam_record(i + j, "burst"))} for j in range(10)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
        lag = t0 + seconds * (i + 10) / total - time.perf_counter()
        if lag > 0:
            time.sleep(lag)  # the attacker's pace
    sent = time.perf_counter() - t0
    while True:
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        if stored >= total and bot.health().get("outbox_pending") == 0:
            break
        time.sleep(0.2)
    clear = time.perf_counter() - t0
    calls = slack.calls[before:]
    posts = [c for c in calls if c.method == "chat.postMessage" and c.status == 200]
    limited = [c for c in calls if c.status == 429]
    keys = [metadata_id(c.params) for c in posts if c.params.get("metadata")]
    slack.rate_limit_per_channel = None
    after = bot.rss_mb()
    bot.stop()
    row(f"burst: {total} events stored", f"{stored}", f"sent in {sent:.0f} s", "all stored")
    row("burst: messages posted", f"{len(posts)} ({len(set(keys))} distinct, {len(keys) - len(set(keys))} twice)",
        f"{len(limited)} × 429 received, all retried", "threads + summary, none lost or twice")
    row("burst: backlog clear after", f"{clear:.0f} s from the first event", f"{clear - sent:.0f} s after the last", "")
    row("RSS of iambot run (process tree), idle / after the burst", f"{idle:.0f} MB / {after:.0f} MB",
        f"bare python {bare_python_rss():.0f} MB", "< 150 MB")


def metadata_id(params: dict[str, Any]) -> Any:
    meta = params["metadata"]
    meta = json.loads(meta) if isinstance(meta, str) else meta
    return (meta.get("event_payload") or {}).get("id")


def bare_python_rss() -> float:
    """A bare interpreter's resident memory once started (VmHWM: ru_maxrss would count the fork)."""
    probe = "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    return int(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout) / 1024


def help_time(row: Any) -> None:
    helps, bare = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "iambot"), "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=True)
        bare.append(time.perf_counter() - t0)
    row("iambot --help", f"{min(helps) * 1000:.0f} ms",
        f"bare python {min(bare) * 1000:.0f} ms → {min(helps) / min(bare):.1f}×", "< 0.5 s")
