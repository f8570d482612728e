"""The alert for one event, with request buttons while it is open."""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
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
    br,
    bullets,
    emoji,
    header,
    line,
    message,
    rich,
    t,
    titled,
)
from bot.slack.messages.request import request_line
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


def _fact(label: str, value: object) -> list[Part]:
    return [t(label, bold=True), t("  "), t("—" if value in (None, "") else value, multiline=True), br()]


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


def alert_message(view: AlertView, destructive: frozenset[str] = frozenset()) -> Message:
    alert, entry, risk, e = view.alert, view.alert.entry, view.alert.risk, view.alert.event
    sev = alert.severity
    attempt = " (attempt)" if e.failed else ""
    facts = [
        *_fact("Account", e.account_id),
        *_fact("Actor", actor_text(e.actor)),
        *_fact("Target", target_text(alert.targets)),
        *_fact("When", e.event_time.strftime("%Y-%m-%d %H:%M:%S UTC")),
        *_fact("Where", " · ".join(x for x in (e.region, e.source_ip) if x) or None),
        *_fact("User agent", e.user_agent),
    ]
    blocks: list[Block] = [
        header(f"{sev.upper()}{attempt} · {entry.title}"),
        rich(line(emoji(SEVERITY_EMOJI[sev]), t(" "), t(alert.summary, bold=True))),
        rich(line(*facts[:-1])),
        titled("What happened", " ".join(entry.meaning.split())),
        titled("Why it matters", " ".join(entry.why.split())),
    ]
    if risk.factors:
        blocks.append(rich(line(t(f"Risk: {risk.base} → {sev}", bold=True)), bullets([t(r)] for r in risk.reasons)))
    if e.error_message:
        blocks.append(titled("Error", e.error_message))
    if view.recorded:
        blocks.append(titled("Before the change (iambot's own record)", "\n".join(view.recorded)))
    for request in view.requests[-10:]:
        blocks.append(rich(request_line(request, view.titles.get(request.remediation_id, request.remediation_id))))
    if view.status == "dismissed":
        blocks.append(rich(line(emoji("white_check_mark"), t(" Dismissed as expected by "), _user(view.dismissed_by))))
    context = [
        PlainTextObject(text=f"{e.event_source.split('.')[0]}:{e.event_name}"[:200], emoji=False),
        PlainTextObject(text=f"event {e.event_id}"[:200], emoji=False),
    ]
    if entry.attack:
        links = ", ".join(f"<{url}|{tid}>" for tid, url in zip(entry.attack, entry.attack_urls, strict=True))
        context.append(MarkdownTextObject(text=f"ATT&amp;CK {links}"))  # type: ignore[arg-type]
    context.append(MarkdownTextObject(text=f"<{entry.docs[0]}|AWS docs>"))  # type: ignore[arg-type]
    blocks.append(ContextBlock(elements=context))
    if view.status in ("open", "requested") and not risk.is_self:
        buttons = [_button(view, o.id, o.id in destructive) for o in alert.offers][: ACTION_ELEMENTS - 1]
        buttons.append(
            ButtonElement(
                text=PlainTextObject(text="Dismiss as expected", emoji=False),
                action_id=Action.DISMISS,
                value=e.key[:BUTTON_VALUE],
            )
        )
        blocks.append(ActionsBlock(block_id="alert-actions", elements=buttons))
    return message(f"[{sev.upper()}{attempt}] {alert.summary}", blocks)


def _user(user_id: str | None) -> Part:
    from bot.slack.messages.base import user

    return user(user_id or "?")
