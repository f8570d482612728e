"""Triage where identity events are many (issue 21 item 8): iambot beside DuckDB's bare filter
over the same files, the data built as for the triage section but with identity events at a
given share (a quarter by default), in interleaved rounds; and what one identity event costs
iambot in this process, split into normalize, assess and render.

At the usual 2% iambot's time is reading: the other services' records are skipped without
becoming objects. At 25% every fourth record is normalized, assessed and rendered, so that
per-event cost decides the ratio; the split says where it goes.
"""

from __future__ import annotations

import gzip
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import section_triage as st
from measure import interleaved

SHARE = 0.25
PEERS = ("iambot json", "iambot table", "duckdb read_json_auto")


def identity_records(folder: Path, count: int) -> list[dict[str, Any]]:
    """The first ``count`` identity records of the data set, in iambot's file order, as dicts."""
    from bot.catalog import load
    from bot.events import iter_files

    selection = load().selection()
    found: list[dict[str, Any]] = []
    for path in iter_files([folder]):
        records = orjson.loads(gzip.decompress(path.read_bytes()))["Records"]
        found.extend(r for r in records if selection.wants(r["eventSource"], r.get("eventName")))
        if len(found) >= count:
            break
    return found[:count]


def _per_event(work: Callable[[], Any], count: int, repeats: int = 3) -> float:
    """µs an event: the median of ``repeats`` runs of ``work`` over ``count`` events."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / count * 1e6


def _beyond(base: Callable[[], Any], work: Callable[[], Any], count: int, repeats: int = 7) -> float:
    """µs an event ``work`` takes beyond ``base``: the least of ``repeats`` runs of each, taken in
    turns (a difference of two medians moves with the machine's other load)."""
    least = [float("inf"), float("inf")]
    for _ in range(repeats):
        for i, f in enumerate((base, work)):
            t0 = time.process_time()
            f()
            least[i] = min(least[i], time.process_time() - t0)
    return (least[1] - least[0]) / count * 1e6


def costs(folder: Path, count: int) -> dict[str, float]:
    """µs an identity event for each stage of triage, in this process, over ``count`` records of
    the data set: normalize (record to event; the bracket count the fast reader passes is given),
    assess (catalog entry, targets, case, factors, summary, offers, and the sequence step triage
    takes of it), render (a JSON line; a row of the plain table at 80 columns, as a worker adds it
    to the file's rows). Render is measured as the worker does it: each alert rendered as it is
    made (assess and render, less assess alone, in CPU time), not over alerts made before, which are warm in
    the caches and cost a part of what they cost in the worker."""
    from bot.assess import Assessor
    from bot.assess.sequences import step_of
    from bot.cli import parallel
    from bot.cli.console import PlainTable, make_console
    from bot.events.normalize import normalize

    records = identity_records(folder, count)
    n = len(records)
    brackets = [orjson.dumps(r).count(b"{") + orjson.dumps(r).count(b"[") for r in records]
    events = [normalize(r, f"r[{i}]", c) for i, (r, c) in enumerate(zip(records, brackets, strict=True))]
    assessor = Assessor()
    console = make_console()
    console.width = 80  # what triage into a file draws without COLUMNS
    plain = PlainTable.of(console)
    assert plain is not None, "the plain table draws as rich does at width 80"
    worker = parallel.make_worker((), (), 0, "table", plain.layout)

    def assessed(render: Callable[[Any, parallel.Rows], Any]) -> Callable[[], None]:
        def work() -> None:
            rows = parallel.Rows()
            for e in events:
                alert = assessor(e)
                step_of(e, alert.targets)
                render(alert, rows)
            rows.close()

        return work

    assess = assessed(lambda alert, rows: None)
    return {
        "events": n,
        "normalize": _per_event(lambda: [normalize(r, "r", c) for r, c in zip(records, brackets, strict=True)], n),
        "assess": _per_event(assess, n),
        "render json": _beyond(assess, assessed(lambda alert, rows: parallel.json_line(alert)), n),
        "render table": _beyond(assess, assessed(lambda alert, rows: worker.add_row(rows, alert)), n),
    }


def run(records: int, rounds: int, tmp: Path, row: Any, share: float = SHARE, sample: int = 3000) -> None:
    folder, info = st.dataset(records, share)
    print(
        f"  {info['records']:,} records in {info['files']:,} files, {info['bytes'] / 1e9:.2f} GB JSON: "
        f"{info['identity']:,} identity events ({info['identity'] / info['records']:.1%})",
        flush=True,
    )
    group = [c for c in st.contenders(folder, tmp, 0) if c.name in PEERS]
    interleaved(group, rounds, f"{records // 1000}k at {share:.0%} ")
    times = {c.name: c.seconds() for c in group}
    cpu = {c.name: c.cpu().median for c in group}
    duck, duck_cpu = times["duckdb read_json_auto"], cpu["duckdb read_json_auto"]
    reference = Counter(st.ids(tmp / "duck.jsonl"))
    lines = [orjson.loads(line) for line in (tmp / "iambot.jsonl").read_bytes().splitlines()]
    mine = Counter(x["event_id"] for x in lines if "event_id" in x)  # the rest: sequences, after the events
    table = " ".join((tmp / "iambot.txt").read_text().split())
    found = sum(reference.values())
    same = mine == reference and f"{found} identity event(s)" in table
    print(f"  check: DuckDB found {found:,}; iambot json and table: {'the same' if same else 'DIFFER'}", flush=True)
    if not same:
        row(f"output check at {share:.0%} identity", "DIFFERS from DuckDB's ids", "", "same ids as DuckDB")
    for name in ("iambot json", "iambot table"):
        t = times[name]
        row(
            f"triage {records:,} records, {share:.0%} identity: {name}",
            f"{t.show()} · CPU {cpu[name]:.1f} s",
            f"{duck.median / t.median:.2f}× DuckDB's bare filter ({duck.show()}, CPU {duck_cpu:.1f} s)",
            "≥ 1× DuckDB",
        )
    cost = costs(folder, sample)
    total = cost["normalize"] + cost["assess"]
    row(
        f"cost per identity event ({cost['events']:,} from these files, in-process)",
        f"normalize {cost['normalize']:.1f} µs · assess {cost['assess']:.1f} µs · render json "
        f"{cost['render json']:.1f} µs / table {cost['render table']:.1f} µs",
        f"{total + cost['render json']:.0f} µs (json), {total + cost['render table']:.0f} µs (table) an event",
    )
