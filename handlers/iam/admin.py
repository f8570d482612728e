"""/iam audit, mfa, digest, mute, mutes, unmute."""

from __future__ import annotations

from bot.slack.messages import Message, done
from bot.slack.messages.reports import audit_message, mfa_message, mutes_message
from bot.workflow import Workflow
from bot.workflow.authz import plain_id
from bot.workflow.reports import AUDIT_MOST, account_id
from handlers.iam.base import Usage, number, pairs, subcommand


@subcommand("audit", "audit [n]", "the latest audit log entries")
def audit(wf: Workflow, who: str, args: list[str]) -> Message:
    n = number(args[0], "n", 1, AUDIT_MOST) if args else 15
    return audit_message(wf.reports.audit(n))


@subcommand("mfa", "mfa [account-id]", "users who can sign in without MFA (read-only)", slow=True)
def mfa(wf: Workflow, who: str, args: list[str]) -> Message:
    if len(args) > 1 or (args and not account_id(args[0])):
        raise Usage("/iam mfa [account-id]")
    return mfa_message(wf.reports.mfa(who, args[0] if args else None))


@subcommand("digest", "digest", "post the digest so far (approvers)", slow=True)
def digest(wf: Workflow, who: str, args: list[str]) -> Message:
    d = wf.digests.now(who)
    return done(
        f"Posted the digest to the digest channel: {d.total} identity event(s) since {d.since}. "
        "The scheduled digest still covers the whole period."
    )


def duration(value: str) -> float:
    units = {"m": 1 / 60, "h": 1, "d": 24}
    try:
        hours = float(value[:-1]) * units[value[-1]]
    except (ValueError, KeyError, IndexError) as exc:
        raise Usage("for= takes a duration like 30m, 12h or 7d") from exc
    if not 0 < hours <= 24 * 90:
        raise Usage("a suppression lasts between 1 minute and 90 days")
    return hours


MUTE = '/iam mute [event=…] [actor=…] [target=…] [account=…] for=24h reason="…"'


@subcommand("mute", "mute event=… actor=… target=… account=… for=24h reason=…", "suppress (approvers)", slow=True)
def mute(wf: Workflow, who: str, args: list[str]) -> Message:
    if not args:
        raise Usage(MUTE)
    fields = pairs(
        args,
        ("event", "actor", "target", "account", "for", "reason"),
        f"one of event=, actor=, target=, account=, for=, reason=. {MUTE}",
    )
    hours = duration(fields.pop("for", "24h"))
    reason = fields.pop("reason", "")
    sid = wf.suppressions.mute(who, fields, hours, reason)
    what = ", ".join(f"{k} = {v}" for k, v in fields.items() if v)
    return done(f"Suppression {sid} for {hours:g} h: {what}. Matching events are stored and counted in the digest.")


@subcommand("mutes", "mutes", "active suppressions")
def mutes(wf: Workflow, who: str, args: list[str]) -> Message:
    return mutes_message(wf.suppressions.active())


@subcommand("unmute", "unmute <id>", "lift a suppression (approvers)", slow=True)
def unmute(wf: Workflow, who: str, args: list[str]) -> Message:
    if len(args) != 1:
        raise Usage("/iam unmute <suppression-id>")
    wf.suppressions.unmute(who, args[0][:40])
    return done(f"Lifted {plain_id(args[0], 40).upper()}.")
