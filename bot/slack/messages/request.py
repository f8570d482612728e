"""The approval message of a request, and its one-line summary on the alert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    PlainTextObject,
    RichTextElementParts,
)

from bot.config.checks import GROUP_ID
from bot.slack.ids import Action
from bot.slack.messages.base import (
    Message,
    Part,
    account_note,
    br,
    emoji,
    header,
    line,
    message,
    rich,
    t,
    titled,
    user,
)
from bot.slack.text import clean
from bot.store import Request, RequestStatus
from bot.store.requests import PENDING
from bot.workflow import RequestView

S = RequestStatus
REQUEST_STATUS: dict[str, tuple[str, str]] = {
    S.REQUESTED: ("hourglass_flowing_sand", "Waiting for approval"),
    S.APPROVED: ("white_check_mark", "Approved, starting"),
    S.RUNNING: ("gear", "Running"),
    S.SUCCEEDED: ("white_check_mark", "Done"),
    S.FAILED: ("x", "Failed"),
    S.DRIFTED: ("octagonal_sign", "Stopped: live state changed since approval"),
    S.DENIED: ("no_entry", "Denied"),
    S.CANCELLED: ("leftwards_arrow_with_hook", "Cancelled by the requester"),
    S.EXPIRED: ("alarm_clock", "Expired without enough approvals"),
}


def status_text(status: str) -> str:
    return REQUEST_STATUS.get(status, ("grey_question", status))[1]


def _users(ids: tuple[str, ...] | list[str]) -> list[Part]:
    out: list[Part] = []
    for i, uid in enumerate(ids):
        if i:
            out.append(t(", "))
        out.append(user(uid))
    return out


def _ping(ids: tuple[str, ...]) -> list[Block]:
    """The approvers_to_notify as mentions, users and groups alike: "For your approval: @ana @security"."""
    parts: list[Part] = []
    for pid in ids:
        mention = RichTextElementParts.UserGroup(usergroup_id=pid) if GROUP_ID.fullmatch(pid) else user(pid)
        parts += [t(" "), mention] if parts else [mention]
    return [rich(line(t("For your approval: ", bold=True), *parts))] if parts else []


def request_line(request: Request, title: str) -> Any:
    """One line about a request, for the alert it belongs to."""
    icon, status = REQUEST_STATUS.get(request.status, ("grey_question", request.status))
    parts: list[Part] = [
        emoji(icon),
        t(f" {status} · "),
        t(title, bold=True),
        t(f" ({request.id}) requested by "),
        user(request.requested_by),
    ]
    if request.approvals:
        parts += [t(", approved by "), *_users(request.approvals)]
        if request.reason and request.reason.startswith("break-glass"):
            parts.append(t(" through break-glass", bold=True))
    elif request.decided_by:
        parts += [t(f", {request.status} by "), user(request.decided_by)]
    if request.outcome:
        parts.append(t(": " + " ".join(request.outcome)))
    return line(*parts)


def _params_text(params: Mapping[str, Any]) -> str:
    return "\n".join(f"{k} = {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in params.items()) or "—"


def request_message(view: RequestView) -> Message:
    """The dry-run plan and its blast radius, who asked, approvals so far, and the buttons while it can
    be decided."""
    request, title = view.request, view.title
    icon, status = REQUEST_STATUS.get(request.status, ("grey_question", request.status))
    asks: list[Part] = [user(request.requested_by), t(" asks to run "), t(title, bold=True)]
    if view.context:
        asks += [t(" for: "), t(view.context)]
    if request.account_id:
        asks.append(t(f" in account {request.account_id}"))
    if view.undoes:
        asks.append(t(f", undoing {view.undoes}", bold=True))
    blocks: list[Block] = [
        header(f"Remediation request {request.id} · {title}"),
        *account_note(request.account_id, view.account_note),
        rich(line(*asks)),
        *_ping(view.ping),
        titled("Plan (dry run against live AWS state)", "\n".join(request.plan)),
    ]
    if request.impact:
        blocks.append(titled("Blast radius", "\n".join(request.impact)))
    if view.destructive:
        blocks.append(
            rich(
                line(
                    emoji("warning"), t(" Irreversible.", bold=True), t(f" Needs {request.approvals_needed} approvals.")
                )
            )
        )
    if view.undo_note and request.status in PENDING:
        blocks.append(rich(line(t("It cannot be undone: ", bold=True), t(view.undo_note))))
    approvals = _users(request.approvals) or [t("none yet")]
    blocks.append(
        rich(
            line(t("Status  ", bold=True), emoji(icon), t(f" {status}")),
            line(
                t("Approvals  ", bold=True), t(f"{len(request.approvals)} of {request.approvals_needed}: "), *approvals
            ),
            line(t("Expires  ", bold=True), t(request.expires_at)),
            line(t("Parameters", bold=True), br(), t(_params_text(request.params), multiline=True)),
        )
    )
    if request.decided_by and request.status in (S.DENIED, S.CANCELLED):
        reason = [t(": " + request.reason)] if request.reason else []
        blocks.append(rich(line(t(f"{status} by "), user(request.decided_by), *reason)))
    if request.outcome:
        blocks.append(titled("Outcome", "\n".join(request.outcome)))
    if view.undo is not None:
        until = view.undo.until.strftime("%Y-%m-%d %H:%M UTC")
        blocks.append(
            ActionsBlock(
                block_id="request-undo",
                elements=[ButtonElement(text="Undo", action_id=Action.UNDO, value=request.id)],
            )
        )
        blocks.append(rich(line(t(f"Undo asks for {view.undo.title}, approved like any request, until {until}."))))
    if request.status == S.REQUESTED:
        confirm = None
        if view.destructive:
            confirm = ConfirmObject(
                title="Approve an irreversible change?",
                text=PlainTextObject(text=clean(" ".join(request.plan), 280) or title, emoji=False),
                confirm="Approve",
                deny="Cancel",
            )
        blocks.append(
            ActionsBlock(
                block_id="request-actions",
                elements=[
                    ButtonElement(
                        text="Approve", action_id=Action.APPROVE, value=request.id, style="primary", confirm=confirm
                    ),
                    ButtonElement(text="Deny", action_id=Action.DENY, value=request.id, style="danger"),
                ],
            )
        )
    blocks.append(
        ContextBlock(
            elements=[
                PlainTextObject(
                    text=f"/iam approve {request.id} · /iam deny {request.id} reason · audited", emoji=False
                )
            ]
        )
    )
    return message(f"Remediation request {request.id}: {title} ({request.status})", blocks)
