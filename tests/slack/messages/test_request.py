"""The approval message of a request: its blast radius, under the plan, before anyone approves."""

from __future__ import annotations

from bot.slack.messages import request_message
from bot.workflow import RequestView
from tests.support.blocks import HOSTILE, assert_shown_literally, check_limits, request, rich_texts

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
