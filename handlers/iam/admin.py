"""/iam audit, mfa, digest, mute, mutes, unmute."""

from __future__ import annotations

from bot.aws import reports
from bot.slack.messages import Message, done, listing, t, user
from bot.workflow import Act, Refused, Workflow
from bot.workflow.authz import plain_id
from handlers.iam.base import Usage, number, pairs, subcommand


@subcommand("audit", "audit [n]", "the latest audit log entries")
def audit(wf: Workflow, who: str, args: list[str]) -> Message:
    n = number(args[0], "n", 1, 50) if args else 15
    rows = wf.store.audit.recent(n)
    if not rows:
        return listing("The audit log is empty.", [])
    items = []
    for r in rows:
        actor = [t("iambot")] if r["user_id"] == "iambot" else [user(r["user_id"])]
        what = f" {r['action']} {r['request_id'] or ''} {r['remediation_id'] or ''} → {r['result']}"
        items.append([t(r["at"], code=True), t(" "), *actor, t(what + (f": {r['detail']}" if r["detail"] else ""))])
    return listing(f"The latest {len(rows)} audit entries", items)


@subcommand("mfa", "mfa [account-id]", "users who can sign in without MFA (read-only)", slow=True)
def mfa(wf: Workflow, who: str, args: list[str]) -> Message:
    if len(args) > 1 or (args and not (args[0].isascii() and args[0].isdigit() and len(args[0]) == 12)):
        raise Usage("/iam mfa [account-id]")
    if not wf.authz.may(Act.REPORT, who):
        wf.store.audit.add("report", who, result="refused", detail="mfa: not a requester")
        raise Refused("Only requesters and approvers can run account reports.")
    iam = wf.remediations.aws.iam(args[0] if args else None, session_name=f"iambot-report-{who}")
    users = reports.console_users_without_mfa(iam)
    root = reports.root_without_mfa(iam)
    wf.store.audit.add("report", who, detail=f"mfa: {len(users)} console user(s) without MFA")
    items = [[t("The root user has no MFA." if root else "The root user has MFA.", bold=root)]]
    if not users:
        items.append([t("Every user with a console password has MFA.")])
    else:
        items.append([t(f"{len(users)} user(s) can sign in to the console without MFA; ask each to add a device:")])
        items += [[t(u.user, code=True), t(f" (password last used {u.password_last_used})")] for u in users[:30]]
    footer = (
        "iambot cannot enable MFA for someone else. To enforce it, attach a policy that denies actions when "
        "aws:MultiFactorAuthPresent is false (AWS's example: IAM User Guide, reference_policies_examples_aws_"
        "my-sec-creds-self-manage-mfa-only), or remove console access with disable-console-access."
    )
    return listing("MFA report", items, footer)


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
    found = wf.suppressions.active()
    if not found:
        return listing("No active suppressions.", [])
    items = []
    for s in found:
        what = ", ".join(
            f"{k} = {v}"
            for k, v in (("event", s.event_name), ("actor", s.actor), ("target", s.target), ("account", s.account_id))
            if v
        )
        items.append(
            [
                t(s.id, code=True),
                t(f" {what} · until {s.expires_at} · {s.hits} hit(s) · "),
                user(s.created_by),
                t(f": {s.reason}"),
            ]
        )
    return listing(f"{len(found)} active suppression(s)", items)


@subcommand("unmute", "unmute <id>", "lift a suppression (approvers)", slow=True)
def unmute(wf: Workflow, who: str, args: list[str]) -> Message:
    if len(args) != 1:
        raise Usage("/iam unmute <suppression-id>")
    wf.suppressions.unmute(who, args[0][:40])
    return done(f"Lifted {plain_id(args[0], 40).upper()}.")
