"""``/iam`` subcommands as plain functions from (service, user, text) to an ephemeral reply.

Fast subcommands answer in the acknowledgement itself; slow ones (anything that calls AWS)
are acknowledged at once and answered afterwards (see ``handlers/commands.py``).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.approvals import Refused
from bot.blocks import REQUEST_STATUS, escape
from remediations import registry
from remediations.base import RemediationError

MAX_REPLY = 3900


# What can go wrong for reasons the person can act on: said to them, never a traceback.
EXPECTED_FAILURES = (Refused, RemediationError, ClientError, BotoCoreError)


def failure_text(exc: BaseException) -> str:
    if isinstance(exc, Refused):
        return f":no_entry: {exc}"
    if isinstance(exc, RemediationError):
        return f":x: {escape(str(exc))}"
    return f":x: AWS said: {escape(str(exc))}"


@dataclass(frozen=True)
class Reply:
    text: str


class Usage(Exception):
    """Bad arguments; the message says how to use the subcommand."""


@dataclass(frozen=True)
class Sub:
    usage: str
    help: str
    slow: bool
    run: Callable[[Any, str, list[str]], str]


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        n = int(value)
    except ValueError as exc:
        raise Usage(f"{name} must be a number from {low} to {high}") from exc
    if not low <= n <= high:
        raise Usage(f"{name} must be a number from {low} to {high}")
    return n


def _help(service: Any, user: str, args: list[str]) -> str:
    lines = ["*iambot* — AWS IAM alerts, explained, and remediated after approval.", ""]
    lines += [f"`/iam {s.usage}` — {s.help}" for s in SUBCOMMANDS.values()]
    return "\n".join(lines)


def _explain(service: Any, user: str, args: list[str]) -> str:
    if len(args) != 1:
        raise Usage("give one IAM event name, e.g. `/iam explain UpdateAccessKey`")
    from bot.catalog import load
    from bot.cli import explain_text

    catalog = load()
    match = next((n for n in catalog.names() if n.lower() == args[0].lower()), None)
    if match is None:
        raise Usage(f"no catalog entry for `{escape(args[0])}`; other IAM events get a generic alert")
    return "```" + escape(explain_text(catalog.get(match), registry.titles())) + "```"


def _recent(service: Any, user: str, args: list[str]) -> str:
    n = _int(args[0], "n", 1, 50) if args else 10
    if len(args) > 1:
        raise Usage("`/iam recent [n]`")
    rows = service.store.recent_events(n)
    if not rows:
        return "No IAM events stored yet."
    return "\n".join(
        f"`{r['event_time']}` *{r['severity']}* {escape(r['summary'])} · `{escape(r['id'])}`" for r in rows
    )


def _show(service: Any, user: str, args: list[str]) -> str:
    if len(args) != 1:
        raise Usage("give the event id, e.g. `/iam show 3d3d4cf5-…` (from `/iam recent`)")
    row = service.store.event(args[0])
    if row is None:
        raise Usage(f"no stored event `{escape(args[0])}`")
    alert = service.alert(row["key"])
    lines = [
        f"*{alert.severity.upper()}* · {escape(alert.entry.title)}",
        escape(alert.summary),
        f"Account {escape(alert.event.account_id)} · actor {escape(alert.event.actor.arn or alert.event.actor.name)}",
        f"When {alert.event.event_time:%Y-%m-%d %H:%M:%S} UTC · from {escape(alert.event.source_ip or '—')}",
    ]
    lines += [f"• {escape(r)}" for r in alert.risk.reasons]
    if alert.offers:
        lines.append("Remediations: " + ", ".join(f"`{o.id}`" for o in alert.offers))
    return "\n".join(lines)


def _requests(service: Any, user: str, args: list[str]) -> str:
    from bot import approvals

    pending = approvals.pending(service.store)
    if not pending:
        return "No remediation requests are waiting."
    return "\n".join(
        f"`{r.id}` {REQUEST_STATUS.get(r.status, r.status)} · *{escape(service._title(r.remediation_id))}* · "
        f"{len(r.approvals)}/{r.approvals_needed} approvals · asked by <@{r.requested_by}> · expires {r.expires_at}"
        for r in pending
    )


def _approve(service: Any, user: str, args: list[str]) -> str:
    if len(args) != 1:
        raise Usage("`/iam approve <request-id>`")
    request = service.approve(args[0], user)
    if request.status == "requested":
        left = request.approvals_needed - len(request.approvals)
        return f"Approved {request.id}; it needs {left} more approval(s)."
    return f"Request {request.id}: {request.status}. " + " ".join(request.outcome)


def _deny(service: Any, user: str, args: list[str]) -> str:
    if not args:
        raise Usage("`/iam deny <request-id> [reason]`")
    request = service.deny(args[0], user, " ".join(args[1:]))
    return f"Request {request.id} {request.status}."


def _remediate(service: Any, user: str, args: list[str]) -> str:
    if not args:
        raise Usage("`/iam remediate <remediation-id> key=value …`; `/iam remediations` lists them")
    rid, params = args[0], {}
    for arg in args[1:]:
        key, sep, value = arg.partition("=")
        if not sep or not key:
            raise Usage(f"`{escape(arg)}` is not key=value")
        params[key.strip()] = value
    account = params.pop("account", None)
    request = service.request(rid, params, user, account_id=account)
    return f"Requested {request.id}: " + " ".join(request.plan) + ". The approval message is posted."


def _remediations(service: Any, user: str, args: list[str]) -> str:
    lines = []
    for rid, cls in registry.REMEDIATIONS.items():
        if rid not in service.enabled:
            continue
        fields = " ".join(
            f"{name}=…" if f.is_required() else f"[{name}=…]" for name, f in cls.Params.model_fields.items()
        )
        flag = " (irreversible)" if cls.destructive else ""
        lines.append(f"`{rid} {fields}` — {escape(cls.title)}{flag}")
    return "\n".join(lines) + "\nAdd `account=<12 digits>` to act in another account of the organization."


def _audit(service: Any, user: str, args: list[str]) -> str:
    n = _int(args[0], "n", 1, 50) if args else 15
    rows = service.store.audit_log(n)
    if not rows:
        return "The audit log is empty."
    return "\n".join(
        f"`{r['at']}` <@{r['user_id']}> {r['action']} {r['request_id'] or ''} {r['remediation_id'] or ''}"
        f" → {r['result']}{(': ' + escape(r['detail'])) if r['detail'] else ''}"
        if r["user_id"] != "iambot"
        else f"`{r['at']}` iambot {r['action']} {r['request_id'] or ''} → {r['result']}"
        f"{(': ' + escape(r['detail'])) if r['detail'] else ''}"
        for r in rows
    )


def _mfa(service: Any, user: str, args: list[str]) -> str:
    from bot import reports

    if len(args) > 1 or (args and not (args[0].isdigit() and len(args[0]) == 12)):
        raise Usage("`/iam mfa [account-id]`")
    iam = service.aws.iam(args[0] if args else None, session_name=f"iambot-report-{user}")
    users = reports.console_users_without_mfa(iam)
    root = reports.root_without_mfa(iam)
    service.store.audit("report", user, detail=f"mfa: {len(users)} console user(s) without MFA")
    lines = [":rotating_light: The root user has no MFA." if root else "The root user has MFA."]
    if not users:
        lines.append("Every user with a console password has MFA.")
    else:
        lines.append(f"{len(users)} user(s) can sign in to the console without MFA; ask each to add a device:")
        lines += [f"• `{escape(u.user)}` (password last used {escape(u.password_last_used)})" for u in users[:40]]
    lines.append(
        "iambot cannot enable MFA for someone else. To enforce it, attach a policy that denies actions "
        "when `aws:MultiFactorAuthPresent` is false (AWS's example: IAM User Guide, reference_policies_examples_"
        "aws_my-sec-creds-self-manage-mfa-only), or remove console access with `disable-console-access`."
    )
    return "\n".join(lines)


def _digest(service: Any, user: str, args: list[str]) -> str:
    d = service.post_digest()
    where = service.settings.digest_channel or service.settings.alert_channel
    return f"Posted the digest to <#{where}>: {d.total} IAM event(s) since {d.since:%Y-%m-%d %H:%M} UTC."


def _duration(value: str) -> float:
    units = {"m": 1 / 60, "h": 1, "d": 24}
    if len(value) < 2 or value[-1] not in units:
        raise Usage("for= takes a duration like 30m, 12h or 7d")
    try:
        hours = float(value[:-1]) * units[value[-1]]
    except ValueError as exc:
        raise Usage("for= takes a duration like 30m, 12h or 7d") from exc
    if not 0 < hours <= 24 * 90:
        raise Usage("a suppression lasts between 1 minute and 90 days")
    return hours


def _mute(service: Any, user: str, args: list[str]) -> str:
    usage = '`/iam mute [event=…] [actor=…] [target=…] [account=…] for=24h reason="…"`'
    if not args:
        raise Usage(usage)
    fields: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or key not in ("event", "actor", "target", "account", "for", "reason"):
            raise Usage(f"`{escape(arg)}` is not one of event=, actor=, target=, account=, for=, reason=. {usage}")
        fields[key] = value.strip()
    hours = _duration(fields.pop("for", "24h"))
    reason = fields.pop("reason", "")
    sid = service.mute(user, fields, hours, reason)
    what = ", ".join(f"{k} = {escape(v)}" for k, v in fields.items() if v)
    return f"Suppression {sid} for {hours:g} h: {what}. Matching events are stored and counted in the digest."


def _mutes(service: Any, user: str, args: list[str]) -> str:
    rows = service.suppressions()
    if not rows:
        return "No active suppressions."
    return "\n".join(
        f"`{r['id']}` "
        + ", ".join(
            f"{k} = {escape(r[c])}"
            for k, c in (("event", "event_name"), ("actor", "actor"), ("target", "target"), ("account", "account_id"))
            if r[c]
        )
        + f" · until {r['expires_at']} · {r['hits']} hit(s) · <@{r['created_by']}>: {escape(r['reason'])}"
        for r in rows
    )


def _unmute(service: Any, user: str, args: list[str]) -> str:
    if len(args) != 1:
        raise Usage("`/iam unmute <suppression-id>`")
    service.unmute(user, args[0])
    return f"Lifted {args[0].upper()}."


SUBCOMMANDS: dict[str, Sub] = {
    "help": Sub("help", "this list", False, _help),
    "explain": Sub("explain <EventName>", "what an IAM event means and why it matters", False, _explain),
    "recent": Sub("recent [n]", "the latest IAM events", False, _recent),
    "show": Sub("show <event-id>", "one event with its risk reasons", False, _show),
    "requests": Sub("requests", "remediation requests waiting for approval", False, _requests),
    "approve": Sub("approve <request-id>", "approve a request (approvers only)", True, _approve),
    "deny": Sub("deny <request-id> [reason]", "deny a request, or cancel your own", True, _deny),
    "remediate": Sub("remediate <id> key=value …", "ask for a remediation, as a button does", True, _remediate),
    "remediations": Sub("remediations", "the remediations and their parameters", False, _remediations),
    "mfa": Sub("mfa [account-id]", "users who can sign in without MFA (read-only)", True, _mfa),
    "audit": Sub("audit [n]", "the latest audit log entries", False, _audit),
    "digest": Sub("digest", "post the digest now", True, _digest),
    "mute": Sub("mute event=… actor=… target=… account=… for=24h reason=…", "suppress (approvers)", True, _mute),
    "mutes": Sub("mutes", "active suppressions", False, _mutes),
    "unmute": Sub("unmute <id>", "lift a suppression (approvers)", True, _unmute),
}


def split(text: str) -> tuple[str, list[str]]:
    try:
        words = shlex.split(text or "")
    except ValueError as exc:
        raise Usage(f"could not read the arguments: {exc}") from exc
    if not words:
        return "help", []
    return words[0].lower(), words[1:]


def is_slow(text: str) -> bool:
    try:
        name, _ = split(text)
    except Usage:
        return False
    sub = SUBCOMMANDS.get(name)
    return bool(sub and sub.slow)


def run(service: Any, user: str, text: str) -> Reply:
    """Answer one ``/iam`` command; user mistakes and refusals become a helpful reply."""
    try:
        name, args = split(text)
        sub = SUBCOMMANDS.get(name)
        if sub is None:
            known = ", ".join(SUBCOMMANDS)
            raise Usage(f"unknown subcommand `{escape(name)}`. Try one of: {known} (`/iam help`)")
        answer = sub.run(service, user, args)
    except Usage as exc:
        answer = f":warning: {exc}"
    except EXPECTED_FAILURES as exc:
        answer = failure_text(exc)
    return Reply(answer if len(answer) <= MAX_REPLY else answer[: MAX_REPLY - 1] + "…")
