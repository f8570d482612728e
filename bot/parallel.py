"""Triage across processes: CloudTrail files are independent, and parsing them is CPU-bound,
so `iambot triage --format json` reads them on every core and writes results in file order."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import astuple, fields
from pathlib import Path
from typing import Any

import orjson

from bot.catalog import SEVERITIES
from bot.events import ReadStats, Rejected, UnreadableInput

_assessor: Any = None
_floor = 0


def _init(self_arns: tuple[str, ...], floor: int) -> None:
    global _assessor, _floor
    from bot.risk import RiskContext
    from bot.triage import Assessor

    _assessor = Assessor(context=RiskContext(self_arns))
    _floor = floor


def _one(path: Path) -> tuple[bytes, tuple[int, ...], list[Rejected], str | None]:
    from bot.triage import triage_files

    stats = ReadStats()
    out: list[bytes] = []
    rejected: list[Rejected] = []
    try:
        for item in triage_files([path], _assessor, stats):
            if isinstance(item, Rejected):
                rejected.append(item)
            elif SEVERITIES.index(item.severity) >= _floor:
                out.append(orjson.dumps(item.as_json()))
    except UnreadableInput as exc:
        return b"", astuple(stats), rejected, str(exc)
    return (b"\n".join(out) + b"\n") if out else b"", astuple(stats), rejected, None


def workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def triage_json(
    files: list[Path],
    self_arns: tuple[str, ...],
    floor: int,
    write: Any,
    stats: ReadStats,
    on_reject: Any,
    on_unreadable: Any,
) -> None:
    """Triage ``files`` on every core; write each file's JSON lines in order."""
    with ProcessPoolExecutor(max_workers=workers(), initializer=_init, initargs=(self_arns, floor)) as pool:
        for data, counts, rejected, unreadable in pool.map(_one, files, chunksize=4):
            if data:
                write(data)
            for f, value in zip(fields(ReadStats), counts, strict=True):
                setattr(stats, f.name, getattr(stats, f.name) + value)
            for r in rejected:
                on_reject(r)
            if unreadable:
                on_unreadable(unreadable)
