"""PostgreSQL beside SQLite, in the same run: intake with history stored on 1, 2 and 4 replicas
(processes, each draining its share of the queue, the poster's turn held by one), SQLite's
figure on the same history, `iambot db copy`'s rate, and the acknowledgement latency of
`iambot run --http` on each backend.

PostgreSQL comes from IAMBOT_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/
postgres); the section makes its own databases (iambot_bench_*) and drops them. Where none answers
it says so and is skipped.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

import intake
import psycopg
import section_slack as ss
from measure import Spread

PG = os.environ.get("IAMBOT_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def answers() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        psycopg.connect(PG, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def database(name: str, template: str | None = None) -> str:
    """A fresh database (a copy of ``template``); its URL."""
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    parts = urllib.parse.urlsplit(PG)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def drop(*names: str) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def replica(url: str, slack_url: str, count: int, prefix: str, go: Any, results: Any) -> None:
    """One replica: the runtime `iambot run` builds on ``url``, its poster behind the shared turn,
    draining ``count`` events of its own when ``go`` is set."""
    sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
    intake.quiet()
    from bot.runtime.background import PosterLoop
    from bot.runtime.replicas import Turn
    from bot.runtime.wiring import POSTER_TERM

    rt = intake.runtime(url, slack_url)  # type: ignore[arg-type]
    turn = Turn(rt.store, "poster", prefix, POSTER_TERM)
    rt.background.poster = PosterLoop(lambda: turn() and rt.poster.flush(keep=turn), rt.background.stop)
    rt.running = True
    rt.background.poster.start()
    queue = intake.StubQueue(intake.envelopes(count, seed=hash(prefix) % 1000, prefix=prefix))
    go.wait()
    t0 = time.time()
    intake.drain(rt, queue, rt.workflow.intake, True)
    t1 = time.time()
    rt.stop()
    rt.close()
    results.put((t0, t1, count))


def replicas_rate(url: str, slack_url: str, n: int, count: int) -> float:
    """Events a second over ``n`` replica processes taking ``count`` events in between them."""
    ctx = multiprocessing.get_context("spawn")
    go, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=replica, args=(url, slack_url, count // n, f"r{n}-{i}", go, results)) for i in range(n)
    ]
    for p in procs:
        p.start()
    time.sleep(3 + n)  # every replica built and connected before the clock starts
    go.set()
    done = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(60)
    start, end = min(d[0] for d in done), max(d[1] for d in done)
    return sum(d[2] for d in done) / (end - start)


def run(quick: bool, tmp: Path, slack_url: str, slack: Any, row: Any) -> None:
    why = answers()
    if why is not None:
        print(f"\n4. PostgreSQL: none at {PG} ({why}); skipped (set IAMBOT_BENCH_DATABASE_URL)", flush=True)
        return
    stored, count, rounds = (10_000, 1000, 1) if quick else (100_000, 4000, 3)
    print(f"\n4. PostgreSQL beside SQLite: {count} events taken in with {stored:,} stored, {rounds} rounds", flush=True)
    intake.quiet()
    from bot.store import open_database
    from bot.store.copy import copy

    sqlite_seed = tmp / f"pg-seed-{stored}.db"
    intake.seed(sqlite_seed, slack_url, stored)
    seed_url = database("iambot_bench_seed")
    t0 = time.perf_counter()
    source, target = open_database(sqlite_seed), open_database(seed_url)
    copied = sum(c.rows for c in copy(source, target))
    took = time.perf_counter() - t0
    source.close()
    target.close()
    row(f"iambot db copy, SQLite → PostgreSQL ({copied:,} rows)", f"{copied / took:,.0f} rows/s ({took:.1f} s)")
    rates: dict[str, list[float]] = {"SQLite": [], **{f"PostgreSQL, {n} replica(s)": [] for n in (1, 2, 4)}}
    names = []
    try:
        for r in range(rounds):
            work = tmp / "pg-work"
            work.mkdir(exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{work}/intake-{stored}.db{suffix}").unlink(missing_ok=True)
            shutil.copy(sqlite_seed, work / f"intake-{stored}.db")
            rates["SQLite"].append(intake.ceiling(work, slack_url, stored, count, reseed=False)["rate"])
            for n in (1, 2, 4):
                name = f"iambot_bench_r{n}"
                names.append(name)
                url = database(name, template="iambot_bench_seed")
                rates[f"PostgreSQL, {n} replica(s)"].append(replicas_rate(url, slack_url, n, count))
            figures = ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in rates.items())
            print(f"    round {r + 1}/{rounds}: {figures}", flush=True)
    finally:
        drop(*set(names))
    lite = Spread(rates["SQLite"])
    one = Spread(rates["PostgreSQL, 1 replica(s)"])
    for n in (1, 2, 4):
        spread = Spread(rates[f"PostgreSQL, {n} replica(s)"])
        ratio = f"{spread.median / one.median:.2f}× one replica" if n > 1 else f"{one.median / lite.median:.2f}× SQLite"
        target = {1: "≥ 0.7× SQLite", 2: "≥ 1.7× one replica", 4: ""}[n]
        row(f"intake on PostgreSQL, {n} replica(s), {stored:,} stored", spread.show("events/s", 0),
            f"SQLite {lite.show('events/s', 0)}; {ratio}", target)
    ack_url = database("iambot_bench_ack")
    try:
        for backend, db in (("SQLite", None), ("PostgreSQL", ack_url)):
            bot = ss.Bot(slack.url, "http://127.0.0.1:9", tmp / f"ack-{backend}.db", db_url=db)
            try:
                ss.ack(bot, slack, 10 if quick else 50, row, backend=backend, stalls=False)
            finally:
                bot.stop()
    finally:
        drop("iambot_bench_ack", "iambot_bench_seed")
