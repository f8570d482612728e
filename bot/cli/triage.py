"""`iambot triage`: explain and score the identity events in CloudTrail files or folders."""

from __future__ import annotations

import itertools
import operator
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
import orjson

from bot.cli.common import fail, input_files, is_utf8
from bot.cli.spool import Spool, Writer

if TYPE_CHECKING:
    from rich.console import Console

    from bot.assess import Alert
    from bot.assess.sequences import Found, Step
    from bot.cli.console import PlainTable, TableRow
    from bot.cli.parallel import Drawn, FileResult, Rows, Steps
    from bot.config.settings import Settings
    from bot.events import ReadStats, Rejected

SEVERITY_CHOICES = ["info", "low", "medium", "high", "critical"]
PROGRESS_BYTES = 5_000_000  # a progress bar when the input is larger than this (and stderr is a terminal)
BATCH = 500


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--db", type=click.Path(path_type=Path), help="Also store the events in this SQLite file.")
@click.option("--min-severity", type=click.Choice(SEVERITY_CHOICES), default="info", show_default=True)
def triage(paths: tuple[Path, ...], fmt: str, db: Path | None, min_severity: str) -> None:
    """Explain and score the identity events in CloudTrail files or folders (- for standard input).

    Reads single records, S3 deliveries ({"Records": [...]}, .json.gz too), JSON arrays, JSON
    Lines and EventBridge envelopes. Exit status: 0 when the input was read (bad records are
    reported and skipped), 2 when a path cannot be read.
    """
    from bot.catalog import SEVERITIES
    from bot.cli import parallel
    from bot.events import ReadStats

    settings = _settings()
    store = None
    if db is not None:
        from bot.store import Store

        with _explained(db):
            store = Store(db)
    floor = SEVERITIES.index(min_severity)
    stats = ReadStats()
    files, unreadable = input_files(paths)
    out = Output(fmt, sys.stdout.buffer, store, settings, floor)
    with _explained(db):
        if store is None and parallel.workers() > 1 and len(files) > 1:
            if fmt == "json":
                parallel.triage_json(
                    files, settings, floor, out.write_bytes, stats, out.reject, unreadable.append, out.sent_steps.append
                )
            else:
                layout = out.plain.layout if out.plain is not None else None
                parallel.triage_files(files, settings, floor, fmt, layout, out.take, stats)
                unreadable.extend(out.unreadable)
        else:
            out.run(files, stats, unreadable)
        out.finish(stats, db)
    for message in unreadable:
        click.echo(f"iambot: {message}", err=True)
    sys.stdout.flush()
    if unreadable:
        raise SystemExit(2)


def _settings() -> Any:
    """The settings, or one line and exit 2 (what `settings_or_fail` does, without importing the
    Slack layer for its errors: triage starts sooner)."""
    from bot.config.settings import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc))


@contextmanager
def _explained(db: Path | None) -> Iterator[None]:
    """Configuration and storage problems as one line and exit 2 (the store only with --db)."""
    from bot.config.settings import ConfigError

    errors: tuple[type[Exception], ...] = (ConfigError,)
    if db is not None:
        from bot.store import StoreError

        errors = (ConfigError, StoreError)
    try:
        yield
    except errors as exc:
        fail(str(exc))


class Output:
    """Where triage's results go: JSON lines as they come, or a table at the end; and the store."""

    def __init__(self, fmt: str, out: IO[bytes], store: Any, settings: Settings, floor: int):
        from bot.catalog import SEVERITIES

        self.fmt, self.out, self.store, self.settings, self.floor = fmt, out, store, settings, floor
        self.plain: PlainTable | None = None
        if fmt == "table":
            from bot.cli.console import PlainTable

            self.plain = PlainTable.of(self.console)
        self.spool = Spool()
        self.rows: list[tuple[int, TableRow]] = []  # (sort key, row), for a console that prints colour
        self.counts: Counter[str] = Counter()
        self.levels = {name: i for i, name in enumerate(SEVERITIES)}
        self.batch: list[Alert] = []
        self.unreadable: list[str] = []
        self.steps: list[Step] = []  # every file's, for the sequence pass after the read
        self.sent_steps: list[Steps] = []  # the workers', as they came: made Steps only for the pass
        self.new = 0

    @cached_property
    def console(self) -> Console:
        """The table's console (JSON lines need none: rich is not imported for them)."""
        from bot.cli.console import make_console

        return make_console()

    def write_bytes(self, data: bytes) -> None:
        self.out.write(data)

    def reject(self, item: Rejected) -> None:
        from bot.slack.text import clean

        click.echo(f"iambot: skipped {clean(str(item), 500)}", err=True)
        if self.store is not None:
            self.store.rejected.add([item], source="triage")

    def add_row(self, drawn: Drawn) -> None:
        """One row, drawn in this process."""
        from bot.cli.parallel import row_key

        severity, when, row = drawn
        self.counts[severity] += 1
        key = row_key(self.levels[severity], when)
        if self.plain is None:
            self.rows.append((key, row))  # type: ignore[arg-type]
        else:
            text = row if isinstance(row, str) else self.plain.rich_row(row)
            self.spool.add(key, text.encode("utf-8", "surrogateescape"))

    def add_rows(self, rows: Rows) -> None:
        """One file's rows from a worker process: into the spool at once, but for those left to rich."""
        from bot.catalog import SEVERITIES

        for level, n in Counter(rows.levels).items():
            self.counts[SEVERITIES[level]] += n
        if self.plain is None:  # rich draws every row
            self.rows.extend(zip(rows.keys, rows.rich, strict=True))
            return
        drawn = rows.with_drawn(self.plain.rich_row)
        self.spool.extend(drawn.keys, drawn.sizes, drawn.text)

    def take(self, path: Path, result: FileResult) -> None:
        """One file's result from a worker process."""
        if result.json:
            self.write_bytes(result.json)
        self.add_rows(result.rows)
        for r in result.rejected:
            self.reject(r)
        if result.unreadable:
            self.unreadable.append(result.unreadable)
        self.sent_steps.append(result.steps)

    def _flush(self) -> None:
        if self.store is not None and self.batch:
            from bot.assess import network_of
            from bot.store import dumps

            with self.store.unit():
                for a in self.batch:
                    self.new += self.store.events.add(
                        a.event,
                        severity=a.severity,
                        summary=a.summary,
                        targets=a.targets,
                        is_self=a.risk.is_self,
                        source_net=network_of(a.event.source_ip),
                        raw=dumps(a.event.raw),
                    )
        self.batch.clear()

    def run(self, files: list[Path], stats: ReadStats, unreadable: list[str]) -> None:
        """Triage in this process (one file, one CPU, or --db: the store's history scores later events)."""
        from bot.cli.parallel import json_line, make_worker
        from bot.events import UnreadableInput

        layout = self.plain.layout if self.plain is not None else None
        history = self.store.events if self.store is not None else None
        s = self.settings
        worker = make_worker(tuple(s.self_arns), tuple(s.automation_arns), self.floor, self.fmt, layout, history)
        progress = _progress(files)
        for path in files:
            try:
                for alert in worker.alerts(path, stats, self.reject):
                    self.batch.append(alert)
                    if self.fmt == "json":
                        self.out.write(json_line(alert))
                    else:
                        self.add_row(worker.drawn(alert))
                    if len(self.batch) >= BATCH:
                        self._flush()
            except UnreadableInput as exc:
                unreadable.append(str(exc))
            if progress is not None:
                progress.advance(path)
        self.steps.extend(worker.steps)
        self._flush()
        if progress is not None:
            progress.stop()

    def sequences(self) -> list[Found]:
        """The sequences across the whole input, in time order (the files were read apart); an
        enumeration by a principal that enumerated earlier in the input is not shown again."""
        from bot.assess.sequences import SEVERITY, Thresholds, find

        if self.levels[SEVERITY] < self.floor:
            return []
        steps = itertools.chain(self.steps, *self.sent_steps)
        return [f for f in find(steps, Thresholds.of(self.settings)) if not f.seen_before]

    def _print_spool(self, plain: PlainTable) -> list[Found]:
        """The spooled table, and the sequences, found meanwhile. Where the console writes UTF-8
        to the output, the rows' UTF-8 goes there as it is (decoding and encoding again cost a
        third of the table's printing), from a thread: writing is the kernel's work, which leaves
        this thread free to gather the next rows and find the sequences."""
        file = self.console.file
        rule = plain.rule.encode("utf-8", "surrogateescape")
        file.write(plain.head)
        if getattr(file, "buffer", None) is self.out and is_utf8(getattr(file, "encoding", None)):
            file.flush()  # what the console wrote goes first
            with Writer(self.out) as writer:
                for data in self.spool.sorted(between=rule):
                    writer.write(data)
                found = self.sequences()
        else:
            for data in self.spool.sorted(between=rule):
                file.write(data.decode("utf-8", "surrogateescape"))
            found = self.sequences()
        file.write(plain.foot)
        self.spool.close()
        return found

    def finish(self, stats: ReadStats, db: Path | None, origin: str | None = None) -> None:
        from bot.catalog import SEVERITIES

        plain = self.plain if self.spool else None  # a plain table, of rows drawn already
        found = self._print_spool(plain) if plain is not None else self.sequences()
        self.steps, self.sent_steps = [], []
        if self.fmt == "json":
            for sequence in found:
                self.out.write(orjson.dumps(sequence.as_json()) + b"\n")
        if self.fmt == "table":
            from bot.cli.console import table_of

            console = self.console
            if self.rows:  # for rich to draw (plain or not, one of the two is empty)
                self.rows.sort(key=operator.itemgetter(0))  # list.sort is stable
                console.print(table_of(row for _, row in self.rows))
            if found:
                from bot.assess.sequences import SEVERITY
                from bot.slack.text import clean

                for sequence in found:
                    said = clean(f"Sequence ({SEVERITY}): {sequence.title}. {sequence.summary}", 3000)
                    console.print(said, markup=False, highlight=False, soft_wrap=True)
            shown = ", ".join(f"{self.counts[s]} {s}" for s in reversed(SEVERITIES) if self.counts[s]) or "none"
            console.print(
                f"{stats.kept} identity event(s) in {stats.records} record(s) from "
                f"{origin or f'{stats.files} file(s)'}: {shown}. "
                f"Skipped {stats.skipped} record(s) of other services, rejected {stats.rejected}."
                + (f" {len(found)} sequence(s) across events of one principal." if found else "")
                + (f" Stored {self.new} new event(s) in {db}." if self.store is not None else "")
            )
        elif self.store is not None:
            click.echo(f"iambot: stored {self.new} new event(s) in {db}", err=True)


class _Progress:
    def __init__(self, sizes: dict[Path, int]):
        from rich.progress import Progress

        from bot.cli.console import make_console

        self.sizes = sizes
        self.bar = Progress(transient=True, console=make_console(stderr=True))
        self.task = self.bar.add_task("triage", total=sum(sizes.values()))
        self.bar.start()

    def advance(self, path: Path) -> None:
        self.bar.advance(self.task, self.sizes.get(path, 0))

    def stop(self) -> None:
        self.bar.stop()


def _progress(files: list[Path]) -> _Progress | None:
    if not sys.stderr.isatty():
        return None
    try:
        sizes = {p: p.stat().st_size for p in files}
    except OSError:
        return None
    return _Progress(sizes) if sum(sizes.values()) > PROGRESS_BYTES else None
