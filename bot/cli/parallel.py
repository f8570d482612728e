"""Triage across processes: CloudTrail files are independent, and reading them is CPU-bound, so
`iambot triage` reads them on every CPU this process may use (its affinity, which container
limits and taskset set) and hands the results back in file order: JSON lines, or the table's
rows already drawn (the parent only sorts them).

Each worker reads with the fast reader (:mod:`bot.events.fast`) and sends back only what is
printed, so the parent's memory does not grow with the input. What crosses between the processes
is a few arrays a file (:class:`Rows`, :class:`Steps`), not an object an event: pickling objects
one by one, datetimes above all, cost the parent and the workers more than drawing the rows.
"""

from __future__ import annotations

import contextlib
import gc
import os
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import astuple, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

try:  # pragma: no cover - POSIX only
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

from bot.assess import Alert, Assessor, History, RiskContext
from bot.assess.sequences import KINDS, Step, step_of
from bot.catalog import SEVERITIES
from bot.catalog import load as load_catalog
from bot.cli.rows import Drawer, TableRow
from bot.events import ReadStats, Rejected, Selection, UnreadableInput
from bot.events.fast import fast_read_file

if TYPE_CHECKING:
    from bot.config.settings import Settings

Drawn = tuple[str, datetime, str | TableRow]  # severity, event time, the row drawn (or left to rich)
Layout = tuple[list[int], list[str]] | None  # the table's column widths and bars; None: rows for rich
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LEVELS = {name: i for i, name in enumerate(SEVERITIES)}
_KINDS = {kind: i for i, kind in enumerate(KINDS)}


def micros(when: datetime) -> int:
    """An aware time as whole microseconds since 1970: exact, and in the same order."""
    return (when - _EPOCH) // _MICROSECOND


def row_key(level: int, when: datetime) -> int:
    """The table's order as one 64-bit integer: the higher severity first, then the earlier time."""
    return key_at(level, micros(when))


def key_at(level: int, at: int) -> int:
    """:func:`row_key` of a time in µs since 1970 (moved up by 2**58, every year from 1 to 9999
    fits in 59 bits)."""
    return ((len(SEVERITIES) - 1 - level) << 59) + at + (1 << 58)


def _int64s() -> array[int]:
    return array("q")


@dataclass
class Rows:
    """One file's table rows, in file order: each row's severity (its index in SEVERITIES), sort
    key (:func:`row_key`) and size in bytes, and their text in one UTF-8 blob. A row left to rich
    (it has characters that are not one cell wide, or the console prints colour) has size 0 and is
    sent as its :class:`TableRow`, in ``rich``, for the parent's console to draw."""

    levels: bytearray = field(default_factory=bytearray)
    keys: array[int] = field(default_factory=_int64s)
    sizes: array[int] = field(default_factory=_int64s)
    text: bytes = b""
    rich: list[TableRow] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)  # the text while the rows are added

    def add(self, level: int, at: int, row: str | TableRow) -> None:
        """A row of an event at ``at`` µs since 1970: its text, encoded (once: its size is its
        encoding's, and a table's rows are rarely ASCII), joined in :meth:`close`."""
        self.levels.append(level)
        self.keys.append(key_at(level, at))
        if isinstance(row, str):
            data = row.encode("utf-8", "surrogateescape")
            self.parts.append(data)
            self.sizes.append(len(data))
        else:
            self.rich.append(row)
            self.sizes.append(0)

    def close(self) -> Rows:
        """The rows ready to send: their text joined."""
        self.text, self.parts = self.text + b"".join(self.parts), []
        return self

    def with_drawn(self, draw: Callable[[TableRow], str]) -> Rows:
        """These rows with those left to rich drawn by ``draw`` (in the parent, where the console is)."""
        if not self.rich:
            return self
        pieces, offset, rich = [], 0, iter(self.rich)
        for size in self.sizes:
            piece = self.text[offset : offset + size] if size else draw(next(rich)).encode("utf-8", "surrogateescape")
            pieces.append(piece)
            offset += size
        return Rows(self.levels, self.keys, array("q", map(len, pieces)), b"".join(pieces))


@dataclass
class Steps:
    """Sequence steps as columns (kind as its index in KINDS, time as :func:`micros`): what the
    parent's sequence pass needs of each alert, at a small part of a pickled Step's cost."""

    kinds: bytearray = field(default_factory=bytearray)
    principals: list[str] = field(default_factory=list)
    times: array[int] = field(default_factory=_int64s)
    names: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    at_self: bytearray = field(default_factory=bytearray)

    @classmethod
    def of(cls, steps: list[Step]) -> Steps:
        """These steps as columns (a column at a time: one pass of C's loop each)."""
        return cls(
            bytearray([_KINDS[s.kind] for s in steps]),
            [s.principal for s in steps],
            array("q", [(s.at - _EPOCH) // _MICROSECOND for s in steps]),
            [s.name for s in steps],
            [s.key for s in steps],
            bytearray([s.at_self for s in steps]),
        )

    def __len__(self) -> int:
        return len(self.kinds)

    def __iter__(self) -> Iterator[Step]:
        """The steps again (event times are UTC: normalize makes them so)."""
        columns = zip(self.kinds, self.principals, self.times, self.names, self.keys, self.at_self, strict=True)
        for kind, principal, at, name, key, at_self in columns:
            yield Step(KINDS[kind], principal, _EPOCH + at * _MICROSECOND, name, key, bool(at_self))


@dataclass
class FileResult:
    json: bytes = b""
    rows: Rows = field(default_factory=Rows)
    counts: tuple[int, ...] = ()
    rejected: list[Rejected] = field(default_factory=list)
    unreadable: str | None = None
    steps: Steps = field(default_factory=Steps)  # for the sequence pass, in the parent


def json_line(alert: Alert) -> bytes:
    return orjson.dumps(alert.as_json(), option=orjson.OPT_APPEND_NEWLINE)


@dataclass
class Worker:
    """Reads one file: its alerts at or above ``floor``, as JSON lines or as table rows."""

    assessor: Assessor
    selection: Selection
    floor: int
    fmt: str
    layout: Layout = None
    steps: list[Step] = field(default_factory=list)  # every alert's, below the floor too (in this process)

    def __post_init__(self) -> None:
        self.drawer = Drawer(*self.layout) if self.layout is not None else None

    def alerts(self, path: Path, stats: ReadStats, on_reject: Callable[[Rejected], Any]) -> Iterator[Alert]:
        assess, floor, steps = self.assessor, self.floor, self.steps
        for item in fast_read_file(path, stats, self.selection):
            if isinstance(item, Rejected):
                on_reject(item)
                continue
            alert = assess(item)
            risk = alert.risk
            if not risk.is_self and (step := step_of(item, alert.targets)) is not None:
                steps.append(step)
            if _LEVELS[risk.severity] >= floor:
                yield alert

    def row(self, alert: Alert, at: int) -> str | TableRow:
        """The alert's row drawn (``at``: its time in µs since 1970), or for rich to draw."""
        text = self.drawer.draw(alert, at) if self.drawer is not None else None
        return TableRow.of(alert) if text is None else text

    def add_row(self, rows: Rows, alert: Alert) -> None:
        at = (alert.event.event_time - _EPOCH) // _MICROSECOND  # micros(), inline: once a row
        rows.add(_LEVELS[alert.risk.severity], at, self.row(alert, at))

    def drawn(self, alert: Alert) -> Drawn:
        when = alert.event.event_time
        return alert.severity, when, self.row(alert, micros(when))

    def __call__(self, path: Path) -> FileResult:
        stats = ReadStats()
        result = FileResult()
        alerts = self.alerts(path, stats, result.rejected.append)
        try:
            if self.fmt == "json":
                result.json = b"".join([json_line(alert) for alert in alerts])
            else:
                for alert in alerts:
                    self.add_row(result.rows, alert)
        except UnreadableInput as exc:
            result.rows = Rows()
            result.unreadable = str(exc)
            self.steps.clear()
        result.steps = Steps.of(self.steps)
        self.steps.clear()
        result.rows.close()
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


# what the results' pipe holds: a file's JSON is about 180 KB at a quarter identity events, which
# Linux's default 64 KB pipe hands over in pieces, each a wake-up of the worker and of the parent
RESULTS_PIPE = 1 << 20


def widen_results(pool: ProcessPoolExecutor) -> None:
    """The pool's result pipe made :data:`RESULTS_PIPE` long where the platform allows it (Linux;
    up to /proc/sys/fs/pipe-max-size): a wider pipe is all it changes, so any refusal leaves it."""
    setter = getattr(fcntl, "F_SETPIPE_SZ", None)  # None without fcntl too
    reader = getattr(getattr(pool, "_result_queue", None), "_reader", None)  # the executor's own pipe
    if setter is None or reader is None:
        return
    with contextlib.suppress(OSError, ValueError):  # a lower pipe-max-size, or not a pipe
        fcntl.fcntl(reader.fileno(), setter, RESULTS_PIPE)


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
    gc.freeze()  # here too, while the results come: the parent's collections skip the catalog and modules
    try:
        with ProcessPoolExecutor(max_workers=workers(), initializer=_init, initargs=args) as pool:
            widen_results(pool)
            for path, result in zip(files, pool.map(_one, files, chunksize=4), strict=True):
                for f, value in zip(fields(ReadStats), result.counts, strict=True):
                    setattr(stats, f.name, getattr(stats, f.name) + value)
                on_result(path, result)
    finally:
        gc.unfreeze()


def triage_json(
    files: list[Path],
    settings: Settings,
    floor: int,
    write: Callable[[bytes], Any],
    stats: ReadStats,
    on_reject: Callable[[Rejected], Any],
    on_unreadable: Callable[[str], Any],
    on_steps: Callable[[Steps], Any] = lambda steps: None,
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
