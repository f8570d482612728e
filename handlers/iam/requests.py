"""/iam requests, approve, deny, remediate, remediations: the buttons, as commands."""

from __future__ import annotations

from bot.slack.messages import Message, done
from bot.slack.messages.reports import remediations_message, waiting_message
from bot.store import RequestStatus
from bot.workflow import Workflow
from handlers.iam.base import Usage, pairs, subcommand


@subcommand("requests", "requests", "remediation requests waiting for approval")
def requests(wf: Workflow, who: str, args: list[str]) -> Message:
    return waiting_message(wf.reports.waiting(), wf.views.account_notes)


BREAK_GLASS = "--break-glass"
APPROVE = (
    "/iam approve <request-id> [the 6-digit code from your authenticator, where step-up asks for it]"
    " [--break-glass <reason>, where the policy would not let you approve alone]"
)


@subcommand(
    "approve", "approve <request-id> [code] [--break-glass <reason>]", "approve a request (approvers only)", slow=True
)
def approve(wf: Workflow, who: str, args: list[str]) -> Message:
    reason = ""
    if BREAK_GLASS in args:  # everything after it is the reason, audited and told to every approver
        at = args.index(BREAK_GLASS)
        args, reason = args[:at], " ".join(args[at + 1 :])
        if not reason.strip():
            raise Usage(f"{BREAK_GLASS} needs a reason: /iam approve <request-id> [code] {BREAK_GLASS} <why>")
    code = args[1] if len(args) == 2 else ""
    if len(args) not in (1, 2) or (code and not (len(code) == 6 and code.isascii() and code.isdigit())):
        raise Usage(APPROVE)
    request = wf.remediations.approve(args[0][:20], who, code, break_glass=reason)
    if request.status == RequestStatus.REQUESTED:
        return done(
            f"Approved {request.id}; it needs {request.approvals_needed - len(request.approvals)} more approval(s)."
        )
    return done(f"Request {request.id}: {request.status}. " + " ".join(request.outcome))


@subcommand("deny", "deny <request-id> [reason]", "deny a request, or cancel your own", slow=True)
def deny(wf: Workflow, who: str, args: list[str]) -> Message:
    if not args:
        raise Usage("/iam deny <request-id> [reason]")
    request = wf.remediations.deny(args[0][:20], who, " ".join(args[1:])[:500])
    return done(f"Request {request.id} {request.status}.")


@subcommand("undo", "undo <request-id>", "ask for the undo of a remediation that succeeded", slow=True)
def undo(wf: Workflow, who: str, args: list[str]) -> Message:
    if len(args) != 1:
        raise Usage("/iam undo <request-id> (of a remediation that succeeded, within undo_hours)")
    request = wf.remediations.undo(args[0][:20], who)
    return done(f"Requested {request.id} to undo {args[0][:20].upper()}: " + " ".join(request.plan))


@subcommand("remediate", "remediate <id> key=value …", "ask for a remediation, as a button does", slow=True)
def remediate(wf: Workflow, who: str, args: list[str]) -> Message:
    if not args:
        raise Usage("/iam remediate <remediation-id> key=value …; /iam remediations lists them")
    params: dict[str, object] = dict(pairs(args[1:], None, "key=value"))
    account = params.pop("account", None)
    if account is not None and not (
        isinstance(account, str) and account.isascii() and account.isdigit() and len(account) == 12
    ):
        raise Usage("account= takes a 12-digit AWS account id")
    request = wf.remediations.ask(args[0][:64], params, who, account_id=account if isinstance(account, str) else None)
    return done(f"Requested {request.id}: " + " ".join(request.plan) + ". The approval message is posted.")


@subcommand("remediations", "remediations", "the remediations and their parameters")
def remediations(wf: Workflow, who: str, args: list[str]) -> Message:
    return remediations_message(wf.remediations.enabled)
