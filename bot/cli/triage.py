"""`iambot triage`: explain and score the identity events in CloudTrail files or folders."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.common import explained, settings_or_fail

SEVERITY_CHOICES = ["info", "low", "medium", "high", "critical"]
PROGRESS_BYTES = 5_000_000  # a progress bar when the input is larger than this (and stderr is a terminal)
BATCH = 500


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--db", type=click.Path(path_type=Path), help="Also store the events in this SQLite file.")
@click.option("--min-severity", type=click.Choice(SEVERITY_CHOICES), default="info", show_default=True)
def triage(paths: tuple[Path, ...], fmt: str, db: Path | None, min_severity: str) -> None:
    """Explain and score the identity events in CloudTrail files or folders.

    Reads single records, S3 deliveries ({"Records": [...]}, .json.gz too), JSON arrays, JSON
    Lines and EventBridge envelopes. Exit status: 0 when the input was read (bad records are
    reported and skipped), 2 when a path cannot be read.
    """
    from bot.catalog import SEVERITIES
    from bot.cli import parallel
    from bot.cli.console import Output
    from bot.events import ReadStats, UnreadableInput, iter_files
    from bot.workflow.intake import make_assessor

    settings = settings_or_fail()
    store = None
    if db is not None:
        from bot.store import Store

        with explained():
            store = Store(db)
    assessor = make_assessor(settings, store)
    floor = SEVERITIES.index(min_severity)
    stats = ReadStats()
    unreadable: list[str] = []
    files: list[Path] = []
    for path in paths:
        try:
            files.extend(iter_files([path]))
        except UnreadableInput as exc:
            unreadable.append(str(exc))
    out = Output(fmt, sys.stdout.buffer, store, settings, floor)
    with explained():
        if fmt == "json" and store is None and parallel.workers() > 1 and len(files) > 1:
            parallel.triage_json(files, settings, floor, out.write_bytes, stats, out.reject, unreadable.append)
        else:
            out.run(files, assessor, stats, unreadable)
        out.finish(stats, db)
    for message in unreadable:
        click.echo(f"iambot: {message}", err=True)
    sys.stdout.flush()
    if unreadable:
        raise SystemExit(2)
