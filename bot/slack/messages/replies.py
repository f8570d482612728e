"""Ephemeral replies to a person: /iam answers, refusals, failures. Whatever the person typed and
whatever came from an event is shown literally."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from slack_sdk.models.blocks import RichTextListElement, RichTextPreformattedElement, RichTextSectionElement

from bot.slack.messages.base import RICH_TEXT, Message, Part, bullets, emoji, line, mentioning, message, rich, t

MAX_ITEMS = 40


def reply(*parts: Part, text: str | None = None, mentions: bool = False) -> Message:
    """One paragraph. ``mentions``: the text names people as <@U…>, which iambot wrote itself."""
    plain = text if text is not None else "".join(getattr(p, "text", "") or "" for p in parts)
    return message(plain or "iambot", [rich(line(*parts))], mentions=mentions)


def listing(title: str, items: Iterable[Sequence[Part]], footer: str = "") -> Message:
    """A bold title over a bulleted list (at most 40 items, then a count of the rest)."""
    items = list(items)
    shown = items[:MAX_ITEMS]
    if len(items) > MAX_ITEMS:
        shown.append([t(f"…and {len(items) - MAX_ITEMS} more")])
    sections: list[RichTextSectionElement | RichTextListElement] = [line(t(title, bold=True)), bullets(shown)]
    if footer:
        sections.append(line(t(footer)))
    return message(title, [rich(*sections)])


def preformatted(title: str, body: str) -> Message:
    block = rich(line(t(title, bold=True)))
    block.elements.append(RichTextPreformattedElement(elements=[t(body, limit=RICH_TEXT, multiline=True)]))
    return message(title, [block])


def usage(text: str) -> Message:
    return reply(emoji("warning"), t(" " + text, multiline=True), text=text)


def refused(text: str) -> Message:
    """A refusal from the workflow: its <@U…> are people iambot names (who decided, who asked);
    whatever a person typed reaches it only as ids stripped to letters and digits."""
    return reply(emoji("no_entry"), *mentioning(" " + text), text=text, mentions=True)


def failed(text: str) -> Message:
    return reply(emoji("x"), t(" " + text, multiline=True), text=text)


def done(text: str) -> Message:
    return reply(emoji("white_check_mark"), *mentioning(" " + text), text=text, mentions=True)
