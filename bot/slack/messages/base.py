"""Building blocks for every message: one :class:`Message` type and rich-text helpers on
``slack_sdk.models.blocks``, which check Slack's limits when serialized.

Event-derived and person-typed text goes into rich-text ``text`` elements through
:func:`bot.slack.text.clean`; Slack shows those literally, so no markup can hide in them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    PlainTextObject,
    RichTextBlock,
    RichTextElementParts,
    RichTextListElement,
    RichTextSectionElement,
)

from bot.slack.text import MENTION, clean, mrkdwn

log = logging.getLogger(__name__)

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks)
MAX_BLOCKS = 50
HEADER_TEXT = 150
SECTION_TEXT = 3000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
MESSAGE_TEXT = 4000
RICH_TEXT = 3000  # per rich-text element: long enough for any field, short enough for the message limits

SEVERITY_EMOJI = {
    "critical": "red_circle",
    "high": "large_orange_circle",
    "medium": "large_yellow_circle",
    "low": "large_blue_circle",
    "info": "white_circle",
}

Part = Any  # a rich-text element part (text, user, emoji, link)


def refused(feature: str) -> str:
    """The cursor that remembers the workspace refused messages with ``feature`` (e.g. "table")."""
    return f"slack:refused:{feature}"


@dataclass(frozen=True)
class Message:
    text: str  # the notification and fallback text (mrkdwn-escaped)
    blocks: list[dict[str, Any]]
    # the same message without a block Slack may refuse (``needs`` names it): posted instead when
    # Slack answers invalid_blocks, and from then on (the refusal is remembered under refused(needs))
    fallback: Message | None = None
    needs: str | None = None

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def t(
    value: Any,
    *,
    bold: bool = False,
    italic: bool = False,
    code: bool = False,
    limit: int = RICH_TEXT,
    multiline: bool = False,
) -> Part:
    """A literal text part (cleaned and clipped)."""
    style = {k: True for k, on in (("bold", bold), ("italic", italic), ("code", code)) if on}
    return RichTextElementParts.Text(text=clean(value, limit, multiline) or " ", style=style or None)


def br() -> Part:
    """A line break of the layout (event text never carries one: ``t`` shows its newlines as ⏎)."""
    return RichTextElementParts.Text(text="\n")


def user(user_id: str) -> Part:
    if not user_id or not user_id.isalnum():
        return t(user_id or "?")
    return RichTextElementParts.User(user_id=user_id)


def mentioning(text: str, multiline: bool = True) -> list[Part]:
    """Literal text in which ``<@U…>`` (and only that exact form) becomes a mention of that user."""
    parts: list[Part] = []
    at = 0
    for match in MENTION.finditer(text):
        if match.start() > at:
            parts.append(t(text[at : match.start()], multiline=multiline))
        parts.append(user(match.group(1)))
        at = match.end()
    if at < len(text) or not parts:
        parts.append(t(text[at:], multiline=multiline))
    return parts


def emoji(name: str) -> Part:
    return RichTextElementParts.Emoji(name=name)


def link(url: str, label: str) -> Part:
    return RichTextElementParts.Link(url=url, text=clean(label, 200))


def line(*parts: Part) -> RichTextSectionElement:
    return RichTextSectionElement(elements=[p for p in parts if p is not None])


def rich(*sections: RichTextSectionElement | RichTextListElement) -> RichTextBlock:
    return RichTextBlock(elements=list(sections))


def bullets(items: Iterable[Sequence[Part]]) -> RichTextListElement:
    return RichTextListElement(style="bullet", elements=[line(*parts) for parts in items] or [line(t("—"))])


def titled(title: str, body: Any, multiline: bool = True) -> RichTextBlock:
    """A bold title over a literal body."""
    return rich(line(t(title, bold=True), br(), t(body, multiline=multiline)))


def permalink(channel: str | None, ts: str | None) -> str | None:
    """The web link of a posted message, from its channel and ts."""
    if not channel or not ts:
        return None
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clean(text, HEADER_TEXT), emoji=False))


def account_note(account_id: str | None, note: str | None) -> list[Block]:
    """The context line every alert, request and Details of an account carries when account_notes has
    one for it, so that a look-alike request in another account is not approved by mistake. Plain
    text, which Slack never reads as markup; cleaned of hidden characters."""
    if not note:
        return []
    return [ContextBlock(elements=[PlainTextObject(text=clean(f"⚠ Account {account_id}: {note}", 300), emoji=False)])]


def message(text: str, blocks: Sequence[Block], mentions: bool = False) -> Message:
    """Serialize (slack_sdk checks every limit); a message that cannot be built is replaced by a
    plain one saying so, so that no input ever loses an alert."""
    fallback = mrkdwn(text, MESSAGE_TEXT, mentions)
    try:
        kept = list(blocks)[:MAX_BLOCKS]
        return Message(text=fallback, blocks=[b.to_dict() for b in kept])
    except (SlackObjectFormationError, ValueError, TypeError) as exc:
        log.warning("message could not be built as designed; sent plain", extra={"error": str(exc)})
        return Message(text=fallback, blocks=[rich(line(t(text, multiline=True))).to_dict()])


def simple(*parts: Part, text: str) -> Message:
    return message(text, [rich(line(*parts))])
