"""Triage against its peers on the same files and the same filter, in the same run.

The filter is the identity selection, for every peer: eventSource in the catalog's whole sources,
or STS with the named event names. jq's event ids are the reference: iambot's JSON must list the
same ids in the same order, the table must count them, --db must store them, and DuckDB and the
bare Python filter must find the same set.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from measure import Contender, Spread, interleaved

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATA = ROOT / "bench" / ".data"


def selection() -> dict[str, Any]:
    from bot.catalog import load

    s = load().selection()
    return {"sources": sorted(s.sources), "named": {k: sorted(v) for k, v in sorted(s.named.items())}}


def jq_filter(sel: dict[str, Any]) -> str:
    whole = ",".join(json.dumps(x) for x in sel["sources"])
    named = " or ".join(
        f'(.eventSource == {json.dumps(src)} and (.eventName | IN({",".join(json.dumps(n) for n in names)})))'
        for src, names in sel["named"].items()
    )
    return f".Records[] | select((.eventSource | IN({whole})) or {named or 'false'})"


def dataset(records: int, identity_share: float | None = None) -> tuple[Path, dict[str, Any]]:
    """The generated data set (built once, cached in bench/.data); ``identity_share`` None: today's ~2%."""
    from generate import VERSION, describe, generate

    share = "" if identity_share is None else f"-i{identity_share:g}"
    folder = DATA / f"ct-v{VERSION}-s7-{records}{share}"
    fresh = not folder.with_name(folder.name + ".json").exists()
    if fresh:
        print(f"  generating {records:,} records from the fixtures (once; cached in {DATA})", flush=True)
    info = generate(folder, records, identity_share=identity_share)
    manifest = folder.with_name(folder.name + ".json")
    if "shape" not in info:
        info["shape"] = describe(folder)
        manifest.write_text(json.dumps(info))
    return folder, info


def file_list(folder: Path, out: Path) -> list[Path]:
    """The files in the order iambot reads them, NUL-separated for xargs."""
    from bot.events import iter_files

    files = list(iter_files([folder]))
    out.write_bytes(b"".join(str(p).encode() + b"\0" for p in files))
    return files


def contenders(folder: Path, tmp: Path, files: int, with_peers: bool = True) -> list[Contender]:
    sel = selection()
    listing = tmp / "files.list"
    half = math.ceil(files / 2)
    db = tmp / "triage.db"
    quoted_sel = "'" + json.dumps(sel) + "'"
    py = f"{BIN}/python {ROOT}/bench"

    def fresh_db() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    iambot = f"PYTHONPATH={ROOT} {BIN}/iambot"  # this checkout's code, whichever the venv installed
    found = [
        Contender("iambot json", f"{iambot} triage --format json {folder} > {tmp}/iambot.jsonl"),
        Contender("iambot table", f"{iambot} triage {folder} > {tmp}/iambot.txt"),
    ]
    if not with_peers:
        return found
    found += [
        Contender("iambot json --db", f"{iambot} triage --format json --db {db} {folder} > /dev/null", fresh_db),
        Contender("jq (bare filter)", f"xargs -0 zcat < {listing} | jq -c '{jq_filter(sel)}' > {tmp}/jq.jsonl"),
        Contender("duckdb read_json_auto", f"{py}/peer_duckdb.py {folder} {quoted_sel} {tmp}/duck.jsonl"),
        Contender("python zlib+orjson ×2", f"{py}/peer_python.py {listing} {quoted_sel} > {tmp}/py.jsonl"),
        Contender("zcat ×1", f"xargs -0 zcat < {listing} > /dev/null"),
        Contender("zcat ×2", f"xargs -0 -P2 -n {half} zcat < {listing} > /dev/null"),
    ]
    return found


def ids(path: Path, key: str = "eventID") -> list[str]:
    return [orjson.loads(line)[key] for line in path.read_bytes().splitlines() if line.strip()]


def check(tmp: Path) -> list[str]:
    """The output check against jq's event ids; one line per finding, "ok" lines included."""
    reference = ids(tmp / "jq.jsonl")
    notes = [f"jq found {len(reference):,} identity events"]
    mine = ids(tmp / "iambot.jsonl", "event_id")
    notes.append("iambot json: " + ("same ids, same order" if mine == reference else f"DIFFERS ({len(mine):,} ids)"))
    table = (tmp / "iambot.txt").read_text()
    counted = re.search(r"([\d]+) identity event\(s\)", " ".join(table.split()))
    rows = sum(1 for line in table.splitlines() if re.match(r"│ (CRITICAL|HIGH|MEDIUM|LOW|INFO) ", line))
    good = counted and int(counted.group(1)) == len(reference) == rows
    notes.append("iambot table: " + (f"{rows:,} rows, as many" if good else f"DIFFERS ({rows:,} rows)"))
    with sqlite3.connect(tmp / "triage.db") as conn:
        stored = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    notes.append("iambot --db: " + ("all stored" if stored == len(set(reference)) else f"DIFFERS ({stored:,} stored)"))
    for name, file in (("duckdb", "duck.jsonl"), ("python", "py.jsonl")):
        theirs = ids(tmp / file)
        same = Counter(theirs) == Counter(reference)
        notes.append(f"{name}: " + ("same ids" if same else f"DIFFERS ({len(theirs):,} ids)"))
    return notes


def run(records: int, rounds: int, tmp: Path, row: Any) -> dict[str, Spread]:
    folder, info = dataset(records)
    shape = info["shape"]
    print(
        f"  {info['records']:,} records in {info['files']:,} files, {info['bytes'] / 1e9:.2f} GB JSON "
        f"({info['gz_bytes'] / 1e6:.0f} MB gzipped): {info['identity'] / info['records']:.1%} identity events, "
        f"mean {shape['mean_bytes']:.0f} B a record, nesting {shape['mean_depth']:.1f} (max {shape['max_depth']}), "
        f"{shape['assumed_role']:.0%} assumed-role callers, {shape['response_elements']:.0%} with responseElements, "
        f"{shape['errors']:.1%} errors, {shape['regions']} regions, IAM in {', '.join(shape['iam_regions'])} only",
        flush=True,
    )
    files = file_list(folder, tmp / "files.list")
    group = contenders(folder, tmp, len(files))
    interleaved(group, rounds, f"{records // 1000}k ")
    by_name = {c.name: c for c in group}
    times = {c.name: c.seconds() for c in group}
    for note in check(tmp):
        print(f"  check: {note}", flush=True)
        if "DIFFERS" in note:
            row(f"output check at {records:,}", note, "", "same ids as jq")
    jq, duck = times["jq (bare filter)"].median, times["duckdb read_json_auto"].median
    zcat1, zcat2 = times["zcat ×1"].median, times["zcat ×2"].median
    cpu = {c.name: c.cpu().median for c in group}
    jq_cpu, duck_cpu = cpu["jq (bare filter)"], cpu["duckdb read_json_auto"]
    for name in ("iambot json", "iambot table", "iambot json --db"):
        t = times[name]
        row(
            f"triage {records:,} records: {name}",
            f"{t.show()} · CPU {cpu[name]:.1f} s · RSS {by_name[name].rss().show('MB', 0)}",
            f"{jq / t.median:.1f}× jq, {duck / t.median:.2f}× DuckDB, {t.median / zcat2:.2f}× zcat×2 "
            f"(CPU: {jq_cpu / cpu[name]:.1f}× jq's, {duck_cpu / cpu[name]:.2f}× DuckDB's)",
            "≥ 8× jq, > 1× DuckDB" if "--db" not in name else "",
        )
    for name in ("jq (bare filter)", "duckdb read_json_auto", "python zlib+orjson ×2", "zcat ×1", "zcat ×2"):
        rss = by_name[name].rss().show("MB", 0)
        row(f"  peer: {name}", f"{times[name].show()} · CPU {cpu[name]:.1f} s · RSS {rss}")
    row(f"  zcat ×1 / ×2 at {records:,}", f"{zcat1:.2f} s / {zcat2:.2f} s")
    return times


def memory(sizes: list[int], rounds: int, tmp: Path, row: Any) -> None:
    """Process-tree peak RSS of both formats as the input grows."""
    peaks: dict[str, list[str]] = {"iambot json": [], "iambot table": []}
    for n in sizes:
        folder, _ = dataset(n)
        group = contenders(folder, tmp, 0, with_peers=False)
        interleaved(group, rounds, f"{n // 1000}k ")
        for c in group:
            peaks[c.name].append(f"{c.rss().median:.0f} MB at {n // 1000:,}k")
    for name, values in peaks.items():
        row(f"{name}: process-tree peak RSS", " · ".join(values), "", "flat as input grows")
