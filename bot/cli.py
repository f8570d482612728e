"""The ``iambot`` command. Heavy imports happen inside commands so ``iambot --help`` stays fast."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

log = logging.getLogger(__name__)
PROGRESS_BYTES = 5_000_000  # show a progress bar when the input is larger than this


def fail(message: str, code: int = 2) -> None:
    click.echo(f"iambot: {message}", err=True)
    raise SystemExit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="iambot")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """iambot: explains AWS IAM CloudTrail events, scores their risk, and remediates after approval."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--db", type=click.Path(path_type=Path), help="Also store events in this SQLite file.")
@click.option("--min-severity", type=click.Choice(["info", "low", "medium", "high", "critical"]), default="info")
def triage(paths: tuple[Path, ...], fmt: str, db: Path | None, min_severity: str) -> None:
    """Explain and score the IAM events in CloudTrail files or folders.

    Reads single records, S3 deliveries ({"Records": [...]}, .json.gz too), JSON arrays,
    JSON Lines and EventBridge envelopes. Exit status: 0 when the input was read (bad records
    are reported and skipped), 2 when a path cannot be read.
    """
    import orjson

    from bot.catalog import SEVERITIES
    from bot.config import ConfigError, load_settings
    from bot.events import ReadStats, Rejected, UnreadableInput, iter_files
    from bot.risk import RiskContext
    from bot.triage import Assessor, triage_files

    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    assessor = Assessor(context=RiskContext(tuple(settings.self_arns)))
    floor = SEVERITIES.index(min_severity)
    store = None
    if db is not None:
        from bot.store import Store

        store = Store(db)
    stats = ReadStats()
    alerts: list[Any] = []
    rejected: list[Rejected] = []
    unreadable: list[str] = []
    files: list[Path] = []
    for path in paths:
        try:
            files.extend(iter_files([path]))
        except UnreadableInput as exc:
            unreadable.append(str(exc))
    out = sys.stdout.buffer
    batch: list[Any] = []
    new_count = 0

    def flush() -> None:
        nonlocal new_count
        if store is not None and batch:
            new_count += len(store.add_alerts(batch))
        batch.clear()

    from bot import parallel

    if fmt == "json" and store is None and len(files) > 1 and parallel.workers() > 1:
        # the files are independent: read them on every core, write results in file order
        def reject(item: Rejected) -> None:
            rejected.append(item)
            click.echo(f"iambot: skipped {item}", err=True)

        parallel.triage_json(files, tuple(settings.self_arns), floor, out.write, stats, reject, unreadable.append)
        files = []
    progress = _progress(files) if files else None
    for path in files:
        try:
            for item in triage_files([path], assessor, stats):
                if isinstance(item, Rejected):
                    rejected.append(item)
                    click.echo(f"iambot: skipped {item}", err=True)
                    continue
                if SEVERITIES.index(item.severity) < floor:
                    continue
                batch.append(item)
                if fmt == "json":
                    out.write(orjson.dumps(item.as_json()) + b"\n")
                else:
                    alerts.append(item)
                if len(batch) >= 500:
                    flush()
        except UnreadableInput as exc:
            unreadable.append(str(exc))
        if progress is not None:
            progress.advance(path)
    flush()
    if progress is not None:
        progress.stop()
    if store is not None and rejected:
        store.add_rejected(rejected, source="triage")
    for message in unreadable:
        click.echo(f"iambot: {message}", err=True)
    if fmt == "table":
        from bot.console import make_console, triage_table

        console = make_console()
        if alerts:
            console.print(triage_table(alerts))
        counts = {s: sum(1 for a in alerts if a.severity == s) for s in reversed(SEVERITIES)}
        shown = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
        console.print(
            f"{stats.iam} IAM event(s) in {stats.records} record(s) from {stats.files} file(s): {shown}. "
            f"Skipped {stats.skipped_non_iam} non-IAM record(s), rejected {stats.rejected}."
            + (f" Stored {new_count} new event(s) in {db}." if store is not None else "")
        )
    elif store is not None:
        click.echo(f"iambot: stored {new_count} new event(s) in {db}", err=True)
    sys.stdout.flush()
    if unreadable:
        raise SystemExit(2)


class _Progress:
    def __init__(self, sizes: dict[Path, int]):
        from rich.progress import Progress

        from bot.console import make_console

        self.sizes = sizes
        self.bar = Progress(transient=True, console=make_console(stderr=True))
        self.task = self.bar.add_task("triage", total=sum(self.sizes.values()))
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


@cli.command()
@click.argument("event_name")
def explain(event_name: str) -> None:
    """Print what iambot knows about an IAM event name (e.g. UpdateAccessKey)."""
    from bot.catalog import load
    from remediations import registry

    catalog = load()
    match = next((n for n in catalog.names() if n.lower() == event_name.lower()), None)
    if match is None:
        known = ", ".join(catalog.names())
        fail(f"no catalog entry for {event_name!r}; other IAM events get a generic alert. Known: {known}")
    entry = catalog.get(match)
    click.echo(explain_text(entry, registry.titles()))


def explain_text(entry: Any, titles: dict[str, str]) -> str:
    """The catalog entry as plain text (shared by the CLI and `/iam explain`)."""
    lines = [
        f"{entry.name}: {entry.title}" + ("  [first-class]" if entry.first_class else ""),
        f"Base severity: {entry.base_severity}",
        "",
        "What it means: " + " ".join(entry.meaning.split()),
        "",
        "Why it matters: " + " ".join(entry.why.split()),
        "",
        "ATT&CK: " + (", ".join(entry.attack) if entry.attack else "no direct technique"),
        "Risk factors: " + ", ".join(["root-actor", "console-without-mfa", "failed-call", *entry.factors]),
    ]
    if entry.remediations:
        lines.append("Remediations:")
        for offer in entry.remediations:
            params = ", ".join(f"{k} ← {v}" for k, v in offer.params.items()) or "no parameters"
            when = f" when {', '.join(f'{k} = {v}' for k, v in offer.when.items())}" if offer.when else ""
            lines.append(f"  • {offer.id} ({titles.get(offer.id, offer.id)}): {params}{when}")
    lines.append("Docs: " + "  ".join(entry.docs))
    return "\n".join(lines)


@cli.command()
def demo() -> None:
    """Show iambot on a bundled sample CloudTrail log: no Slack workspace or AWS account needed."""
    from bot.demo import run_demo

    run_demo()


@cli.command()
@click.option("--socket-mode", "mode", flag_value="socket", help="Connect out to Slack (needs SLACK_APP_TOKEN).")
@click.option("--http", "mode", flag_value="http", help="Serve POST /slack/events and GET /healthz on PORT.")
def run(mode: str | None) -> None:
    """Run the bot: the Slack app and the scheduled jobs.

    Socket Mode when SLACK_APP_TOKEN is set (or --socket-mode), otherwise HTTP on PORT
    behind gunicorn. Checks the configuration first and names what is missing."""
    from bot.config import ConfigError, load_settings

    try:
        settings = load_settings()
        if mode is None:
            mode = "http" if settings.http_mode else "socket"
        missing = settings.missing_for_slack()
        if mode == "socket" and settings.slack_app_token is None:
            missing.append("SLACK_APP_TOKEN (Socket Mode)")
        if mode == "http" and settings.slack_signing_secret is None and "SLACK_SIGNING_SECRET" not in str(missing):
            missing.append("SLACK_SIGNING_SECRET (HTTP mode)")
        if missing:
            fail("cannot start, missing configuration:\n  " + "\n  ".join(missing) + "\nSee README: Connecting Slack.")
    except ConfigError as exc:
        fail(str(exc))
    from bot import logs, runner

    logs.configure(settings, min(logging.getLogger().level, logging.INFO))

    try:
        if mode == "socket":
            runner.run_socket_mode(settings)
        else:
            runner.run_http(settings)
    except ConfigError as exc:
        fail(str(exc))


@cli.command()
@click.argument("target")
def ingest(target: str) -> None:
    """Read CloudTrail log files (a folder, a file, or s3://bucket/prefix) into the store and
    post what is new. Files already read are skipped; events older than backfill_hours (24 by
    default) are stored and counted in the next digest instead of being posted one by one.
    Without Slack settings the messages wait in the outbox for `iambot run`."""
    from botocore.exceptions import BotoCoreError, ClientError

    from bot.app import build_service
    from bot.config import ConfigError, load_settings
    from bot.events import UnreadableInput
    from bot.sources import files

    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    _, store, outbox, service = build_service(settings)
    aws = service.aws
    dispositions: dict[str, int] = {}
    new = 0

    def sink(events: list[Any]) -> None:
        nonlocal new
        new += len(service.ingest(events, flush=False))

    try:
        s3 = aws.client("s3") if target.startswith("s3://") else None
        stats = files.ingest(target, store, sink, s3=s3)
    except (UnreadableInput, ValueError) as exc:
        fail(str(exc))
    except (ClientError, BotoCoreError) as exc:  # no credentials, no bucket, access denied
        fail(f"could not read {target}: {exc}")
    for row in store.rows("SELECT disposition, COUNT(*) AS n FROM alerts GROUP BY disposition"):
        dispositions[row["disposition"] or "stored"] = row["n"]
    for r in stats.rejected:
        click.echo(f"iambot: skipped {r.where}: {r.reason}", err=True)
    posted = 0
    token = settings.slack_bot_token
    if token:
        posted = outbox.flush().posted
    click.echo(
        f"Read {stats.objects} file(s) ({stats.skipped} already read): {stats.read.records} record(s), "
        f"{stats.read.iam} IAM, {new} new. Posted {posted} message(s)"
        + ("" if token else f"; {outbox.pending()} wait in the outbox for `iambot run` (no SLACK_BOT_TOKEN)")
        + ". All alerts so far: "
        + ", ".join(f"{n} {k}" for k, n in sorted(dispositions.items()))
        + "."
    )


@cli.command()
@click.option("--url", help="Public https:// base URL for HTTP mode; without it the app uses Socket Mode.")
@click.option("--name", default="iambot", show_default=True)
def manifest(url: str | None, name: str) -> None:
    """Print the Slack app manifest (YAML) with exactly the scopes and settings iambot uses."""
    from bot.manifest import manifest as build

    try:
        click.echo(build(url, name), nl=False)
    except ValueError as exc:
        fail(str(exc))


@cli.command()
def policy() -> None:
    """Print the least-privilege IAM policy iambot needs (enabled remediations + its reads)."""
    import orjson

    from bot.config import ConfigError, load_settings
    from bot.manifest import policy as build

    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    click.echo(orjson.dumps(build(settings), option=orjson.OPT_INDENT_2).decode())


@cli.command("template")
def template_cmd() -> None:
    """Print the CloudFormation template (JSON): EventBridge rule → SQS queue with a dead-letter
    queue, and iambot's role with the policy of `iambot policy`. Deploy it in us-east-1."""
    import orjson

    from bot.config import ConfigError, load_settings
    from bot.template import template

    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc))
    click.echo(orjson.dumps(template(settings), option=orjson.OPT_INDENT_2).decode())


def main() -> None:
    cli(prog_name="iambot")


if __name__ == "__main__":  # pragma: no cover
    main()
