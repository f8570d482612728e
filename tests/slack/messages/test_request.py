"""The approval message of a request: its blast radius, under the plan, before anyone approves."""

from __future__ import annotations

import json

from bot.slack.messages import request_message
from bot.slack.text import clean
from bot.workflow import RequestView
from tests.conftest import REQUESTER
from tests.support.blocks import (
    HIDDEN,
    HOSTILE,
    all_rich_text,
    assert_shown_literally,
    check_limits,
    context_texts,
    request,
    rich_texts,
    users,
)

IMPACT = (
    "Key last used: 2026-11-20 09:12 UTC (2 days ago), s3 in eu-west-1",
    "Attached policies (2): AdministratorAccess (admin-like), ReadOnlyAccess",
    "Inline policies: none",
    "Groups (1): data",
)


def _titled(msg):
    """The titled blocks (a bold title, a break, the body), by title."""
    found = {}
    for block in msg.blocks:
        parts = block["elements"][0]["elements"] if block["type"] == "rich_text" else []
        if len(parts) == 3 and parts[0].get("style") == {"bold": True} and parts[1].get("text") == "\n":
            found[parts[0]["text"]] = parts[2]["text"]
    return found


def test_the_blast_radius_is_shown_under_the_plan():
    msg = request_message(RequestView(request(impact=IMPACT), "Deactivate the access key", False, None))
    check_limits(msg)
    titled = _titled(msg)
    assert list(titled)[:2] == ["Plan (dry run against live AWS state)", "Blast radius"]
    assert titled["Blast radius"] == "\n".join(IMPACT)
    assert msg.blocks[3]["elements"][0]["elements"][0]["text"] == "Blast radius"  # header, who asks, plan, then this


def test_no_blast_radius_no_block():
    msg = request_message(RequestView(request(), "Deactivate the access key", False, None))
    assert "Blast radius" not in _titled(msg)


def test_the_blast_radius_stays_after_the_decision():
    done = request(status="succeeded", impact=IMPACT, outcome=("Set access key … to Inactive",))
    assert "Blast radius" in _titled(request_message(RequestView(done, "Deactivate the access key", False, None)))


def test_names_from_aws_in_the_blast_radius_are_shown_literally():
    # a group or policy name is whatever its creator typed, and so is a trust policy's principal
    msg = request_message(RequestView(request(impact=(f"Groups (1): {HOSTILE}",)), "Deactivate", False, None))
    assert_shown_literally(msg, "request")
    assert any(text.startswith("Groups (1): ") for text in rich_texts(msg))


NOTE = "PRODUCTION — management account"


def test_the_approvers_to_notify_are_mentioned_users_and_groups():
    view = RequestView(request(), "Deactivate the access key", False, None, ping=("U0ANA0001", "S0SECURITY"))
    msg = request_message(view)
    check_limits(msg)
    [ping] = [b for b in msg.blocks if b["type"] == "rich_text" and "For your approval: " in json.dumps(b)]
    parts = ping["elements"][0]["elements"]
    assert parts[0]["text"] == "For your approval: "
    assert [p for p in parts if p["type"] in ("user", "usergroup")] == [
        {"type": "user", "user_id": "U0ANA0001"},
        {"type": "usergroup", "usergroup_id": "S0SECURITY"},
    ]
    assert msg.blocks.index(ping) == 2  # under who asks, above the plan: read before the buttons


def test_nobody_to_notify_no_ping_line():
    msg = request_message(RequestView(request(), "Deactivate the access key", False, None))
    assert "For your approval" not in all_rich_text(msg)
    assert "usergroup" not in json.dumps(msg.blocks) and users(msg) == [REQUESTER]


def test_the_accounts_note_is_a_context_line_under_the_header():
    msg = request_message(RequestView(request(), "Deactivate the access key", False, None, account_note=NOTE))
    check_limits(msg)
    assert msg.blocks[1]["type"] == "context"
    assert context_texts(msg.blocks)[0] == f"⚠ Account 111122223333: {NOTE}"
    plain = request_message(RequestView(request(), "Deactivate the access key", False, None))
    assert not [c for c in context_texts(plain.blocks) if c.startswith("⚠ Account")]


def test_a_hostile_note_is_shown_literally():
    msg = request_message(RequestView(request(), "Deactivate", False, None, account_note=HOSTILE))
    [note] = [c for c in context_texts(msg.blocks) if c.startswith("⚠ Account")]
    assert clean(HOSTILE) in note and not [c for c in HIDDEN if c in json.dumps(msg.blocks, ensure_ascii=False)]
    assert msg.blocks[1]["elements"][0]["type"] == "plain_text"  # Slack reads no markup in it
