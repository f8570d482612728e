"""iambot under crashes, a locked database and SIGTERM: nothing lost, nothing twice, back by itself.

These run `iambot run` as a real process against moto server and the Slack fake (kill -9 and
signals need one) or, for the lock, the real background in this process."""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time

from tests.support.feed import FAST, alert_posts, configured, health, queue, send
from tests.support.process import free_port, moto_server, run_env, start, wait_until_serving

MESSAGES = int(os.environ.get("IAMBOT_KILL_MESSAGES", "120"))  # 300 and KILLS=5 for the figure in the note
KILLS = int(os.environ.get("IAMBOT_KILLS", "2"))
LOCK_SECONDS = float(os.environ.get("IAMBOT_LOCK_SECONDS", "3"))  # 45 for the figure in the note
def test_kill_dash_nine_at_random_moments_loses_nothing_and_posts_nothing_twice(slack, tmp_path):
    random.seed(7)
    moto = moto_server()
    try:
        sqs, url = queue(moto.url)
        env = run_env(
            slack.url,
            tmp_path,
            free_port(),
            moto.url,
            IAMBOT_SQS_QUEUE_URL=url,
            IAMBOT_REMEDIATIONS="deactivate-access-key",
        )
        env = configured(env, tmp_path, FAST.format(wait=1))
        ids = send(sqs, url, MESSAGES, "kill")
        for _ in range(KILLS):
            running = start(env, tmp_path, "--http")
            wait_until_serving(running)
            time.sleep(random.uniform(0.2, 1.2))  # let it get somewhere, then crash it
            running.proc.kill()
            running.proc.wait(10)
        running = start(env, tmp_path, "--http")
        try:
            wait_until_serving(running)
            slack.wait_for(lambda s: len(set(alert_posts(s))) >= MESSAGES, timeout=90)
            slack.wait_for(lambda s: health(running).get("outbox", {}).get("pending") == 0, timeout=30)
        finally:
            running.stop(15)
    finally:
        moto.stop()
    posts = alert_posts(slack)
    assert len(posts) == len(set(posts)) == len(ids)  # every event alerted exactly once
    with sqlite3.connect(tmp_path / "iambot.db") as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == MESSAGES


def test_sigterm_exits_within_five_seconds_even_during_a_long_poll(slack, tmp_path):
    moto = moto_server()
    try:
        _, url = queue(moto.url)
        env = configured(
            run_env(slack.url, tmp_path, free_port(), moto.url, IAMBOT_SQS_QUEUE_URL=url),
            tmp_path,
            FAST.format(wait=20),
        )
        running = start(env, tmp_path, "--http")
        wait_until_serving(running)
        slack.wait_for(lambda s: health(running).get("sources", {}).get("sqs"), timeout=10)
        time.sleep(1)  # inside its 20 s long poll now
        t0 = time.monotonic()
        status = running.stop(15)
        took = time.monotonic() - t0
    finally:
        moto.stop()
    assert status == 0, running.output()[-2000:]
    assert took < 5.0, took


def test_a_locked_database_delays_nothing_it_should_not_and_loses_nothing(runtime_for, http_for, slack, aws, tmp_path):
    hold = LOCK_SECONDS
    runtime = runtime_for(
        sqs_wait_seconds=0,
        db_busy_seconds=1,
        burst_per_minute=10**6,
        repeat_window_minutes=0,
        IAMBOT_SQS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/locked",
    )
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="locked", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    http = http_for(runtime)
    runtime.start_background()
    holder = sqlite3.connect(runtime.settings.db, isolation_level=None, timeout=1, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the database
    released = threading.Event()

    def release() -> None:
        time.sleep(hold)  # the lock is held for this long, by the clock
        holder.execute("COMMIT")
        released.set()

    threading.Thread(target=release, daemon=True).start()
    ids = send(sqs, url, 20, "lock")
    t0 = time.perf_counter()
    status, _ = http.get("/readyz")
    health_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    ack, _ = http.slash("help", "UREQUEST1")
    ack_seconds = time.perf_counter() - t0
    assert status in (200, 503) and health_seconds < 1.0
    assert ack == 200 and ack_seconds < 1.0
    released.wait(hold + 5)
    slack.wait_for(lambda s: runtime.store.events.count() == 20, timeout=60)
    slack.wait_for(lambda s: len(set(alert_posts(s))) == 20, timeout=30)
    assert len(alert_posts(slack)) == 20
    assert {r["id"] for r in runtime.store.db.query("SELECT id FROM events")} == set(ids)
