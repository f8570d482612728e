"""Triage across processes: CloudTrail files are independent, and reading them is CPU-bound, so
`iambot triage` reads them on every CPU this process may use (its affinity, which container
limits and taskset set) and hands the results back in file order: JSON lines, or the table's
rows already drawn (the parent only sorts them).

Each worker reads with the fast reader (:mod:`bot.events.fast`) and sends back only what is
printed, so the parent's memory does not grow with the input.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import astuple, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from bot.assess import Alert, Assessor, History, RiskContext
from bot.assess.sequences import Step, step_of
from bot.catalog import SEVERITIES
from bot.catalog import load as load_catalog
from bot.events import ReadStats, Rejected, Selection, UnreadableInput
from bot.events.fast import fast_read_file

if TYPE_CHECKING:  # the table's code (and rich) is imported only when a table is drawn
    from bot.cli.console import TableRow
    from bot.config.settings import Settings

Drawn = tuple[str, datetime, "str | TableRow"]  # severity, event time, the row drawn (or left to rich)
Layout = tuple[list[int], list[str]] | None  # the table's column widths and bars; None: rows for rich


@dataclass
class FileResult:
    json: bytes = b""
    rows: list[Drawn] = field(default_factory=list)
    counts: tuple[int, ...] = ()
    rejected: list[Rejected] = field(default_factory=list)
    unreadable: str | None = None
    steps: list[Step] = field(default_factory=list)  # for the sequence pass, in the parent


@dataclass
class Worker:
    """Reads one file: its alerts at or above ``floor``, as JSON lines or as table rows."""

    assessor: Assessor
    selection: Selection
    floor: int
    fmt: str
    layout: Layout = None
    steps: list[Step] = field(default_factory=list)  # every alert's, below the floor too

    def alerts(self, path: Path, stats: ReadStats, on_reject: Callable[[Rejected], Any]) -> Iterator[Alert]:
        for item in fast_read_file(path, stats, self.selection):
            if isinstance(item, Rejected):
                on_reject(item)
                continue
            alert = self.assessor(item)
            if not alert.risk.is_self and (step := step_of(item, alert.targets)) is not None:
                self.steps.append(step)
            if SEVERITIES.index(alert.severity) >= self.floor:
                yield alert

    def drawn(self, alert: Alert) -> Drawn:
        from bot.cli.console import TableRow, draw_row

        row = TableRow.of(alert)
        text = draw_row(row, *self.layout) if self.layout is not None else None
        return alert.severity, alert.event.event_time, row if text is None else text

    def __call__(self, path: Path) -> FileResult:
        stats = ReadStats()
        result = FileResult()
        lines: list[bytes] = []
        try:
            for alert in self.alerts(path, stats, result.rejected.append):
                if self.fmt == "json":
                    lines.append(orjson.dumps(alert.as_json()))
                else:
                    result.rows.append(self.drawn(alert))
        except UnreadableInput as exc:
            lines.clear()
            result.rows.clear()
            result.unreadable = str(exc)
            self.steps.clear()
        result.steps, self.steps = self.steps, []
        result.json = (b"\n".join(lines) + b"\n") if lines else b""
        result.counts = astuple(stats)
        return result


_worker: Worker | None = None
_made_for: tuple[Any, ...] | None = None


def workers() -> int:
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity
        usable = os.cpu_count() or 1
    return max(1, min(usable, 8))


def make_worker(
    self_arns: tuple[str, ...], automation: tuple[str, ...], floor: int, fmt: str, layout: Layout = None,
    history: History | None = None,
) -> Worker:
    """A reader for these settings; ``history`` (the store's) scores sign-ins against earlier ones."""
    context = RiskContext(self_arns, automation, history=history)
    return Worker(Assessor(context=context), load_catalog().selection(), floor, fmt, layout)


def _build(*args: Any) -> None:
    """The reader of this process (built once in the parent before the pool forks: the catalog is
    not loaded again in every worker where processes fork)."""
    global _worker, _made_for
    if _made_for != args:
        _worker = make_worker(*args)
        _made_for = args


def _init(*args: Any) -> None:
    """A worker process starts: its reader, and the catalog and modules frozen out of the garbage
    collector's walks (about 3% of a worker's time)."""
    _build(*args)
    gc.freeze()


def _one(path: Path) -> FileResult:
    assert _worker is not None
    return _worker(path)


def triage_files(
    files: list[Path],
    settings: Settings,
    floor: int,
    fmt: str,
    layout: Layout,
    on_result: Callable[[Path, FileResult], Any],
    stats: ReadStats,
) -> None:
    """Triage ``files`` on every usable CPU; ``on_result`` gets each file's result in file order."""
    args = (tuple(settings.self_arns), tuple(settings.automation_arns), floor, fmt, layout)
    _build(*args)
    with ProcessPoolExecutor(max_workers=workers(), initializer=_init, initargs=args) as pool:
        for path, result in zip(files, pool.map(_one, files, chunksize=4), strict=True):
            for f, value in zip(fields(ReadStats), result.counts, strict=True):
                setattr(stats, f.name, getattr(stats, f.name) + value)
            on_result(path, result)


def triage_json(
    files: list[Path],
    settings: Settings,
    floor: int,
    write: Callable[[bytes], Any],
    stats: ReadStats,
    on_reject: Callable[[Rejected], Any],
    on_unreadable: Callable[[str], Any],
    on_steps: Callable[[list[Step]], Any] = lambda steps: None,
) -> None:
    """Triage ``files`` on every usable CPU; write each file's JSON lines in order."""

    def each(path: Path, result: FileResult) -> None:
        on_steps(result.steps)
        if result.json:
            write(result.json)
        for r in result.rejected:
            on_reject(r)
        if result.unreadable:
            on_unreadable(result.unreadable)

    triage_files(files, settings, floor, "json", None, each, stats)
