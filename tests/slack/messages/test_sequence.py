"""The sequence alert's message: the calls tried, most first; event text stays data."""

from __future__ import annotations

import json

from bot.slack.messages.sequence import account_of, sequence_message
from bot.store import SequenceRow


def row(**changes):
    values = dict(
        id="S1", kind="escalation", principal="arn:aws:iam::111122223333:user/mallory-dev",
        first_at="2026-11-20T10:00:00Z", last_at="2026-11-20T10:03:40Z", posted=True,
        calls=(("AttachUserPolicy", 3), ("PutUserPolicy", 1)), events=4, at_self=4,
    )
    values.update(changes)
    return SequenceRow(**values)


def test_a_self_escalation_attempt_names_the_calls_and_the_window():
    message = sequence_message(row())
    assert message.text.startswith("Self-escalation attempt (medium): ")
    assert "AttachUserPolicy ×3, PutUserPolicy" in message.text
    blocks = json.dumps(message.blocks)
    assert "Self-escalation attempt by arn:aws:iam::111122223333:user/mallory-dev" in blocks
    assert "first 2026-11-20 10:00:00 UTC, latest 2026-11-20 10:03:40 UTC" in blocks


def test_an_attempt_at_others_and_an_enumeration_are_named_so():
    assert sequence_message(row(at_self=0)).text.startswith("Privilege-escalation attempt (medium)")
    assert sequence_message(row(kind="enumeration", at_self=0)).text.startswith("Identity enumeration (medium)")


def test_hostile_principal_text_is_data():
    message = sequence_message(row(principal="<!channel> \u202e\x07" + "x" * 5000))
    assert "<!channel>" not in message.text
    header = message.blocks[0]
    assert header["type"] == "header" and len(header["text"]["text"]) <= 150
    assert "\x07" not in json.dumps(message.blocks) and "\u202e" not in json.dumps(message.blocks, ensure_ascii=False)


def test_the_accounts_note_is_shown_as_on_its_alerts():
    assert account_of("arn:aws:sts::111122223333:assumed-role/ops/ana") == "111122223333"
    assert account_of("mallory") is None and account_of("arn:aws:iam::not-an-id:user/x") is None
    assert account_of("arn:aws:iam::" + "\u0661\u0662\u0663\u0664" * 3 + ":user/x") is None  # isdigit's digits
    blocks = json.dumps(sequence_message(row(), "PRODUCTION: payments").blocks)
    assert "Account 111122223333: PRODUCTION: payments" in blocks
    assert "PRODUCTION" not in json.dumps(sequence_message(row()).blocks)
