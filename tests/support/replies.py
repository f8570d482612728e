"""Reading what a person is shown: the rich-text blocks of a reply (or of a message Slack was
sent) as plain text, mentions as <@U…> and emoji as :name:, for assertions."""

from __future__ import annotations

from typing import Any


def _parts(element: Any) -> list[str]:
    if isinstance(element, list):
        return [s for e in element for s in _parts(e)]
    if not isinstance(element, dict):
        return []
    kind = element.get("type")
    if kind == "text":
        return [str(element.get("text", ""))]
    if kind == "user":
        return [f"<@{element.get('user_id')}>"]
    if kind == "emoji":
        return [f":{element.get('name')}:"]
    if kind == "link":
        return [str(element.get("text") or element.get("url", ""))]
    if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
        return ["".join(_parts(element.get("elements", []))) + "\n"]
    if kind == "rich_text_list":
        return ["".join("• " + "".join(_parts(item)) for item in element.get("elements", []))]
    if kind in ("header", "section", "context"):
        text = element.get("text")
        found = [str(text.get("text", "")) + "\n"] if isinstance(text, dict) else []
        return found + _parts(element.get("elements", []) + element.get("fields", []))
    if kind in ("plain_text", "mrkdwn"):
        return [str(element.get("text", ""))]
    return _parts(element.get("elements", []))


def said(reply: Any) -> str:
    """Everything a reply shows, as text: a Message, a response_url body, an ack body or blocks."""
    blocks = reply if isinstance(reply, list) else getattr(reply, "blocks", None)
    if blocks is None and isinstance(reply, dict):
        blocks = reply.get("blocks") or []
    return "".join(_parts(blocks or []))


def rich_only(reply: Any) -> bool:
    """True when every block is rich text or a header (nothing Slack would read as mrkdwn)."""
    blocks = reply if isinstance(reply, list) else getattr(reply, "blocks", None)
    if blocks is None and isinstance(reply, dict):
        blocks = reply.get("blocks") or []
    return bool(blocks) and all(b.get("type") in ("rich_text", "header") for b in blocks)
