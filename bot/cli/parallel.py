"""Triage across processes: CloudTrail files are independent, and parsing them is CPU-bound, so
`iambot triage --format json` reads them on every CPU this process may use (its affinity, which
container limits and taskset set) and writes the results in file order."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import astuple, fields
from pathlib import Path
from typing import Any

import orjson

from bot.assess import Assessor, RiskContext
from bot.catalog import SEVERITIES
from bot.catalog import load as load_catalog
from bot.events import ReadStats, Rejected, Selection, UnreadableInput, read_file

_assessor: Assessor | None = None
_selection: Selection | None = None
_floor = 0


def workers() -> int:
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity
        usable = os.cpu_count() or 1
    return max(1, min(usable, 8))


def _init(self_arns: tuple[str, ...], automation: tuple[str, ...], floor: int) -> None:
    global _assessor, _selection, _floor
    _assessor = Assessor(context=RiskContext(self_arns, automation))
    _selection = load_catalog().selection()
    _floor = floor


def _one(path: Path) -> tuple[bytes, tuple[int, ...], list[Rejected], str | None]:
    assert _assessor is not None and _selection is not None
    stats = ReadStats()
    out: list[bytes] = []
    rejected: list[Rejected] = []
    try:
        for item in read_file(path, stats, _selection):
            if isinstance(item, Rejected):
                rejected.append(item)
                continue
            alert = _assessor(item)
            if SEVERITIES.index(alert.severity) >= _floor:
                out.append(orjson.dumps(alert.as_json()))
    except UnreadableInput as exc:
        return b"", astuple(stats), rejected, str(exc)
    return (b"\n".join(out) + b"\n") if out else b"", astuple(stats), rejected, None


def triage_json(
    files: list[Path],
    settings: Any,
    floor: int,
    write: Callable[[bytes], Any],
    stats: ReadStats,
    on_reject: Callable[[Rejected], Any],
    on_unreadable: Callable[[str], Any],
) -> None:
    """Triage ``files`` on every usable CPU; write each file's JSON lines in order."""
    args = (tuple(settings.self_arns), tuple(settings.automation_arns), floor)
    with ProcessPoolExecutor(max_workers=workers(), initializer=_init, initargs=args) as pool:
        for data, counts, rejected, unreadable in pool.map(_one, files, chunksize=4):
            if data:
                write(data)
            for f, value in zip(fields(ReadStats), counts, strict=True):
                setattr(stats, f.name, getattr(stats, f.name) + value)
            for r in rejected:
                on_reject(r)
            if unreadable:
                on_unreadable(unreadable)
