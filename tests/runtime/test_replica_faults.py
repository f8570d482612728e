"""Two `iambot run` replicas on one PostgreSQL database, as real processes against moto server and
the Slack fake: they start together, one is killed with SIGKILL mid-stream, twenty people approve
at once across both, PostgreSQL goes away under load and comes back. Nothing is lost and nothing
happens twice. (Skipped, with the run's one line saying why, where no PostgreSQL answers.)"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
from typing import Any

import boto3
import psycopg
import pytest

from bot.store.migrations import MIGRATIONS
from tests.support.feed import FAST, alert_posts, configured, health, queue, send
from tests.support.harness import slash_command
from tests.support.process import Running, free_port, moto_server, run_env, start, wait_until_serving
from tests.support.tcp_proxy import TcpProxy

MESSAGES = 80
APPROVERS = [f"UAPPROVE{i:02d}" for i in range(20)]


@pytest.fixture
def moto():
    server = moto_server()
    yield server
    server.stop()


@pytest.fixture
def replicas(slack, tmp_path, postgres_url, moto):
    """start(name, **env) → a running replica named ``name`` on the test's PostgreSQL schema."""
    started: list[Running] = []

    def make(name: str, db: str = postgres_url, config: str = FAST.format(wait=1), **extra: str) -> Running:
        env = run_env(slack.url, tmp_path, free_port(), moto.url, IAMBOT_DB=db, IAMBOT_REPLICA=name, **extra)
        running = start(configured(env, tmp_path, config), tmp_path, "--http", name=name)
        started.append(running)
        return running

    yield make
    for running in started:
        if running.proc.poll() is None:
            running.stop(15)


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_two_replicas_started_at_the_same_instant_both_start(replicas, postgres_url):
    a, b = replicas("a"), replicas("b")  # a fresh database: both race to create the schema
    for running in (a, b):
        wait_until_serving(running)
        assert health(running)["store"] == {"ok": True, "detail": "ok"}  # /readyz
    assert rows(postgres_url, "SELECT MAX(version) FROM iambot_schema") == [(len(MIGRATIONS),)]
    for running in (a, b):
        assert running.stop(10) == 0, running.output()[-2000:]
        assert "already exists" not in running.output()


def test_one_of_two_replicas_killed_mid_stream_every_event_is_alerted_once(replicas, slack, moto, postgres_url):
    random.seed(17)
    sqs, url = queue(moto.url)
    ids = send(sqs, url, MESSAGES, "replica")
    a, b = replicas("a", IAMBOT_SQS_QUEUE_URL=url), replicas("b", IAMBOT_SQS_QUEUE_URL=url)
    wait_until_serving(a)
    wait_until_serving(b)
    slack.wait_for(lambda s: len(alert_posts(s)) >= 5, timeout=60)
    time.sleep(random.uniform(0.1, 0.5))  # somewhere in the middle of the stream
    victim = random.choice([a, b])
    victim.proc.kill()
    victim.proc.wait(10)
    assert len(set(alert_posts(slack))) < MESSAGES  # it died mid-stream
    # the platform restarts it under its name (a StatefulSet pod, a Heroku dyno): it takes its turn back
    again = replicas("a" if victim is a else "b", IAMBOT_SQS_QUEUE_URL=url)
    wait_until_serving(again)
    slack.wait_for(lambda s: len(set(alert_posts(s))) >= MESSAGES, timeout=120)
    survivor = b if victim is a else a
    slack.wait_for(lambda s: health(survivor)["outbox"]["pending"] == 0, timeout=60)
    posts = alert_posts(slack)
    assert len(posts) == len(set(posts)) == len(ids)  # every event alerted, none twice
    assert rows(postgres_url, "SELECT COUNT(*) FROM events") == [(MESSAGES,)]


def test_twenty_approvals_spread_over_two_replicas_execute_once(replicas, slack, moto, postgres_url):
    iam = boto3.client(
        "iam", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )  # fmt: skip
    iam.create_user(UserName="legacy-etl")
    key = iam.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    extra = {"IAMBOT_APPROVERS": ",".join(APPROVERS), "IAMBOT_REMEDIATIONS": "deactivate-access-key"}
    a, b = replicas("a", **extra), replicas("b", **extra)
    wait_until_serving(a)
    wait_until_serving(b)
    responses = slack.url + "/response/"
    ask = f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key}"
    assert a.post_signed(slash_command(ask, "UREQUEST1", responses))[0] == 200
    slack.wait_for(lambda s: rows(postgres_url, "SELECT COUNT(*) FROM requests") == [(1,)], timeout=30)
    (request_id,) = rows(postgres_url, "SELECT id FROM requests")[0]
    barrier, statuses = threading.Barrier(len(APPROVERS)), []

    def approve(i: int) -> None:
        body = slash_command(f"approve {request_id}", APPROVERS[i], responses)
        barrier.wait()
        statuses.append((a if i % 2 else b).post_signed(body)[0])

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(len(APPROVERS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * len(APPROVERS)
    slack.wait_for(
        lambda s: rows(postgres_url, f"SELECT status FROM requests WHERE id = '{request_id}'") == [("succeeded",)],
        timeout=60,
    )
    time.sleep(1)  # a second execution, were there one, would have been audited by now
    assert rows(postgres_url, "SELECT COUNT(*) FROM audit WHERE action = 'execute'") == [(1,)]
    approvals = rows(postgres_url, "SELECT COUNT(*) FROM approvals")[0][0]
    assert approvals >= 1
    status = iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"]
    assert status == "Inactive"


def test_postgresql_going_away_under_load_is_reported_then_nothing_is_lost(replicas, slack, moto, postgres_url):
    parts = urllib.parse.urlsplit(postgres_url)
    proxy = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    through = urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    try:
        sqs, url = queue(moto.url)
        first = send(sqs, url, MESSAGES // 2, "before")
        a = replicas("a", db=through, IAMBOT_SQS_QUEUE_URL=url)
        b = replicas("b", db=through, IAMBOT_SQS_QUEUE_URL=url)
        wait_until_serving(a)
        wait_until_serving(b)
        slack.wait_for(lambda s: len(set(alert_posts(s))) >= 10, timeout=60)
        proxy.down()  # under load: the first half is still being taken in
        assert len(set(alert_posts(slack))) < len(first)
        for running in (a, b):
            slack.wait_for(lambda s, r=running: r.get("/readyz")[0] == 503, timeout=30)
            report = json.loads(running.get("/readyz")[1])
            assert report["store"]["ok"] is False and report["ok"] is False
            assert running.get("/healthz")[0] == 200  # alive: restarting it would not bring the database back
        second = send(sqs, url, MESSAGES // 2, "during")
        time.sleep(3)  # replicas keep trying against a database that is not there
        assert a.proc.poll() is None and b.proc.poll() is None  # nobody died of it
        proxy.restore()
        slack.wait_for(lambda s: len(set(alert_posts(s))) >= MESSAGES, timeout=120)
        for running in (a, b):
            slack.wait_for(lambda s, r=running: r.get("/readyz")[0] == 200, timeout=30)
    finally:
        proxy.close()
    posts = alert_posts(slack)
    assert sorted(posts) == sorted(set(posts)) and len(posts) == len(first) + len(second)
    assert rows(postgres_url, "SELECT COUNT(*) FROM events") == [(MESSAGES,)]


def test_sigterm_stops_a_postgresql_replica_within_five_seconds(replicas, moto):
    _, url = queue(moto.url)
    running = replicas("a", config=FAST.format(wait=20), IAMBOT_SQS_QUEUE_URL=url)
    wait_until_serving(running)
    time.sleep(1.5)  # inside its 20 s long poll now
    t0 = time.monotonic()
    assert running.stop(15) == 0, running.output()[-2000:]
    assert time.monotonic() - t0 < 5.0
