"""The dialogs: modals Slack accepts, what they remember fits Slack's limit, and reading a
submission back is total — a forged or mangled view_submission reads as empty, never raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.views import View

from bot.slack.messages.dialogs import Dialog, answers, deny_dialog, dismiss_dialog
from tests.support.blocks import HOSTILE


def test_the_dialogs_are_modals_slack_accepts_and_remember_what_they_are_for():
    deny = deny_dialog("RABCDEF", "Deactivate the access key", "C0ALERTS")
    dismiss = dismiss_dialog("k|UpdateAccessKey|1", HOSTILE, "high", True, "C0ALERTS")
    for modal in (deny, dismiss):
        assert View(**{k: v for k, v in modal.items() if k != "type"}, type="modal").to_dict() == modal
        assert len(modal["title"]["text"]) <= 24
    assert (deny["callback_id"], json.loads(deny["private_metadata"])) == (
        Dialog.DENY.value,
        {"request": "RABCDEF", "channel": "C0ALERTS"},
    )
    assert json.loads(dismiss["private_metadata"]) == {"key": "k|UpdateAccessKey|1", "channel": "C0ALERTS"}
    [reason] = [b for b in dismiss["blocks"] if b.get("block_id") == "reason"]
    assert reason["optional"] is False  # required: a high alert
    assert dismiss_dialog("k", "s", "low", False, "C0")["blocks"][1]["optional"] is True
    assert "\u202e" not in json.dumps(dismiss, ensure_ascii=False)  # the summary is shown literally


def test_a_key_too_long_for_slacks_metadata_is_refused_not_cut():
    with pytest.raises(ValueError):
        dismiss_dialog("k" * 3000, "s", "low", False, "C0")


def test_a_submission_reads_back_its_reason_and_mute():
    view = dismiss_dialog("k1", "s", "high", True, "C0ALERTS")
    view["state"] = {
        "values": {
            "reason": {"reason-input": {"type": "plain_text_input", "value": "  planned\n rotation  "}},
            "mute": {"mute-input": {"selected_options": [{"value": "mute-like-this"}]}},
        }
    }
    got = answers(view)
    assert (got.metadata, got.reason, got.mute) == ({"key": "k1", "channel": "C0ALERTS"}, "planned rotation", True)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)


@given(st.one_of(JSON, st.fixed_dictionaries({"private_metadata": JSON | st.text(), "state": JSON})))
def test_reading_any_submission_is_total(view):
    got = answers(view)
    assert isinstance(got.reason, str) and len(got.reason) <= 500 and isinstance(got.mute, bool)
    assert all(isinstance(v, str) for v in got.metadata.values())
