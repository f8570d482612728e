"""The hunt's one summary message: the question, the counts, the worst rows; whatever the stored
data holds, a message that Slack accepts and text that came from events shown literally."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.messages.hunt import hunt_message
from tests.support.mutations import json_values

ROW = {"severity": "high", "when": "2026-12-04 07:01", "event": "AttachUserPolicy", "actor": "tester",
       "account": "111122223333", "summary": "tester attached AdministratorAccess to user <!channel>"}  # fmt: skip


def test_the_message_says_what_was_asked_and_found():
    message = hunt_message({"question": "access key AKIAIOSFODNN7EXAMPLE", "floor": "medium",
                            "counts": {"high": 1}, "top": [ROW], "scan": "Athena query q: 1 row(s)"})  # fmt: skip
    assert message.text.startswith("Hunt: access key AKIAIOSFODNN7EXAMPLE") and "1 high" in message.text
    body = json.dumps(message.blocks)
    assert "AttachUserPolicy" in body and "Athena query q" in body
    assert '"type": "broadcast"' not in body  # an event's text never mentions a channel


@given(st.dictionaries(st.sampled_from(["question", "floor", "counts", "top", "scan"]), json_values))
def test_any_stored_data_renders(data):
    message = hunt_message(data)
    assert message.blocks and len(message.text) <= 4000
