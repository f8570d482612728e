"""The ``iambot`` command. Heavy imports happen inside commands so ``iambot --help`` stays fast.

Every mistake a person can make (a missing path, a bad setting, an unusable database, a
token Slack refuses) ends in one line naming the cause and exit status 2 — never a traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from bot.cli.common import explained, fail, settings_or_fail, tolerant
from bot.cli.db import db
from bot.cli.hunt import hunt
from bot.cli.ingest import ingest
from bot.cli.triage import triage

log = logging.getLogger(__name__)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="iambot")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """iambot: explains AWS identity events from CloudTrail, scores their risk, and remediates after approval."""
    tolerant(sys.stdout, sys.stderr)
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


@cli.command()
@click.argument("event_name")
def explain(event_name: str) -> None:
    """Print what iambot knows about an event name (e.g. UpdateAccessKey, or sso:CreatePermissionSet)."""
    from bot.catalog import load
    from bot.catalog.explain import explain_text
    from remediations import registry

    service, _, name = event_name.rpartition(":")
    entries = [e for e in load().find(name) if not service or e.source.split(".")[0] == service.lower()]
    if not entries:
        fail(f"no catalog entry for {event_name[:80]!r}; other events of the covered services get a generic alert")
    click.echo("\n\n".join(explain_text(e, registry.titles()) for e in entries))


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("iambot-demo"),
              show_default=True, help="Folder for what the demo uploads to Slack: the digest's chart.")  # fmt: skip
def demo(out: Path) -> None:
    """Play the whole product on embedded defaults: no Slack workspace or AWS account needed."""
    from bot.cli.demo import run_demo

    run_demo(out=out)


@cli.command()
@click.option("--socket-mode", "mode", flag_value="socket", help="Connect out to Slack (needs SLACK_APP_TOKEN).")
@click.option("--http", "mode", flag_value="http", help="Serve POST /slack/events and GET /healthz on PORT.")
def run(mode: str | None) -> None:
    """Run the bot: the Slack app, the configured sources and the scheduled jobs.

    Socket Mode when SLACK_APP_TOKEN is set (or --socket-mode), otherwise HTTP on PORT. Checks the
    configuration, the database and the Slack token first, and names what is wrong (exit 2)."""
    settings = settings_or_fail()
    mode = mode or ("http" if settings.http_mode else "socket")
    missing = settings.missing_for_slack()
    if mode == "socket" and settings.slack_app_token is None:
        missing.append("SLACK_APP_TOKEN (Socket Mode)")
    if mode == "http" and settings.slack_signing_secret is None and not any("SIGNING" in m for m in missing):
        missing.append("SLACK_SIGNING_SECRET (HTTP mode)")
    if missing:
        fail("cannot start, missing configuration:\n  " + "\n  ".join(missing) + "\nSee README: Connecting Slack.")
    from bot.runtime import logs
    from bot.runtime.replicas import replica_name
    from bot.runtime.run import run as run_bot

    logs.configure(settings.secrets(), min(logging.getLogger().level, logging.INFO), replica_name())
    with explained():
        run_bot(settings, socket_mode=mode == "socket")


@cli.command()
@click.option("--url", help="Public https:// base URL for HTTP mode; without it the app uses Socket Mode.")
@click.option("--name", default="iambot", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def manifest(url: str | None, name: str, fmt: str) -> None:
    """Print the Slack app manifest with exactly the scopes and settings iambot uses (files:write
    only with digest_chart, the default)."""
    from bot.slack.manifest import dump
    from bot.slack.manifest import manifest as build

    charts = settings_or_fail().digest_chart
    try:
        click.echo(dump(build(url, name, charts), fmt), nl=False)
    except ValueError as exc:
        fail(str(exc))


@cli.command()
@click.option("--hunt", "hunt_only", is_flag=True, help="Only what `iambot hunt` needs (hunt_table or hunt_lake).")
def policy(hunt_only: bool) -> None:
    """Print the least-privilege IAM policy for what is configured (remediations, sources, reads)."""
    import orjson

    from bot.aws.policy import policy as build

    settings = settings_or_fail()
    if hunt_only and not (settings.hunt_table or settings.hunt_lake):
        fail("set hunt_table (and hunt_workgroup, hunt_output) or hunt_lake in iambot.toml for `policy --hunt`")
    click.echo(orjson.dumps(build(settings, hunt=hunt_only), option=orjson.OPT_INDENT_2).decode())


@cli.command("template")
@click.option("--forwarder", is_flag=True, help="The stack for other regions: forwards their events to us-east-1.")
@click.option("--org", is_flag=True, help="The central stack of an Organization: a bus its accounts put events on.")
@click.option(
    "--org-member", is_flag=True, help="The StackSet for every member account and region of the Organization."
)
@click.option("--ecs", is_flag=True, help="The main stack, with iambot running on it as an ECS Fargate service.")
@click.option("--eks-oidc-issuer", metavar="ISSUER", help="IRSA: the role trusts this EKS cluster's OIDC issuer.")
@click.option("--service-account", default="iambot/iambot", show_default=True, metavar="NAMESPACE/NAME",
              help="IRSA: the Kubernetes ServiceAccount the role trusts.")  # fmt: skip
def template_cmd(
    forwarder: bool, org: bool, org_member: bool, ecs: bool, eks_oidc_issuer: str | None, service_account: str
) -> None:
    """Print a CloudFormation template (JSON). Without an option: EventBridge rules → SQS queue with a
    dead-letter queue, and iambot's role with the policy of `iambot policy`; deploy it in us-east-1."""
    import orjson

    from bot.aws import ecs as ecs_template
    from bot.aws import org as org_template
    from bot.aws import template

    chosen = [name for name, on in (("--forwarder", forwarder), ("--org", org), ("--org-member", org_member),
                                    ("--ecs", ecs)) if on]  # fmt: skip
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {', '.join(chosen)}")
    trust = None
    if eks_oidc_issuer is not None:
        if chosen:
            raise click.UsageError(f"--eks-oidc-issuer is for the main stack, not {chosen[0]}")
        try:
            trust = template.irsa_trust(eks_oidc_issuer, service_account)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--eks-oidc-issuer / --service-account") from None
    if forwarder:
        doc = template.forwarder()
    elif org:
        doc = org_template.central(settings_or_fail())
    elif org_member:
        doc = org_template.member(settings_or_fail())
    elif ecs:
        doc = ecs_template.ecs(settings_or_fail())
    else:
        doc = template.template(settings_or_fail(), trust)
    click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())


@cli.command("secret-key")
def secret_key() -> None:
    """Print a new IAMBOT_SECRET_KEY: the key approvers' TOTP secrets are encrypted with (step-up).
    Keep it with your other secrets; without it the enrolled devices cannot be read."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


@cli.command("mfa-reset")
@click.argument("user_id")
def mfa_reset(user_id: str) -> None:
    """Remove an approver's authenticator (a lost phone): they enrol again with /iam mfa-enroll.
    Needs the database (IAMBOT_DB), not Slack; audited as done from the command line."""
    from bot.store import Store

    settings = settings_or_fail()
    if not (user_id.isascii() and user_id.isalnum() and 2 <= len(user_id) <= 24):
        fail(f"{user_id[:40]!r} is not a Slack user id like U0123ABCD")
    with explained():
        store = Store(settings.db, busy_seconds=settings.db_busy_seconds)
        try:
            with store.unit():
                removed = store.mfa.remove(user_id)
                store.audit.add("mfa-reset", "cli", detail=f"{user_id}: {'removed' if removed else 'none enrolled'}")
        finally:
            store.close()
    said = "device removed; they enrol again with /iam mfa-enroll" if removed else "no device enrolled"
    click.echo(f"{user_id}: {said}")


cli.add_command(triage)
cli.add_command(ingest)
cli.add_command(db)
cli.add_command(hunt)


def main() -> None:
    try:
        cli(prog_name="iambot")
    except KeyboardInterrupt:  # pragma: no cover - a person pressing Ctrl-C
        sys.exit(130)


__all__ = ["cli", "main"]
