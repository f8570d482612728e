"""`make bench`: iambot's figures on this machine, each beside peers measured in the same run.

1. triage on records built from the real fixtures, against jq, DuckDB, a bare Python filter and
   zcat on one and two processes, in interleaved rounds (min/median/max), process-tree RSS, and
   an output check against jq's event ids; both formats and --db; memory as the input grows;
   then where identity events are many (a quarter of the records, --identity-share): iambot
   against DuckDB's bare filter, and the cost of one identity event (normalize, assess, render)
2. intake: events a second with 0, 10k and 100k events stored, beside the queue alone
3. Slack: acknowledgement latency, event → message, a burst against the rate limit, footprint
4. PostgreSQL: intake with history on 1, 2 and 4 replicas beside SQLite, `iambot db copy`, and
   the acknowledgement latency on both backends (skipped where no PostgreSQL answers)

Usage: python bench/run.py [--quick] [--only triage,intake,slack,replicas] [--identity-share 0.25]
   --quick: small inputs and two rounds, a smoke run of every measurement (about 3 minutes)
   --only identity: only the triage case where identity events are many
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ROWS: list[tuple[str, str, str, str]] = []  # (measure, value, peer / ratio, target)


def row(measure: str, value: str, peer: str = "", target: str = "") -> None:
    ROWS.append((measure, value, peer, target))
    print(f"  ▸ {measure}: {value}  {peer}  {target}", flush=True)


def machine() -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "?",
    )
    usable = len(os.sched_getaffinity(0))
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    jq = subprocess.run(["jq", "--version"], capture_output=True, text=True).stdout.strip()
    try:
        import duckdb

        duck = f"DuckDB {duckdb.__version__}"
    except ImportError:
        duck = "no DuckDB"
    return (
        f"{model}, {usable} usable cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {jq}, {duck}"
    )


def section_identity(quick: bool, tmp: Path, share: float) -> None:
    import section_identity as si

    size, rounds = (20_000, 2) if quick else (1_000_000, 3)
    print(f"\n1b. triage where identity events are {share:.0%}, {size:,} records, {rounds} interleaved rounds",
          flush=True)
    si.run(size, rounds, tmp, row, share, 1000 if quick else 3000)


def section_triage(quick: bool, tmp: Path) -> None:
    import section_triage as st

    size, rounds = (20_000, 2) if quick else (1_000_000, 3)
    print(f"\n1. triage, {size:,} records, {rounds} interleaved rounds", flush=True)
    st.run(size, rounds, tmp, row)
    sizes = [5_000, 20_000] if quick else [100_000, 1_000_000, 3_000_000]
    print(f"\n   memory as the input grows: {', '.join(f'{n:,}' for n in sizes)} records", flush=True)
    st.memory(sizes, 1 if quick else 2, tmp, row)


def section_intake(quick: bool, tmp: Path, slack_url: str) -> None:
    import intake
    from measure import Spread

    intake.quiet()
    sizes, count, rounds = ([0, 10_000], 500, 2) if quick else ([0, 10_000, 100_000], 5000, 3)
    print(f"\n2. intake ceiling: {count} events through the SQS source, {rounds} rounds", flush=True)
    seeded = {}
    for stored in sizes:
        seeded[stored] = tmp / f"seed-{stored}.db"
        intake.seed(seeded[stored], slack_url, stored)
    rates: dict[int, list[float]] = {n: [] for n in sizes}
    alone: list[float] = []
    for r in range(rounds):
        for stored in sizes[r % len(sizes):] + sizes[: r % len(sizes)]:
            work = tmp / "work"
            work.mkdir(exist_ok=True)
            for suffix in ("", "-wal", "-shm"):  # a fresh copy of the seeded store each round
                Path(f"{work}/intake-{stored}.db{suffix}").unlink(missing_ok=True)
            shutil.copy(seeded[stored], work / f"intake-{stored}.db")
            result = intake.ceiling(work, slack_url, stored, count, reseed=False)
            rates[stored].append(result["rate"])
            print(f"    round {r + 1}/{rounds}, {stored:,} stored: {result['rate']:.0f} events/s", flush=True)
        alone.append(intake.queue_alone(tmp, slack_url, count))
    peer = Spread(alone)
    for stored in sizes:
        row(f"intake with {stored:,} events stored", Spread(rates[stored]).show("events/s", 0),
            f"queue alone {peer.show('events/s', 0)}", "≥ 500 events/s at 100k")


def section_slack(quick: bool, tmp: Path, slack: object, endpoint: str) -> None:
    import section_slack as ss

    print("\n3. Slack: `iambot run --http` against the Slack fake", flush=True)
    bot = ss.Bot(slack.url, "http://127.0.0.1:9", tmp / "ack.db")  # type: ignore[attr-defined]
    try:
        ss.ack(bot, slack, 10 if quick else 50, row)  # type: ignore[arg-type]
    finally:
        bot.stop()
    ss.latency(50 if quick else 1000, endpoint, slack, tmp, row)  # type: ignore[arg-type]
    ss.burst(200 if quick else 2000, 6 if quick else 60, endpoint, slack, tmp, row)  # type: ignore[arg-type]
    ss.help_time(row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small inputs: a smoke run of every measurement")
    parser.add_argument("--only", default="triage,intake,slack,replicas", help="which sections, comma-separated "
                        "(identity: only triage's case where identity events are many)")
    parser.add_argument("--identity-share", type=float, default=0.25, help="identity events' share in that case")
    args = parser.parse_args()
    if not 0 < args.identity_share <= 1:
        parser.error("--identity-share: a share above 0 and at most 1 (0.25: a quarter of the records)")
    only = set(args.only.split(","))
    from moto.server import ThreadedMotoServer

    from tests.support.slack_fake import SlackFake, serve

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's access log
    started = time.perf_counter()
    command = "make bench" + (" ARGS=--quick" if args.quick else "")
    print(f"iambot bench: {machine()}\n", flush=True)
    slack = SlackFake()
    server, _ = serve(slack)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if "triage" in only:
            section_triage(args.quick, tmp)
        if "triage" in only or "identity" in only:
            section_identity(args.quick, tmp, args.identity_share)
        if "intake" in only:
            section_intake(args.quick, tmp, slack.url)
        if "slack" in only:
            logging.disable(logging.NOTSET)
            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            moto.start()
            try:
                section_slack(args.quick, tmp, slack, f"http://127.0.0.1:{moto.get_host_and_port()[1]}")
            finally:
                moto.stop()
        if "replicas" in only:
            import section_replicas

            section_replicas.run(args.quick, tmp, slack.url, slack, row)
    server.shutdown()
    print(f"\n`{command}` on {machine()}; medians of interleaved rounds, (min–max) in brackets\n")
    print("| measure | value | peers in the same run | target |\n|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(x.replace("|", "\\|") for x in r) + " |")
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
