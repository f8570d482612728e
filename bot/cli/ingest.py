"""`iambot ingest`: CloudTrail files (a folder, a file, or s3://bucket/prefix) into the store."""

from __future__ import annotations

import click

from bot.cli.common import explained, fail, settings_or_fail


@click.command()
@click.argument("target")
def ingest(target: str) -> None:
    """Read CloudTrail log files (a folder, a file, or s3://bucket/prefix) into the store and post
    what is new. Files already read are skipped; events older than backfill_hours (24 by default)
    are stored and counted in the next digest instead of being posted one by one. Without Slack
    settings the messages wait in the outbox, and `iambot run` posts them once a channel is set."""
    from botocore.exceptions import BotoCoreError, ClientError

    from bot.catalog import load as load_catalog
    from bot.events import UnreadableInput
    from bot.runtime.wiring import build
    from bot.sources import Deps
    from bot.sources.files import FilesSource

    settings = settings_or_fail()
    with explained():
        runtime = build(settings, post_now=False)
    store = runtime.store
    deps = Deps(runtime.aws, runtime.workflow.intake, store, load_catalog().selection())
    try:
        stats = FilesSource(target, deps).ingest()
    except (UnreadableInput, ValueError) as exc:
        fail(str(exc))
    except (ClientError, BotoCoreError) as exc:  # no credentials, no bucket, access denied
        fail(f"could not read {target}: {exc}")
    for r in stats.rejected:
        click.echo(f"iambot: skipped {r.where}: {r.reason}", err=True)
    posted = 0
    while settings.slack_bot_token:  # everything new goes out now, in batches
        sent = runtime.poster.flush()
        posted += sent.posted
        if not sent.posted and not sent.updated:
            break
    waiting, _ = store.outbox.backlog(runtime.poster.clock())
    unrouted = len(store.alerts.unrouted())
    dispositions = store.alerts.dispositions()
    click.echo(
        f"Read {stats.objects} file(s) ({stats.skipped} already read): {stats.read.records} record(s), "
        f"{stats.read.kept} identity event(s), {stats.new} new. Posted {posted} message(s)"
        + ("" if settings.slack_bot_token else f"; {waiting} wait in the outbox for `iambot run` (no SLACK_BOT_TOKEN)")
        + (f"; {unrouted} wait for a channel (IAMBOT_ALERT_CHANNEL or routes)" if unrouted else "")
        + ". All alerts so far: "
        + ", ".join(f"{n} {k}" for k, n in sorted(dispositions.items()))
        + "."
    )
    store.close()
