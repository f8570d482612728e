"""bot/slack/messages/digest.py: the digest's counts in one table block (Slack's shape and limits),
and the rich-text form of the same digest as its fallback."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.messages import digest_message
from bot.slack.messages.base import MAX_BLOCKS
from bot.workflow import Digest
from tests.support.blocks import HIDDEN, HOSTILE, all_rich_text, check_limits


def digest(**changes):
    values = dict(
        total=7,
        by_severity={"critical": 1, "high": 2, "low": 4},
        by_event=[("UpdateAccessKey", 5), ("CreateUser", 2)],
        by_account=[("111122223333 (prod)", 6), ("444455556666", 1)],
        top_actors=[("erin", 7)],
        dispositions={"posted": 7},
        notable=[{"key": "k1", "severity": "critical", "summary": "x", "event_time": "t"}],
    )
    return Digest("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", **{**values, **changes})


def tables(msg):
    return [b for b in msg.blocks if b["type"] == "table"]


def cell_texts(table):
    return [[cell["text"] for cell in row] for row in table["rows"]]


def test_the_counts_are_one_table_of_three_columns():
    msg = digest_message(digest(), lambda key: None)
    check_limits(msg)
    [table] = tables(msg)  # Slack takes one table a message (only_one_table_allowed)
    assert cell_texts(table) == [
        ["Counted by", "Which", "Events"],
        ["severity", "critical", "1"],
        ["severity", "high", "2"],
        ["severity", "low", "4"],
        ["event", "UpdateAccessKey", "5"],
        ["event", "CreateUser", "2"],
        ["account", "111122223333 (prod)", "6"],
        ["account", "444455556666", "1"],
    ]
    assert all(cell["type"] == "raw_text" and cell["text"] for row in table["rows"] for cell in row)
    assert table["column_settings"] == [{"is_wrapped": False}, {"is_wrapped": True}, {"align": "right"}]
    assert msg.blocks.index(table) == 1  # after the title, before the high and critical alerts
    assert "High and critical" in all_rich_text(msg)
    assert "By event:" not in all_rich_text(msg)  # the counts are in the table, not repeated


def test_the_fallback_is_the_rich_text_form_with_the_same_counts():
    msg = digest_message(digest(), lambda key: None)
    assert msg.needs == "table" and msg.fallback is not None
    plain = msg.fallback
    assert tables(plain) == [] and plain.fallback is None and plain.text == msg.text
    assert plain == digest_message(digest(), lambda key: None, table=False)
    text = all_rich_text(plain)
    for expected in ("7 identity event(s)", ": 1 critical, 2 high, 4 low",
                     "By event: UpdateAccessKey ×5, CreateUser ×2",
                     "By account: 111122223333 (prod) ×6, 444455556666 ×1", "High and critical"):
        assert expected in text


def test_nothing_counted_no_table():
    waiting = digest(total=0, by_severity={}, by_event=[], by_account=[], top_actors=[], dispositions={}, notable=[],
                     waiting=[{"id": "RAAAAAA", "remediation_id": "deactivate-access-key", "age_minutes": 3}])
    msg = digest_message(waiting, lambda key: None)
    assert tables(msg) == [] and msg.fallback is None
    assert "Waiting for approval" in all_rich_text(msg)
    quiet = digest_message(Digest("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"), lambda key: None)
    assert tables(quiet) == [] and quiet.fallback is None


def test_hostile_names_are_literal_and_clipped_in_cells():
    msg = digest_message(digest(by_event=[(HOSTILE, 1), ("E" * 5000, 1)]), lambda key: None)
    [table] = tables(msg)
    cells = [cell["text"] for row in table["rows"] for cell in row]
    assert not any(h in c for c in cells for h in HIDDEN)
    assert max(len(c) for c in cells) <= 200


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(st.tuples(st.text(max_size=300), st.integers(0, 10**9)), max_size=10),
    accounts=st.lists(st.tuples(st.text(max_size=300), st.integers(0, 10**9)), max_size=10),
)
def test_any_counts_make_a_table_within_slack_limits(events, accounts):
    msg = digest_message(digest(by_event=events, by_account=accounts), lambda key: None)
    assert len(msg.blocks) <= MAX_BLOCKS
    [table] = tables(msg)
    assert len(table["rows"]) <= 100 and all(len(row) == 3 for row in table["rows"])
    assert all(cell["text"] for row in table["rows"] for cell in row)  # Slack refuses an empty cell
    json.dumps(msg.blocks)
