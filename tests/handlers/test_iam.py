"""handlers/iam: reading a /iam command line, telling fast subcommands from slow ones, and
turning every mistake into a reply that says how to do it right — never a traceback. Whatever
the person typed is shown back literally."""

from __future__ import annotations

import json
import logging

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handlers.iam as iam
from bot.store import StoreBusy
from handlers.iam.base import SUBCOMMANDS, Sub, Usage
from tests.conftest import APPROVER, REQUESTER, STRANGER
from tests.support.mutations import EXAMPLES
from tests.support.replies import rich_only, said

FAST = {"help", "explain", "recent", "show", "rejected", "requests", "remediations", "audit", "mutes"}
# AWS calls or state changes
SLOW = {"approve", "deny", "remediate", "undo", "mfa", "mfa-enroll", "digest", "mute", "unmute"}
INTERNAL = "internal error"
# the bare words they read; --break-glass and a code reach /iam approve's break-glass parsing
LITERALS = ["R1", "deactivate-access-key", "0", "-1", "999999999999", '"', "=", "x=", "--break-glass", "123456"]
WORDS = ["event", "actor", "target", "account", "for", "reason", "user_name", "access_key_id", "unused_days"]


def test_every_subcommand_is_fast_or_slow():
    assert set(SUBCOMMANDS) == FAST | SLOW
    for name in FAST:
        assert not iam.is_slow(name) and not iam.is_slow(f"{name.upper()} 5")
    for name in SLOW:
        assert iam.is_slow(name) and iam.is_slow(f"{name.upper()} R1 x=1")


def test_what_cannot_be_read_or_is_unknown_is_answered_at_once():
    assert not iam.is_slow("")  # help
    assert not iam.is_slow("frobnicate now")
    assert not iam.is_slow('approve "unclosed')  # the reason goes in the ack


def test_split():
    assert iam.split("") == ("help", [])
    assert iam.split("   ") == ("help", [])
    assert iam.split("APPROVE r1") == ("approve", ["r1"])
    assert iam.split('mute event=X reason="planned rotation, SEC-42" for=2h') == (
        "mute",
        ["event=X", "reason=planned rotation, SEC-42", "for=2h"],
    )
    with pytest.raises(Usage, match="could not read the arguments"):
        iam.split('remediate "unclosed')


def test_help_lists_every_subcommand(runtime):
    for text in ("help", "", "  HELP "):
        shown = said(iam.run(runtime.workflow, REQUESTER, text))
        assert "/iam approve <request-id>" in shown and "/iam recent [n]" in shown
        for sub in SUBCOMMANDS.values():
            assert f"/iam {sub.usage}" in shown and sub.help in shown


def test_unknown_subcommand_is_named_and_points_to_help(runtime):
    answer = iam.run(runtime.workflow, REQUESTER, "frobnicate now")
    shown = said(answer)
    assert "unknown subcommand 'frobnicate'" in shown and "(/iam help)" in shown
    assert all(name in shown for name in SUBCOMMANDS)
    assert shown.startswith(":warning:") and INTERNAL not in shown


MISTAKES = {
    "recent lots": "n must be a number from 1 to 50",
    "recent 0": "n must be a number from 1 to 50",
    "recent 500": "n must be a number from 1 to 50",
    "recent 1 2": "/iam recent [n]",
    "audit 99": "n must be a number from 1 to 50",
    "rejected -1": "n must be a number from 1 to 50",
    "rejected ²": "n must be a number from 1 to 50",  # a digit to str.isdigit, not to int()
    "audit ٣": "n must be a number from 1 to 50",  # a digit to int(), but not one people type
    "show": "give the event id",
    "show a b": "give the event id",
    "explain": "give one event name",
    "explain UpdateAccessKey CreateUser": "give one event name",
    "approve": "/iam approve <request-id>",
    "approve R1 R2": "/iam approve <request-id>",
    "deny": "/iam deny <request-id> [reason]",
    "remediate": "/iam remediate <remediation-id> key=value",
    "remediate deactivate-access-key oops": "'oops' is not key=value",
    "remediate deactivate-access-key =x": "'=x' is not key=value",
    "remediate deactivate-access-key account=12": "account= takes a 12-digit AWS account id",
    "remediate deactivate-access-key account=١٢٣٤٥٦٧٨٩٠١٢": "account= takes a 12-digit AWS account id",
    "mfa 12": "/iam mfa [account-id]",
    "mfa 123456789012 more": "/iam mfa [account-id]",
    "mfa ¹²³⁴⁵⁶⁷⁸⁹⁰¹²": "/iam mfa [account-id]",
    "mute": "/iam mute [event=…] [actor=…] [target=…] [account=…] for=24h",
    "mute color=red": "'color=red' is not one of event=, actor=, target=, account=, for=, reason=",
    "mute event=X for=soon": "for= takes a duration like 30m, 12h or 7d",
    "mute event=X for=100d": "a suppression lasts between 1 minute and 90 days",
    "mute event=X for=0h": "a suppression lasts between 1 minute and 90 days",
    "unmute": "/iam unmute <suppression-id>",
    "unmute S1 S2": "/iam unmute <suppression-id>",
    'show "unclosed': "could not read the arguments: No closing quotation",
}


@pytest.mark.parametrize("text", sorted(MISTAKES))
def test_bad_arguments_say_how_and_change_nothing(runtime, text):
    answer = iam.run(runtime.workflow, APPROVER, text)
    shown = said(answer)
    assert MISTAKES[text] in shown, shown
    assert shown.startswith(":warning:") and INTERNAL not in shown and "Traceback" not in shown
    assert runtime.store.audit.recent(5) == []  # a mistake is not an action
    assert runtime.store.db.one("SELECT COUNT(*) AS n FROM requests")["n"] == 0
    assert runtime.store.db.one("SELECT COUNT(*) AS n FROM suppressions")["n"] == 0


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    user=st.sampled_from([STRANGER, APPROVER]),  # an approver reaches mute, digest and approve
    name=st.sampled_from([*sorted(SUBCOMMANDS), "", "nope"]),
    args=st.one_of(
        st.text(st.characters(codec="utf-8"), max_size=60),
        st.lists(  # the words the subcommands read, in any order and with any values
            st.one_of(
                st.sampled_from(WORDS).flatmap(lambda w: st.text(max_size=12).map(lambda v: f"{w}={v}")),
                st.sampled_from(LITERALS),
            ),
            max_size=6,
        ).map(" ".join),
    ),
)
def test_no_input_is_ever_a_traceback(runtime, user, name, args):
    answer = iam.run(runtime.workflow, user, f"{name} {args}")
    assert answer.blocks and rich_only(answer)
    assert INTERNAL not in answer.text and "Traceback" not in said(answer)


def _boom(exc: BaseException) -> Sub:
    def run(wf, user, args):
        raise exc

    return Sub("boom", "fails", False, run)


def test_an_unexpected_failure_is_logged_and_answered_without_details(runtime, monkeypatch, caplog):
    monkeypatch.setitem(SUBCOMMANDS, "boom", _boom(RuntimeError("secret detail in /srv/iambot/x.py")))
    with caplog.at_level(logging.ERROR, logger="handlers.iam"):
        answer = iam.run(runtime.workflow, REQUESTER, "boom")
    shown = said(answer)
    assert "iambot hit an internal error (RuntimeError); it is logged. Nothing was changed." in shown
    assert "secret detail" not in shown and "Traceback" not in shown
    assert any(r.exc_info and "secret detail" in str(r.exc_info[1]) for r in caplog.records)


def test_expected_failures_are_explained(runtime, monkeypatch):
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListUsers")
    monkeypatch.setitem(SUBCOMMANDS, "aws", _boom(denied))
    monkeypatch.setitem(SUBCOMMANDS, "busy", _boom(StoreBusy("locked")))
    assert "AWS said: An error occurred (AccessDenied)" in said(iam.run(runtime.workflow, REQUESTER, "aws"))
    assert "database is busy right now; nothing was changed" in said(iam.run(runtime.workflow, REQUESTER, "busy"))


TYPED = "<!channel>*b*_i_~s~`c`&amp;\u202e\x1b[31m"


def test_a_persons_own_text_is_echoed_literally(runtime):
    answer = iam.run(runtime.workflow, REQUESTER, f"explain {TYPED}")
    shown = said(answer)
    # shown in rich text, which Slack does not read as markup; hidden characters made visible
    assert rich_only(answer) and f"no catalog entry for {TYPED!r}" in shown
    assert "\u202e" not in shown and "\x1b" not in shown
    # the notification text, which Slack reads as mrkdwn, cannot ping or link
    assert "<!channel>" not in answer.text and "&lt;!channel&gt;" in answer.text


def test_a_typed_mention_in_a_refusal_mentions_nobody(runtime):
    """What a person typed reaches a refusal only as an id stripped to letters and digits."""
    answer = iam.run(runtime.workflow, APPROVER, f"unmute <@{STRANGER}>")
    assert f"No active suppression {STRANGER}" in said(answer)
    assert '"type": "user"' not in json.dumps(answer.blocks)
    assert "<@" not in answer.text


def test_a_typed_mention_in_a_usage_reply_notifies_nobody(runtime):
    answer = iam.run(runtime.workflow, REQUESTER, f"explain <@{STRANGER}>")
    assert f"<@{STRANGER}>" not in answer.text
