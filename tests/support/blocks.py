"""Reading Slack messages in tests: walking their blocks, their texts, buttons and mentions, the
limits Slack sets, hostile text and the views messages are built from."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import Block

from bot.assess import Assessor
from bot.events import normalize
from bot.slack.messages.base import (
    ACTION_ELEMENTS,
    BUTTON_TEXT,
    BUTTON_VALUE,
    CONTEXT_ELEMENTS,
    HEADER_TEXT,
    MAX_BLOCKS,
    MESSAGE_TEXT,
    RICH_TEXT,
    SECTION_TEXT,
)
from bot.slack.text import clean
from bot.store import Request
from bot.workflow import AlertView
from remediations import registry
from tests.conftest import REQUESTER
from tests.support.records import load

TITLES = registry.titles()
DESTRUCTIVE = frozenset(rid for rid, cls in registry.REMEDIATIONS.items() if cls.destructive)
HOSTILE = (
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \x1b[31mred\x1b[0m \u202eevil\u202c "
    "zero\u200bwidth\u200d\ufeff *bold* _x_ ~y~ `code` <!channel> <@U0EVIL1> &amp; <https://evil.example|x>"
)
HIDDEN = ("\x1b", "\x07", "\u202e", "\u202c", "\u200b", "\u200d", "\ufeff")
LITERAL = ("*bold* _x_ ~y~ `code` <!channel> <@U0EVIL1> &amp; <https://evil.example|x>",)




def walk(node):
    """Every dict inside a message's blocks, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def rich_texts(message):
    """The text of every rich-text "text" element, in order."""
    return [
        e["text"]
        for b in message.blocks
        if b["type"] == "rich_text"
        for e in walk(b)
        if e.get("type") == "text" and "text" in e
    ]


def context_texts(blocks):
    """The text of every element of the context blocks among ``blocks`` (a message's or a view's)."""
    return [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]


def all_rich_text(message):
    return "".join(rich_texts(message))


def mrkdwn_objects(message):
    return [e["text"] for e in walk(message.blocks) if e.get("type") == "mrkdwn"]


def element_types(message):
    return [e["type"] for b in message.blocks if b["type"] == "rich_text" for e in walk(b) if "type" in e]


def users(message):
    return [e["user_id"] for e in walk(message.blocks) if e.get("type") == "user"]


def buttons(message):
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def check_limits(message):
    blocks = message.blocks
    assert 0 < len(blocks) <= MAX_BLOCKS
    assert message.text and len(message.text) <= MESSAGE_TEXT
    for b in blocks:
        assert Block.parse(b).to_dict() == b  # well formed, as Slack's own models read it
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= HEADER_TEXT
        if b["type"] == "section":
            if "text" in b:
                assert len(b["text"]["text"]) <= SECTION_TEXT
            assert len(b.get("fields", [])) <= 10
        if b["type"] == "context":
            assert len(b["elements"]) <= CONTEXT_ELEMENTS
            assert all(len(e["text"]) <= 2000 for e in b["elements"])
        if b["type"] == "actions":
            assert len(b["elements"]) <= ACTION_ELEMENTS
            ids = [e["action_id"] for e in b["elements"]]
            assert len(set(ids)) == len(ids)
            for e in b["elements"]:
                assert len(e["text"]["text"]) <= BUTTON_TEXT and len(e["value"]) <= BUTTON_VALUE
    assert all(len(text) <= RICH_TEXT for text in rich_texts(message))
    assert len(json.dumps(blocks)) < 40_000


def view_of(alert, status="open", requests=(), dismissed_by=None):
    return AlertView(alert, status, tuple(requests), TITLES, dismissed_by)


def alert_of(name_or_record, assessor=None):
    record = load(name_or_record) if isinstance(name_or_record, str) else name_or_record
    return (assessor or Assessor())(normalize(record))


def request(rid="RAAAAAA", status="requested", **changes):
    values = dict(
        id=rid,
        remediation_id="deactivate-access-key",
        params={"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLELEGACY001"},
        event_key="k1",
        account_id="111122223333",
        status=status,
        requested_by=REQUESTER,
        requested_at="2026-11-20T12:00:00Z",
        expires_at="2026-11-21T12:00:00Z",
        approvals_needed=1,
        plan=["Would set access key AKIAEXAMPLELEGACY001 of user legacy-etl to Inactive"],
        expected={},
        approvals=(),
    )
    values.update(changes)
    return Request(**values)


def hostile_record():
    record = load("UpdateLoginProfile__authored__1.json")
    record["requestParameters"]["userName"] = HOSTILE
    record["userIdentity"]["userName"] = HOSTILE
    record["userAgent"] = HOSTILE
    return record


def assert_shown_literally(msg, where):
    texts = rich_texts(msg)
    cleaned = clean(HOSTILE)
    assert any(cleaned in text for text in texts), where  # every character kept, hidden ones made visible
    assert "␛]8;;https://evil.example␇click␛]8;;␇" in cleaned and "⟨U+202E⟩evil⟨U+202C⟩" in cleaned
    assert "zero⟨U+200B⟩width⟨U+200D⟩⟨U+FEFF⟩" in cleaned
    dumped = json.dumps(msg.blocks, ensure_ascii=False) + msg.text
    assert not [c for c in HIDDEN if c in dumped], where
    for literal in LITERAL:
        assert any(literal in text for text in texts), where
        assert all(literal not in m for m in mrkdwn_objects(msg)), where  # never where Slack reads markup
    assert "U0EVIL1" not in users(msg), where  # no mention, no link, no broadcast made of it
    assert not {"link", "broadcast", "channel", "usergroup"} & set(element_types(msg)) - ({"link"} if where == "digest"
                                                                                        else set()), where
    assert "<!channel>" not in msg.text and "<@U0EVIL1>" not in msg.text and "<https://evil" not in msg.text
    # a view has no notification text, a listing only its title
    assert "&lt;!channel&gt;" in msg.text or where in ("request", "digest", "home", "listing")
