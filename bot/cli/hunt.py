"""`iambot hunt`: ask Athena (or CloudTrail Lake) for the identity events of an Organization's
history, and explain them as `iambot triage` does."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import orjson

from bot.cli.common import fail
from bot.cli.triage import BATCH, SEVERITY_CHOICES, Output, _explained, _settings

PARTITIONS = ["auto", "timestamp", "ymd", "none"]


@click.command()
@click.option("--athena-table", metavar="DB.TABLE", help="Athena's CloudTrail table (default: hunt_table).")
@click.option("--lake", metavar="EVENT_DATA_STORE", help="A CloudTrail Lake event data store (ARN or id) instead.")
@click.option("--workgroup", metavar="NAME", help="Athena workgroup (default: hunt_workgroup, primary).")
@click.option("--output", "output", metavar="s3://…", help="Query results location, where the workgroup has none.")
@click.option("--partition", type=click.Choice(PARTITIONS), default="auto", show_default=True,
              help="How the table is partitioned: auto reads it from Glue; timestamp is the docs' projection "
                   "('yyyy/MM/dd'); ymd is year/month/day; none scans every partition.")  # fmt: skip
@click.option("--since", metavar="SPAN", help="How far back: 90d, 12h, 30m.")
@click.option("--from", "start", metavar="WHEN", help="Start: a date (UTC day) or an ISO time.")
@click.option("--to", "end", metavar="WHEN", help="End (default now): a date (its whole day) or an ISO time.")
@click.option("--actor", metavar="ARN-GLOB", help="The actor's ARN (or its role's), * and ? as wildcards.")
@click.option("--access-key", metavar="AKIA…", help="Calls made with this access key id.")
@click.option("--source-ip", metavar="CIDR", help="Calls from this address or network.")
@click.option("--event", "events", multiple=True, metavar="NAME", help="This event name (repeatable).")
@click.option("--account", "accounts", multiple=True, metavar="ID", help="This account id (repeatable).")
@click.option("--severity", type=click.Choice(SEVERITY_CHOICES), default="info", show_default=True,
              help="Show (and post) only alerts at or above this, after assessment.")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--dry-run", is_flag=True, help="Print the query and run nothing.")
@click.option("--post", is_flag=True, help="Send what was found (at or above --severity) to Slack as one message.")
@click.option("--db", type=click.Path(path_type=Path), help="Also store the events in this SQLite file.")
def hunt(
    athena_table: str | None,
    lake: str | None,
    workgroup: str | None,
    output: str | None,
    partition: str,
    since: str | None,
    start: str | None,
    end: str | None,
    actor: str | None,
    access_key: str | None,
    source_ip: str | None,
    events: tuple[str, ...],
    accounts: tuple[str, ...],
    severity: str,
    fmt: str,
    dry_run: bool,
    post: bool,
    db: Path | None,
) -> None:
    """Hunt an Organization's CloudTrail history where it lives: Athena's CloudTrail table or a
    CloudTrail Lake event data store. The query asks for the sources iambot explains (STS by name,
    the root user anywhere) in the window, pushed down to the table's date partitions; each row is
    explained and scored as `iambot triage` does. Exit status 2 when the query cannot run."""
    from bot.hunt.query import HuntError, filters, window

    settings = _settings()
    try:
        f = filters(actor, access_key, source_ip, events, accounts)
        span = window(since, start, end, datetime.now(UTC))
        plan = _plan(settings, athena_table, lake, workgroup, output, partition, f, span, dry_run)
    except HuntError as exc:
        fail(str(exc))
    if dry_run:
        click.echo(plan["sql"])
        return
    try:
        _run(settings, plan, f, severity, fmt, post, db)
    except HuntError as exc:
        fail(str(exc))


def _plan(
    settings: Any,
    athena_table: str | None,
    lake: str | None,
    workgroup: str | None,
    output: str | None,
    partition: str,
    f: Any,
    span: Any,
    dry_run: bool,
) -> dict[str, Any]:
    """The engine and the query: what --dry-run prints, and what runs."""
    from bot.catalog import load as load_catalog
    from bot.hunt.query import HuntError, output_location, table_name, workgroup_name
    from bot.hunt.sql import Layout, athena_sql, lake_sql

    selection = load_catalog().selection()
    lake = lake or (settings.hunt_lake if athena_table is None else None)
    athena_table = athena_table or (settings.hunt_table if lake is None else None)
    if lake and athena_table:
        raise HuntError("choose --athena-table or --lake, not both")
    question = _question(f, span)
    if lake:
        from bot.hunt.lake import store_id

        return {"engine": "lake", "store": lake, "sql": lake_sql(store_id(lake), selection, f, span), "q": question}
    if not athena_table:
        raise HuntError("say where to hunt: --athena-table DB.TABLE (or hunt_table), or --lake EVENT_DATA_STORE")
    table = table_name(athena_table)
    group = workgroup_name(workgroup or settings.hunt_workgroup)
    where = output_location(output or settings.hunt_output)
    plan: dict[str, Any] = {"engine": "athena", "table": table, "workgroup": group, "output": where, "q": question}
    forced = {
        "timestamp": Layout(),
        "ymd": Layout(date_key=None, ymd=True),
        "none": Layout(date_key=None),
    }
    if partition in forced or dry_run:
        layout = forced.get(partition, Layout())  # a dry run reads nothing: the docs' table is assumed
    else:
        engine = _athena(settings, group, where)
        layout = engine.layout(*table)
        plan["athena"] = engine
    plan["sql"] = athena_sql(table, layout, selection, f, span)
    return plan


def _question(f: Any, span: Any) -> str:
    asked = [
        f"{label} {value}"
        for label, value in (
            ("actor", f.actor),
            ("access key", f.access_key),
            ("from", f.source_ip),
            ("event", ", ".join(f.events)),
            ("account", ", ".join(f.accounts)),
        )
        if value
    ]
    when = f"{span.start:%Y-%m-%d %H:%M} – {span.end:%Y-%m-%d %H:%M} UTC"
    return ", ".join([*asked, when])


def _athena(settings: Any, workgroup: str, output: str | None) -> Any:
    from bot.hunt.athena import Athena
    from remediations.aws import Aws

    aws = Aws.from_settings(settings)
    return Athena(aws.client("athena"), aws.client("glue"), workgroup, output)


def _engine(settings: Any, plan: dict[str, Any]) -> Any:
    if plan["engine"] == "lake":
        from bot.hunt.lake import Lake
        from remediations.aws import Aws

        return Lake(Aws.from_settings(settings).client("cloudtrail"), plan["store"])
    return plan.get("athena") or _athena(settings, plan["workgroup"], plan["output"])


def _run(settings: Any, plan: dict[str, Any], f: Any, severity: str, fmt: str, post: bool, db: Path | None) -> None:
    from bot.catalog import SEVERITIES
    from bot.cli.parallel import make_worker
    from bot.events import ReadStats, Rejected
    from bot.hunt.query import hunted
    from bot.workflow.hunts import HuntSummary

    store = None
    if db is not None:
        from bot.store import Store

        with _explained(db):
            store = Store(db)
    floor = SEVERITIES.index(severity)
    out = Output(fmt, sys.stdout.buffer, store, settings, floor)
    engine = _engine(settings, plan)
    stats = ReadStats()
    summary = HuntSummary(plan["q"], max(severity, settings.min_severity, key=SEVERITIES.index))
    layout = out.plain.layout if out.plain is not None else None
    history = store.events if store is not None else None
    worker = make_worker(tuple(settings.self_arns), tuple(settings.automation_arns), floor, fmt, layout, history)
    origin = "Athena" if plan["engine"] == "athena" else "CloudTrail Lake"
    with _explained(db):
        for item in hunted(engine.records(plan["sql"]), origin.lower().replace(" ", "-"), _selection(), f, stats):
            if isinstance(item, Rejected):
                out.reject(item)
                continue
            alert = worker.assessor(item)
            if SEVERITIES.index(alert.severity) < floor:
                continue
            summary.add(alert)
            out.batch.append(alert)
            if fmt == "json":
                out.out.write(orjson.dumps(alert.as_json()) + b"\n")
            else:
                out.add_row(worker.drawn(alert))
            if len(out.batch) >= BATCH:
                out._flush()
        out._flush()
        scan = engine.scan
        summary.scan = f"{origin} query {scan.query_id}: {scan.rows} row(s), {scan.summary()}."
        out.finish(stats, db, f"{origin} query {scan.query_id}")
    click.echo(summary.scan, err=fmt == "json")
    sys.stdout.flush()
    if post:
        _post(settings, scan.query_id, summary)


def _selection() -> Any:
    from bot.catalog import load as load_catalog

    return load_catalog().selection()


def _post(settings: Any, query_id: str, summary: Any) -> None:
    """The summary in the outbox, sent now when Slack is configured (as `iambot ingest` does)."""
    from bot.cli.common import explained
    from bot.runtime.wiring import build
    from bot.store import now
    from bot.workflow.hunts import queue_hunt

    with explained():
        runtime = build(settings, post_now=False)
    try:
        queued = queue_hunt(runtime.store, settings.alert_channel or "", query_id, summary, now())
        if not queued:
            click.echo(f"iambot: nothing at or above {summary.floor} to post", err=True)
            return
        if settings.slack_bot_token and settings.alert_channel:
            runtime.poster.flush()
            click.echo(f"Posted the hunt's summary to {settings.alert_channel}.", err=True)
        else:
            click.echo("The hunt's summary waits in the outbox for `iambot run` (no Slack token or channel).", err=True)
    finally:
        runtime.store.close()
