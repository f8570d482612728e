"""What triage's worker costs an identity event in this process, json beside table (the plain
table at 80 columns, as `iambot triage > file` draws it) beside no rendering at all (no alert
at or above the floor): each file run by each in turn, the least of the rounds for each file.

Usage (from the repository's root): PYTHONPATH=. python bench/worker_split.py [folder] [rounds]
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

from bot.catalog import SEVERITIES
from bot.cli import parallel
from bot.cli.console import PlainTable, make_console


def main(folder: Path, rounds: int) -> None:
    files = sorted(p for p in folder.iterdir() if p.is_file())
    console = make_console()
    console.width = 80
    plain = PlainTable.of(console)
    assert plain is not None
    workers = {
        "json": parallel.make_worker((), (), 0, "json"),
        "table": parallel.make_worker((), (), 0, "table", plain.layout),
        "none": parallel.make_worker((), (), len(SEVERITIES), "json"),
    }
    gc.freeze()  # as the pool's workers do
    events = sum(len(workers["json"](p).json.splitlines()) for p in files)
    least = {name: [float("inf")] * len(files) for name in workers}
    for _ in range(rounds):
        for i, path in enumerate(files):
            for name, worker in workers.items():
                t0 = time.process_time()
                worker(path)
                least[name][i] = min(least[name][i], time.process_time() - t0)
    us = {name: sum(times) / events * 1e6 for name, times in least.items()}
    print(
        f"{events} events, µs an event: json {us['json']:.1f} · table {us['table']:.1f} · no render {us['none']:.1f}"
        f" | render json {us['json'] - us['none']:.1f} · table {us['table'] - us['none']:.1f}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/golden/input"), int(sys.argv[2]) if len(sys.argv) > 2 else 3)
