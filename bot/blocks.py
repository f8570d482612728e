"""Block Kit builders: one pure function per message, re-rendered whole on each state change.

Built with ``slack_sdk.models.blocks`` (which checks Slack's limits when serialized); every
message also carries a ``text`` fallback. Every string that came from an event is escaped for
mrkdwn, so a user named ``<!channel>`` pings nobody, and clipped so that no input, however
long, makes a message Slack would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.ids import Action, request_action

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks)
MAX_BLOCKS = 50
HEADER_TEXT = 150
SECTION_TEXT = 3000
FIELD_TEXT = 2000
FIELDS = 10
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
MESSAGE_TEXT = 4000

SEVERITY_EMOJI = {
    "critical": ":red_circle:",
    "high": ":large_orange_circle:",
    "medium": ":large_yellow_circle:",
    "low": ":large_blue_circle:",
    "info": ":white_circle:",
}


def escape(text: Any) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape_clip(text: Any, limit: int) -> str:
    """Escape, then fit in ``limit`` characters without cutting an entity like ``&amp;`` in half."""
    raw = str(text)
    out = escape(raw)
    while len(out) > limit:
        raw = raw[: max(0, len(raw) - (len(out) - limit) - 1)]
        out = escape(raw) + "…"
    return out


def mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def section(title: str, body: str) -> SectionBlock:
    """A section with a bold title and escaped body, within the section text limit."""
    head = f"*{title}*\n"
    return SectionBlock(text=mrkdwn(head + escape_clip(body, SECTION_TEXT - len(head))))


def field_text(label: str, value: Any) -> MarkdownTextObject:
    head = f"*{label}*\n"
    shown = "—" if value in (None, "") else value
    return mrkdwn(head + escape_clip(shown, FIELD_TEXT - len(head)))


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]]

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def _serialize(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"{len(blocks)} blocks, Slack allows {MAX_BLOCKS}")
    return [b.to_dict() for b in blocks]  # to_dict() validates every length limit


@dataclass(frozen=True)
class AlertState:
    """Where an alert stands: open, requested, dismissed, remediated; and mrkdwn note lines,
    which the caller builds with event-derived text already escaped (they may hold <@mentions>)."""

    status: str = "open"
    lines: tuple[str, ...] = field(default=())


def target_text(target: Mapping[str, str]) -> str:
    if not target:
        return "—"
    order = ("user", "access_key_id", "certificate_id", "role", "group", "policy_arn", "policy_name")
    keys = [k for k in order if k in target] + [k for k in target if k not in order]
    return "\n".join(f"{k.replace('_', ' ')}: {target[k]}" for k in keys)


def actor_text(actor: Any) -> str:
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


def alert_message(
    alert: Any,
    state: AlertState | None = None,
    remediation_titles: Mapping[str, str] | None = None,
) -> Message:
    """The alert for one IAM event, with request buttons while it is open."""
    state = state or AlertState()
    e, entry, risk = alert.event, alert.entry, alert.risk
    titles = remediation_titles if remediation_titles is not None else _titles()
    sev = alert.severity
    attempt = " (attempt)" if e.failed else ""
    header = clip(f"{sev.upper()}{attempt} · {entry.title}", HEADER_TEXT)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=header, emoji=False)),
        SectionBlock(text=mrkdwn(f"{SEVERITY_EMOJI[sev]} *{escape_clip(alert.summary, SECTION_TEXT - 40)}*")),
        SectionBlock(
            fields=[
                field_text("Account", e.account_id),
                field_text("Actor", actor_text(e.actor)),
                field_text("Target", target_text(e.target)),
                field_text("When", e.event_time.strftime("%Y-%m-%d %H:%M:%S UTC")),
                field_text("Source IP", e.source_ip),
                field_text("User agent", e.user_agent),
            ]
        ),
        section("What happened", " ".join(entry.meaning.split())),
        section("Why it matters", " ".join(entry.why.split())),
    ]
    if risk.factors:
        reasons = "\n".join(f"• {r}" for r in risk.reasons)
        blocks.append(section(f"Risk: {risk.base} → {sev}", reasons))
    if e.error_message:
        blocks.append(section("Error", e.error_message))
    for line in state.lines[-10:]:  # mrkdwn made by request_line & co., event text already escaped
        blocks.append(SectionBlock(text=mrkdwn(clip(line, SECTION_TEXT))))
    context = [f"`{escape_clip(e.event_name, 200)}`", f"event `{escape_clip(e.event_id, 200)}`"]
    if entry.attack:
        links = ", ".join(f"<{url}|{t}>" for t, url in zip(entry.attack, entry.attack_urls, strict=True))
        context.append(f"ATT&amp;CK {links}")
    context.append(f"<{entry.docs[0]}|AWS docs>")
    blocks.append(ContextBlock(elements=[mrkdwn(c) for c in context[:CONTEXT_ELEMENTS]]))
    if state.status in ("open", "requested") and not risk.is_self:
        buttons = [
            ButtonElement(
                text=clip(titles.get(o.id, o.id), BUTTON_TEXT),
                action_id=request_action(o.id),
                value=clip(e.key, BUTTON_VALUE),
            )
            for o in alert.offers
        ][: ACTION_ELEMENTS - 1]
        buttons.append(
            ButtonElement(text="Dismiss as expected", action_id=Action.DISMISS, value=clip(e.key, BUTTON_VALUE))
        )
        blocks.append(ActionsBlock(block_id="alert-actions", elements=buttons))
    text = clip(f"[{sev.upper()}{attempt}] {escape(alert.summary)}", MESSAGE_TEXT)
    return Message(text=text, blocks=_serialize(blocks))


def _titles() -> dict[str, str]:
    try:
        from remediations import registry
    except ImportError:  # pragma: no cover
        return {}
    return registry.titles()


REQUEST_STATUS = {
    "requested": ":hourglass_flowing_sand: Waiting for approval",
    "approved": ":white_check_mark: Approved, starting",
    "running": ":gear: Running",
    "succeeded": ":white_check_mark: Done",
    "failed": ":x: Failed",
    "drifted": ":octagonal_sign: Stopped: live state changed since approval",
    "denied": ":no_entry: Denied",
    "cancelled": ":leftwards_arrow_with_hook: Cancelled by the requester",
    "expired": ":alarm_clock: Expired without enough approvals",
}


def request_line(request: Any, title: str) -> str:
    """One line about a request, for the alert it belongs to."""
    status = REQUEST_STATUS.get(request.status, request.status)
    who = f"requested by <@{request.requested_by}>"
    if request.approvals:
        who += ", approved by " + ", ".join(f"<@{u}>" for u in request.approvals)
    elif request.decided_by:
        who += f", {request.status} by <@{request.decided_by}>"
    result = f": {escape(' '.join(request.outcome))}" if request.outcome else ""
    return clip(f"{status} · *{escape(title)}* ({request.id}) {who}{result}", SECTION_TEXT)


def request_message(request: Any, title: str, destructive: bool, context: str | None = None) -> Message:
    """The approval message: the dry-run plan, who asked, approvals so far, and the buttons."""
    status = REQUEST_STATUS.get(request.status, request.status)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=clip(f"Remediation request {request.id} · {title}", HEADER_TEXT))),
        SectionBlock(
            text=mrkdwn(
                clip(
                    f"<@{request.requested_by}> asks to run *{escape(title)}*"
                    + (f" for: {escape(context)}" if context else "")
                    + (f" in account {escape(request.account_id)}" if request.account_id else ""),
                    SECTION_TEXT,
                )
            )
        ),
        section("Plan (dry run against live AWS state)", "\n".join(request.plan)),
    ]
    if destructive:
        blocks.append(
            SectionBlock(text=mrkdwn(f":warning: *Irreversible.* Needs {request.approvals_needed} approvals."))
        )
    approvals = ", ".join(f"<@{u}>" for u in request.approvals) or "none yet"
    blocks.append(
        SectionBlock(
            fields=[
                mrkdwn(f"*Status*\n{status}"),
                mrkdwn(f"*Approvals*\n{len(request.approvals)} of {request.approvals_needed}: {approvals}"),
                mrkdwn(f"*Expires*\n{escape(request.expires_at)}"),
                mrkdwn(f"*Parameters*\n{escape_clip(_params_text(request.params), FIELD_TEXT - 20)}"),
            ]
        )
    )
    if request.decided_by and request.status in ("denied", "cancelled"):
        reason = f": {escape(request.reason)}" if request.reason else ""
        blocks.append(SectionBlock(text=mrkdwn(f"{status} by <@{request.decided_by}>{reason}")))
    if request.outcome:
        blocks.append(section("Outcome", "\n".join(request.outcome)))
    if request.status == "requested":
        blocks.append(
            ActionsBlock(
                block_id="request-actions",
                elements=[
                    ButtonElement(text="Approve", action_id=Action.APPROVE, value=request.id, style="primary"),
                    ButtonElement(text="Deny", action_id=Action.DENY, value=request.id, style="danger"),
                ],
            )
        )
    blocks.append(
        ContextBlock(elements=[mrkdwn(f"`/iam approve {request.id}` · `/iam deny {request.id} reason` · audited")])
    )
    text = clip(f"Remediation request {request.id}: {title} ({request.status})", MESSAGE_TEXT)
    return Message(text=text, blocks=_serialize(blocks))


def _params_text(params: Mapping[str, Any]) -> str:
    return "\n".join(f"{k} = {', '.join(v) if isinstance(v, list) else v}" for k, v in params.items()) or "—"
