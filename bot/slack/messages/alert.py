"""The alert for one event as the person on call reads it, with its buttons; its details (what
happened, why it matters, every fact and the request's parameters) are one tap away in a modal
(bot/slack/messages/details.py)."""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    PlainTextObject,
)

from bot.events import Actor
from bot.slack.ids import Action, request_action
from bot.slack.messages.base import (
    ACTION_ELEMENTS,
    BUTTON_TEXT,
    BUTTON_VALUE,
    SEVERITY_EMOJI,
    Message,
    Part,
    account_note,
    bullets,
    emoji,
    header,
    line,
    message,
    rich,
    t,
)
from bot.slack.messages.questions import answer_line
from bot.slack.messages.request import request_line
from bot.slack.text import clean
from bot.store import AlertStatus
from bot.workflow import AlertView

TARGET_ORDER = ("user", "access_key_id", "certificate_id", "role", "group", "policy_arn", "policy_name")


def target_text(target: Mapping[str, str]) -> str:
    if not target:
        return "—"
    keys = [k for k in TARGET_ORDER if k in target] + sorted(k for k in target if k not in TARGET_ORDER)
    return "\n".join(f"{k.replace('_', ' ')}: {target[k]}" for k in keys)


def actor_text(actor: Actor) -> str:
    parts = [actor.name]
    if actor.arn and actor.arn != actor.name:
        parts.append(actor.arn)
    notes = [actor.type]
    if actor.console:
        notes.append("console")
    if actor.mfa is True:
        notes.append("MFA")
    elif actor.mfa is False:
        notes.append("no MFA")
    if actor.access_key_id:
        notes.append(f"key {actor.access_key_id}")
    parts.append(", ".join(notes))
    return "\n".join(parts)


def _button(view: AlertView, remediation_id: str, destructive: bool) -> ButtonElement:
    title = view.titles.get(remediation_id, remediation_id)
    confirm = None
    if destructive:
        confirm = ConfirmObject(
            title="Request this fix?",
            text=PlainTextObject(
                text=f"{title[:200]} cannot be undone. Asking sends it for approval; nothing changes before that.",
                emoji=False,
            ),
            confirm="Request it",
            deny="Cancel",
        )
    return ButtonElement(
        text=PlainTextObject(text=title[:BUTTON_TEXT], emoji=False),
        action_id=request_action(remediation_id),
        value=view.alert.event.key[:BUTTON_VALUE],
        style="danger" if destructive else None,
        confirm=confirm,
    )


REASONS_SHOWN = 3  # the rest are one tap away, in Details
REASON_TEXT = 150


def context_text(view: AlertView) -> str:
    """One line: account (with its name when known) · actor · when · where."""
    e = view.alert.event
    account = f"{e.account_id} ({view.account_name})" if e.account_id and view.account_name else e.account_id
    notes = [n for n in ("console" if e.actor.console else None, _mfa(e.actor.mfa)) if n]
    actor = f"{e.actor.name} ({', '.join(notes)})" if notes else e.actor.name
    where = " ".join(x for x in (e.region, e.source_ip) if x)
    return " · ".join(x for x in (account, actor, e.event_time.strftime("%Y-%m-%d %H:%M UTC"), where) if x)


def _mfa(mfa: bool | None) -> str | None:
    return {True: "MFA", False: "no MFA"}.get(mfa) if mfa is not None else None


def notification_text(view: AlertView) -> str:
    """What a phone shows: severity, then the summary, which names the actor and the target; the
    actor is added when the summary does not name them."""
    alert, e = view.alert, view.alert.event
    attempt = " attempt" if e.failed else ""
    text = f"[{alert.severity.upper()}{attempt}] {alert.summary}"
    if e.actor.name and e.actor.name not in alert.summary:
        text += f" (by {e.actor.name})"
    return text


def _status(view: AlertView) -> list[Block]:
    """Where the alert stands, a line each: its requests, its dismissal."""
    lines = [request_line(r, view.titles.get(r.remediation_id, r.remediation_id)) for r in view.requests[-3:]]
    if len(view.requests) > 3:
        lines.insert(0, line(t(f"{len(view.requests) - 3} earlier request(s) in Details", italic=True)))
    said = answer_line(view.question) if view.question is not None else None
    if said is not None:
        lines.append(said)
    if view.status == AlertStatus.DISMISSED:
        reason = [t(": "), t(view.dismiss_reason, italic=True, limit=300)] if view.dismiss_reason else []
        lines.append(
            line(emoji("white_check_mark"), t(" Dismissed as expected by "), _user(view.dismissed_by), *reason)
        )
    return [rich(*lines)] if lines else []


def alert_message(view: AlertView, destructive: frozenset[str] = frozenset()) -> Message:
    """The alert as the person on call reads it on a phone: header, summary, one context line, at
    most three reasons, where it stands and the buttons. Everything else is behind Details."""
    alert, entry, risk, e = view.alert, view.alert.entry, view.alert.risk, view.alert.event
    sev = alert.severity
    attempt = " (attempt)" if e.failed else ""
    blocks: list[Block] = [
        header(f"{sev.upper()}{attempt} · {entry.title}"),
        rich(line(emoji(SEVERITY_EMOJI[sev]), t(" "), t(alert.summary, bold=True))),
        ContextBlock(elements=[PlainTextObject(text=clean(context_text(view), 300), emoji=False)]),
        *account_note(e.account_id, view.account_note),
    ]
    reasons = risk.reasons
    if reasons:
        shown = [[t(r, limit=REASON_TEXT)] for r in reasons[:REASONS_SHOWN]]
        if len(reasons) > REASONS_SHOWN:
            shown.append([t(f"and {len(reasons) - REASONS_SHOWN} more in Details", italic=True)])
        blocks.append(rich(bullets(shown)))
    blocks += _status(view)
    buttons: list[ButtonElement] = []
    if view.status in (AlertStatus.OPEN, AlertStatus.REQUESTED) and not risk.is_self:
        buttons = [_button(view, o.id, o.id in destructive) for o in alert.offers][: ACTION_ELEMENTS - 2]
        buttons.append(
            ButtonElement(
                text=PlainTextObject(text="Dismiss as expected", emoji=False),
                action_id=Action.DISMISS,
                value=e.key[:BUTTON_VALUE],
            )
        )
    buttons.append(
        ButtonElement(
            text=PlainTextObject(text="Details", emoji=False), action_id=Action.DETAILS, value=e.key[:BUTTON_VALUE]
        )
    )
    blocks.append(ActionsBlock(block_id="alert-actions", elements=buttons))
    return message(notification_text(view), blocks)


def _user(user_id: str | None) -> Part:
    from bot.slack.messages.base import user

    return user(user_id or "?")
