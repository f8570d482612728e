"""/iam over signed HTTP: fast answers in the ack, slow ones via response_url."""

from __future__ import annotations

import json

from tests.conftest import APPROVER, REQUESTER, as_account, load
from tests.test_slack_app import access_key_event, audit_actions, key_status


def ack_text(http, text, user=REQUESTER):
    status, body = http.slash(text, user)
    assert status == 200
    return json.loads(body)["text"]


def later(slack, before):
    return slack.wait_for(lambda s: [r for r in s.responses[before:] if not r["text"].startswith("Working")])[0]


def test_help_and_unknown(http):
    assert "/iam approve <request-id>" in ack_text(http, "help")
    assert "/iam recent" in ack_text(http, "")
    answer = ack_text(http, "frobnicate now")
    assert "unknown subcommand `frobnicate`" in answer and "help" in answer


def test_explain(http):
    answer = ack_text(http, "explain updateaccesskey")
    assert "UpdateAccessKey: Access key status changed" in answer and "deactivate-access-key" in answer
    assert "no catalog entry" in ack_text(http, "explain NotAnEvent")
    assert "give one IAM event name" in ack_text(http, "explain")


def test_recent_and_show(runtime, http, aws):
    runtime.service.ingest([access_key_event(aws.client("iam"))[0]])
    recent = ack_text(http, "recent 5")
    assert "erin@example.com" in recent and "critical" in recent
    assert "n must be a number from 1 to 50" in ack_text(http, "recent 500")
    assert "n must be a number" in ack_text(http, "recent lots")
    event_id = as_account(load("UpdateAccessKey__authored__1.json"))["eventID"]
    shown = ack_text(http, f"show {event_id}")
    assert "CRITICAL" in shown and "without MFA" in shown
    assert "no stored event" in ack_text(http, "show nope")


def test_remediate_approve_and_audit_by_command(runtime, http, slack, aws):
    iam = aws.client("iam")
    _, key = access_key_event(iam)
    assert ack_text(http, f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key}").startswith(
        "Working"
    )
    answer = later(slack, 0)
    assert "Would set access key" in answer["text"] and answer["response_type"] == "ephemeral"
    rid = runtime.store.row("SELECT id FROM requests")["id"]
    assert rid in ack_text(http, "requests")
    before = len(slack.responses)
    ack_text(http, f"approve {rid.lower()}", user=APPROVER)  # ids are case-insensitive
    assert "succeeded" in later(slack, before)["text"]
    assert key_status(iam, key) == "Inactive"
    audit = ack_text(http, "audit")
    assert f"<@{APPROVER}> approve {rid}" in audit and "iambot execute" in audit
    assert [a[0] for a in audit_actions(runtime)] == ["request", "approve", "execute"]


def test_remediate_bad_input_is_explained(http, slack, aws):
    cases = {
        "remediate": "/iam remediate <remediation-id>",
        "remediate nope": "no remediation 'nope'",
        "remediate deactivate-access-key user_name=legacy-etl": "access_key_id: Field required",
        "remediate deactivate-access-key user_name=x access_key_id=AKIAIOSFODNN7EXAMPLE color=red": "color: unknown",
        "remediate deactivate-access-key oops": "`oops` is not key=value",
        "remediate deactivate-access-key user_name=ghost access_key_id=AKIAIOSFODNN7EXAMPLE": "ghost does not exist",
        'remediate "unclosed': "could not read the arguments",
    }
    for text, expected in cases.items():
        before = len(slack.responses)
        first = ack_text(http, text)
        answer = first if not first.startswith("Working") else later(slack, before)["text"]
        assert expected in answer, (text, answer)


def test_deny_by_command_with_reason(runtime, http, slack, aws):
    iam = aws.client("iam")
    _, key = access_key_event(iam)
    ack_text(http, f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key}")
    later(slack, 0)
    rid = runtime.store.row("SELECT id FROM requests")["id"]
    before = len(slack.responses)
    ack_text(http, f"deny {rid} planned rotation, ticket SEC-42", user=APPROVER)
    assert "denied" in later(slack, before)["text"]
    row = runtime.store.row("SELECT status, reason FROM requests")
    assert row == {"status": "denied", "reason": "planned rotation, ticket SEC-42"}
    before = len(slack.responses)
    ack_text(http, "deny R999999", user=APPROVER)
    assert "no request R999999" in later(slack, before)["text"]


def test_mfa_report(runtime, http, slack, aws):
    iam = aws.client("iam")
    for name in ("alice", "bob", "carol"):
        iam.create_user(UserName=name)
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9-Battery")
    iam.create_login_profile(UserName="bob", Password="Correct-Horse-9-Battery")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="bob", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    ack_text(http, "mfa")
    answer = later(slack, 0)["text"]
    assert "`alice`" in answer and "`bob`" not in answer and "`carol`" not in answer  # carol has no console
    assert "1 user(s) can sign in to the console without MFA" in answer
    assert "cannot enable MFA for someone else" in answer
    before = len(slack.responses)
    ack_text(http, "mfa everything")
    assert "`/iam mfa [account-id]`" in later(slack, before)["text"]
