"""The /iam listener over signed HTTP, through the real Bolt app: fast subcommands are answered in
the acknowledgement itself, slow ones are acknowledged at once and answered via response_url."""

from __future__ import annotations

import json
import urllib.parse

from handlers.iam.base import SUBCOMMANDS, Sub
from tests.conftest import APPROVER, REQUESTER
from tests.support.records import access_key_event, key_status
from tests.support.replies import rich_only, said
from tests.support.state import audit_actions, request_row


def acked(http, text, user=REQUESTER):
    status, body = http.slash(text, user)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral" and rich_only(answer)
    return answer


def later(slack, before):
    """The first answer posted to a response_url after the first ``before`` ones."""
    return slack.wait_for(lambda s: s.responses[before:])[0]


def test_a_fast_subcommand_is_answered_in_the_ack(http, slack):
    assert "/iam approve <request-id>" in said(acked(http, "help"))
    assert "/iam recent [n]" in said(acked(http, ""))
    answer = said(acked(http, "frobnicate now"))
    assert "unknown subcommand 'frobnicate'" in answer and "/iam help" in answer
    assert "could not read the arguments" in said(acked(http, 'remediate "unclosed'))
    # a slow one now: its answer is the first and only one sent to a response_url
    acked(http, "mfa 1")
    assert "/iam mfa [account-id]" in said(later(slack, 0))
    assert len(slack.responses) == 1


def test_a_slow_subcommand_is_acknowledged_then_answered(http, slack, aws):
    aws.client("iam").create_user(UserName="alice")
    aws.client("iam").create_login_profile(UserName="alice", Password="Correct-Horse-9-Battery")
    ack = acked(http, "mfa")
    assert said(ack) == "Working on /iam mfa…\n"
    answer = later(slack, 0)
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert "1 user(s) can sign in to the console without MFA" in said(answer) and "alice" in said(answer)


def test_remediate_approve_and_audit_by_command(runtime, http, slack, aws):
    iam_client = aws.client("iam")
    _, key = access_key_event(iam_client)
    ack = acked(http, f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key}")
    assert said(ack).startswith("Working on /iam remediate deactivate-access-key")
    answer = later(slack, 0)
    assert f"Would set access key {key} of user legacy-etl to Inactive" in said(answer)
    assert answer["response_type"] == "ephemeral"
    rid = request_row(runtime)["id"]
    assert rid in said(acked(http, "requests"))
    before = len(slack.responses)
    acked(http, f"approve {rid.lower()}", user=APPROVER)  # ids are case-insensitive
    assert "succeeded" in said(later(slack, before))
    assert key_status(iam_client, key) == "Inactive"
    audit = said(acked(http, "audit"))
    assert f"<@{APPROVER}> approve {rid}" in audit and f"iambot execute {rid}" in audit
    assert [a[0] for a in audit_actions(runtime)] == ["request", "approve", "execute"]


def test_deny_by_command_over_http(runtime, http, slack, aws):
    _, key = access_key_event(aws.client("iam"))
    acked(http, f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key}")
    later(slack, 0)
    rid = request_row(runtime)["id"]
    before = len(slack.responses)
    acked(http, f"deny {rid} planned rotation, ticket SEC-42", user=APPROVER)
    assert f"Request {rid} denied." in said(later(slack, before))
    assert request_row(runtime)["reason"] == "planned rotation, ticket SEC-42"
    before = len(slack.responses)
    acked(http, "deny R999999", user=APPROVER)
    assert "There is no request R999999." in said(later(slack, before))


def test_the_working_note_shows_the_command_literally(http, slack):
    ack = acked(http, "mute event=<!channel> reason=*x*", user=APPROVER)
    assert said(ack) == "Working on /iam mute event=<!channel> reason=*x*…\n"
    assert "<!channel>" not in ack["text"] and "&lt;!channel&gt;" in ack["text"]
    later(slack, 0)


def test_a_slow_subcommand_that_fails_is_still_answered(http, slack, monkeypatch):
    def boom(wf, user, args):
        raise RuntimeError("kaboom")

    monkeypatch.setitem(SUBCOMMANDS, "boom", Sub("boom", "fails", True, boom))
    assert said(acked(http, "boom")).startswith("Working on /iam boom")
    answer = said(later(slack, 0))
    assert "iambot hit an internal error (RuntimeError); it is logged. Nothing was changed." in answer
    assert "kaboom" not in answer


def test_a_command_without_a_user_gets_an_empty_ack(http, slack):
    body = urllib.parse.urlencode(
        {"command": "/iam", "text": "mfa", "team_id": "T0TEAM", "channel_id": "C0ALERTS",
         "response_url": http.responses + "nobody"}
    )
    status, text = http.post(body)
    assert (status, text) == (200, "")
    acked(http, "mfa 1")  # a later command is answered, and it is the only answer
    later(slack, 0)
    assert len(slack.responses) == 1
