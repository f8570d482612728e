"""The Details modal of an alert: everything the alert message leaves out.

Chosen over a thread reply posted with every alert: a modal costs nothing until someone asks,
adds no message (and no notification) to a busy channel, is the same for everyone who opens it,
and is always rendered from the alert's current view. Slack opens it from the button's
trigger_id, within three seconds of the click.
"""

from __future__ import annotations

from typing import Any

import orjson
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    RichTextPreformattedElement,
)
from slack_sdk.models.views import View

from bot.slack.messages.alert import actor_text, target_text
from bot.slack.messages.base import RICH_TEXT, Part, account_note, br, bullets, header, line, rich, t, titled
from bot.slack.messages.request import request_line
from bot.workflow import AlertView

MODAL_TITLE = 24  # Slack's limit on a modal's title
MODAL_BLOCKS = 100
REASONS, REASON_TEXT = 20, 400  # a reason is a sentence: this bounds a modal whatever the factors say


def _fact(label: str, value: object) -> list[Part]:
    return [t(label, bold=True), t("  "), t("—" if value in (None, "") else value, multiline=True), br()]


def details_view(view: AlertView) -> dict[str, Any]:
    """The modal (views.open's ``view``) for an alert."""
    alert, entry, risk, e = view.alert, view.alert.entry, view.alert.risk, view.alert.event
    account = f"{e.account_id} ({view.account_name})" if view.account_name else e.account_id
    facts = [
        *_fact("Account", account),
        *_fact("Actor", actor_text(e.actor)),
        *_fact("Target", target_text(alert.targets)),
        *_fact("When", e.event_time.strftime("%Y-%m-%d %H:%M:%S UTC")),
        *_fact("Where", " · ".join(x for x in (e.region, e.source_ip) if x) or None),
        *_fact("User agent", e.user_agent),
    ]
    blocks: list[Block] = [
        header(f"{alert.severity.upper()} · {entry.title}"),
        *account_note(e.account_id, view.account_note),
        rich(line(t(alert.summary, bold=True))),
        titled("What happened", " ".join(entry.meaning.split())),
        titled("Why it matters", " ".join(entry.why.split())),
    ]
    reasons = [[t(r, limit=REASON_TEXT)] for r in risk.reasons[:REASONS]] or [
        [t("No factor changed the entry's severity.")]
    ]
    blocks.append(rich(line(t(f"Risk: {risk.base} → {alert.severity}", bold=True)), bullets(reasons)))
    blocks.append(rich(line(*facts[:-1])))
    if e.error_message or e.error_code:
        blocks.append(titled("Error", " ".join(x for x in (e.error_code, e.error_message) if x)))
    if view.recorded:
        blocks.append(titled("Before the change (iambot's own record)", "\n".join(view.recorded)))
    if view.requests:
        titles = view.titles
        blocks.append(rich(*[request_line(r, titles.get(r.remediation_id, r.remediation_id)) for r in view.requests]))
    sorted_json = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
    parameters = orjson.dumps(e.request, option=sorted_json, default=str).decode() if e.request else ""
    body = rich(line(t("Request parameters" if e.request_recorded else "Request parameters (not recorded)", bold=True)))
    if parameters:
        body.elements.append(RichTextPreformattedElement(elements=[t(parameters, limit=RICH_TEXT, multiline=True)]))
    blocks.append(body)
    context: list[object] = [
        PlainTextObject(text=f"{e.event_source.split('.')[0]}:{e.event_name}"[:200], emoji=False),
        PlainTextObject(text=f"event {e.event_id}"[:200], emoji=False),
    ]
    if entry.attack:
        links = ", ".join(f"<{url}|{tid}>" for tid, url in zip(entry.attack, entry.attack_urls, strict=True))
        context.append(MarkdownTextObject(text=f"ATT&amp;CK {links}"))
    context += [MarkdownTextObject(text=f"<{url}|AWS docs>") for url in entry.docs[:2]]
    blocks.append(ContextBlock(elements=context[:10]))  # type: ignore[arg-type]
    modal = View(
        type="modal",
        title=PlainTextObject(text="Alert details"[:MODAL_TITLE], emoji=False),
        close=PlainTextObject(text="Close", emoji=False),
        blocks=blocks[:MODAL_BLOCKS],
    )
    return modal.to_dict()


def gone_view() -> dict[str, Any]:
    """The modal for an alert iambot no longer has (pruned, or a forged value)."""
    return View(
        type="modal",
        title=PlainTextObject(text="Alert details", emoji=False),
        close=PlainTextObject(text="Close", emoji=False),
        blocks=[rich(line(t("iambot has no record of this alert any more.")))],
    ).to_dict()
