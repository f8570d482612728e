"""`make bench`: iambot's figures on this machine, each beside a peer measured in the same run.

1. triage throughput against jq's bare filter and bare decompression; peak RSS at 100k and 500k
2. Slack acknowledgement latency (signed requests, 20 concurrent clients) against /healthz
3. event → message latency (EventBridge message on a moto-server queue → chat.postMessage)
4. a burst of 2,000 events in 60 s against a Slack fake that allows 1 message/s per channel
5. footprint: RSS idle and after the burst, cold start to ready, `iambot --help`

Usage: python bench/run.py [--quick]   (--quick: smaller inputs, for a smoke run)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate  # noqa: E402

from tests.conftest import SECRET, as_account, load  # noqa: E402
from tests.harness import block_actions, slash_command  # noqa: E402
from tests.slack_fake import SlackFake, serve, sign  # noqa: E402
from tests.test_sources import envelope  # noqa: E402

BIN = Path(sys.executable).parent
DATA = ROOT / "bench" / ".data"
ROWS: list[tuple[str, str, str, str]] = []  # (measure, value, peer / ratio, target)


def row(measure: str, value: str, peer: str = "", target: str = "") -> None:
    ROWS.append((measure, value, peer, target))
    print(f"  {measure}: {value}  {peer}  {target}", flush=True)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def timed(cmd: str, repeat: int = 3) -> tuple[float, int]:
    """Best wall time of `repeat` runs of a shell command, and its peak RSS (KB) from GNU time."""
    best, rss = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-f", "%M", "bash", "-c", cmd], capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        if out.returncode:
            raise RuntimeError(f"{cmd}: {out.stderr[-500:]}")
        best = min(best, elapsed)
        rss = max(rss, int(out.stderr.strip().splitlines()[-1]))
    return best, rss


# ------------------------------------------------------------------------- 1. triage


def bench_triage(sizes: list[int]) -> None:
    print("1. triage throughput", flush=True)
    for n in sizes:
        folder = DATA / f"cloudtrail-{n}"
        if not folder.exists():
            generate(folder, n)
        files = " ".join(str(p) for p in sorted(folder.rglob("*.json.gz")))
        mb = sum(p.stat().st_size for p in folder.rglob("*.json.gz")) / 1e6
        iambot, rss = timed(f"{BIN}/iambot triage --format json {folder} > /dev/null")
        jq, _ = timed(f"zcat {files} | jq -c '.Records[] | select(.eventSource == \"iam.amazonaws.com\")' > /dev/null")
        floor, _ = timed(f"zcat {files} > /dev/null")
        row(
            f"triage {n:,} records ({mb:.0f} MB gz)",
            f"{iambot:.2f} s ({n / iambot / 1000:.0f}k rec/s)",
            f"jq {jq:.2f} s → iambot {jq / iambot:.1f}× faster; zcat floor {floor:.2f} s → {iambot / floor:.1f}× floor",
            "≥ 3× jq",
        )
        row(f"triage {n:,} peak RSS", f"{rss / 1024:.0f} MB", "", "flat as input grows")


# ------------------------------------------------------------------------- the service under test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bot:
    """`iambot run --http` as a process, pointed at the Slack fake and an AWS endpoint."""

    def __init__(self, slack_url: str, aws: str, db: Path, **extra: str):
        self.port = free_port()
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench-not-a-real-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_url + "/api/",
            "IAMBOT_DB": str(db),
            "IAMBOT_ALERT_CHANNEL": "#iam-alerts",
            "IAMBOT_APPROVERS": "UAPPROVE1",
            "IAMBOT_REMEDIATIONS": "deactivate-access-key",
            "PORT": str(self.port),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": aws,
            **extra,
        }
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(BIN / "iambot"), "run", "--http"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("iambot run exited") from None
                time.sleep(0.01)
        self.ready_seconds = time.perf_counter() - t0

    def rss_mb(self) -> float:
        """Resident memory of the whole process tree (gunicorn arbiter + worker)."""
        pids = [self.proc.pid]
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        pids += [int(p) for p in out]
        total = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def health(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as resp:
            return json.loads(resp.read())

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

    def get_health_latency(self) -> float:
        t0 = time.perf_counter()
        self.health()
        return time.perf_counter() - t0

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


# ------------------------------------------------------------------------- 2. ack latency


def bench_ack(bot: Bot, slack: SlackFake, per_client: int) -> None:
    print("2. Slack acknowledgement latency (20 concurrent clients)", flush=True)
    responses = slack.url + "/response/"

    def run(make):
        with ThreadPoolExecutor(20) as pool:
            return list(pool.map(lambda i: [make(i) for _ in range(per_client)], range(20)))

    health = [x for xs in run(lambda i: bot.get_health_latency()) for x in xs]
    slash = [x for xs in run(lambda i: bot.post(slash_command("help", f"U{i:04d}", responses))) for x in xs]
    clicks = [
        x
        for xs in run(lambda i: bot.post(block_actions("dismiss", "no-such-event", f"U{i:04d}", responses)))
        for x in xs
    ]
    peer = pct(health, 99) * 1000
    for name, values in (("slash command /iam help", slash), ("block_actions click", clicks)):
        p50, p99 = pct(values, 50) * 1000, pct(values, 99) * 1000
        row(
            f"ack {name} ({len(values)} requests)",
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
            f"GET /healthz p99 {peer:.1f} ms → {p99 / peer:.1f}×",
            "p99 < 100 ms",
        )


# ------------------------------------------------------------------------- 3. event → message


def iam_record(i: int, prefix: str) -> dict:
    r = as_account(load("UpdateAccessKey__authored__1.json"))
    r["eventID"] = f"{prefix}-{i:06d}"
    r["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    r["requestParameters"] = {
        "userName": f"{prefix}-user-{i}",
        "accessKeyId": f"AKIAEXAMPLE{i:09d}",
        "status": "Active",
    }
    return r


def queue(endpoint: str, name: str) -> tuple[object, str]:
    """An SQS client on moto server and a new queue."""
    import boto3

    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return sqs, sqs.create_queue(QueueName=name)["QueueUrl"]


def bench_latency(count: int, endpoint: str, slack: SlackFake, tmp: Path) -> None:
    print(f"3. event → message latency ({count} events, one by one)", flush=True)
    sqs, url = queue(endpoint, "latency")
    # the peer: the queue alone, send → receive
    raw = []
    for i in range(min(count, 200)):
        t0 = time.perf_counter()
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
        msgs = []
        while not msgs:
            msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        raw.append(time.perf_counter() - t0)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    bot = Bot(
        slack.url,
        endpoint,
        tmp / "latency.db",
        IAMBOT_SQS_QUEUE_URL=url,
        sqs_wait_seconds="20",
        burst_per_minute="1000000",
        channel_interval_seconds="0",
        repeat_window_minutes="0",
    )
    seen: dict[str, float] = {}
    lock = threading.Condition()
    original = slack._answer

    def answer(method, params):  # note when each alert reaches chat.postMessage
        result = original(method, params)
        if method == "chat.postMessage":
            text = str(params.get("text", ""))
            with lock:
                for word in text.split():
                    if word.startswith("lat-user-"):
                        seen[word] = time.perf_counter()
                lock.notify_all()
        return result

    slack._answer = answer
    latencies = []
    try:
        for i in range(count):
            record = iam_record(i, "lat")
            t0 = time.perf_counter()
            sqs.send_message(QueueUrl=url, MessageBody=envelope(record))
            name = f"lat-user-{i}"
            with lock:
                lock.wait_for(lambda name=name: name in seen, timeout=30)
            latencies.append(seen[name] - t0)
    finally:
        slack._answer = original
        bot.stop()
    p50, p99 = pct(latencies, 50) * 1000, pct(latencies, 99) * 1000
    q50, q99 = pct(raw, 50) * 1000, pct(raw, 99) * 1000
    row(
        "event → chat.postMessage",
        f"p50 {p50:.0f} ms, p99 {p99:.0f} ms",
        f"queue alone p50 {q50:.0f} ms, p99 {q99:.0f} ms",
        "p99 < 1 s",
    )
    bench_processing(slack, tmp)


def bench_processing(slack: SlackFake, tmp: Path) -> None:
    """iambot's own share: normalize, assess, store, render and post one event (in process)."""
    from bot.app import build
    from bot.events import normalize
    from remediations.aws import Aws

    settings_env = {
        "backfill_hours": 1e6,
        "burst_per_minute": 10**6,
        "channel_interval_seconds": 0,
        "repeat_window_minutes": 0,
    }
    from bot.config import load_settings

    settings = load_settings(
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.url + "/api/",
        IAMBOT_DB=str(tmp / "proc.db"),
        IAMBOT_ALERT_CHANNEL="#iam-alerts",
        IAMBOT_APPROVERS="UAPPROVE1",
        **settings_env,
    )
    rt = build(settings, socket_mode=False, aws=Aws())
    post, total = [], []
    for i in range(300):
        record = iam_record(i, "proc")
        t0 = time.perf_counter()
        event = normalize(record)
        rt.service.ingest([event], flush=False)
        t1 = time.perf_counter()
        rt.outbox.flush()
        t2 = time.perf_counter()
        total.append(t1 - t0)
        post.append(t2 - t1)
    rt.store.close()
    row(
        "iambot processing per event (parse, assess, store, render)",
        f"p50 {pct(total, 50) * 1000:.1f} ms, p99 {pct(total, 99) * 1000:.1f} ms",
        f"the post itself (loopback fake) p50 {pct(post, 50) * 1000:.1f} ms",
        "< 20 ms",
    )


# ------------------------------------------------------------------------- 4. burst and 5. footprint


def bench_burst(total: int, seconds: float, endpoint: str, slack: SlackFake, tmp: Path) -> None:
    print(f"4. burst: {total} events in {seconds:.0f} s, Slack allowing 1 message/s per channel", flush=True)
    sqs, url = queue(endpoint, "burst")
    db = tmp / "burst.db"
    bot = Bot(slack.url, endpoint, db, IAMBOT_SQS_QUEUE_URL=url, sqs_wait_seconds="20")
    idle = bot.rss_mb()
    row("cold start to ready (iambot run --http → /healthz)", f"{bot.ready_seconds:.2f} s", "", "< 3 s")
    before_calls = len(slack.calls)
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
        if stored >= total and bot.health()["outbox_pending"] == 0:
            break
        time.sleep(0.2)
    clear = time.perf_counter() - t0
    calls = slack.calls[before_calls:]
    posts = [c for c in calls if c.method == "chat.postMessage" and c.status == 200]
    limited = [c for c in calls if c.status == 429]
    ids = [c.params["metadata"]["event_payload"]["id"] for c in posts if c.params.get("metadata")]
    slack.rate_limit_per_channel = None
    after = bot.rss_mb()
    bot.stop()
    row(f"burst: {total} events stored", f"{stored}", f"sent in {sent:.0f} s", "all stored")
    row(
        "burst: messages posted",
        f"{len(posts)} ({len(set(ids))} distinct, {len(posts) - len(set(ids))} duplicates)",
        f"{len(limited)} × 429 received, all retried",
        "threads + summary, none lost or twice",
    )
    row("burst: backlog clear after", f"{clear:.0f} s from the first event", f"{clear - sent:.0f} s after the last")
    row(
        "RSS of iambot run, idle / after the burst",
        f"{idle:.0f} MB / {after:.0f} MB",
        f"bare python {bare_python_rss():.0f} MB",
        "< 150 MB",
    )


def bare_python_rss() -> float:
    out = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-c", "pass"], capture_output=True, text=True)
    return int(out.stderr.strip().splitlines()[-1]) / 1024


def bench_help() -> None:
    print("5. footprint", flush=True)
    helps, bare = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "iambot"), "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=True)
        bare.append(time.perf_counter() - t0)
    row(
        "iambot --help",
        f"{min(helps) * 1000:.0f} ms",
        f"bare python {min(bare) * 1000:.0f} ms → {min(helps) / min(bare):.1f}×",
        "< 0.5 s",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small inputs: a smoke run of every measurement")
    args = parser.parse_args()
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's access log

    started = time.perf_counter()
    print(
        f"iambot bench on {platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.machine()}\n",
        flush=True,
    )
    bench_triage([20_000] if args.quick else [100_000, 500_000])
    slack = SlackFake()
    server, _ = serve(slack)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{moto.get_host_and_port()[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        bot = Bot(slack.url, "http://127.0.0.1:9", Path(tmp) / "ack.db")
        try:
            bench_ack(bot, slack, per_client=10 if args.quick else 50)
        finally:
            bot.stop()
        bench_latency(50 if args.quick else 1000, endpoint, slack, Path(tmp))
        bench_burst(200 if args.quick else 2000, 6 if args.quick else 60, endpoint, slack, Path(tmp))
    bench_help()
    moto.stop()
    server.shutdown()
    print("\n| measure | value | peer in the same run | target |\n|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
