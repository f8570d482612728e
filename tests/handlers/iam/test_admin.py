"""/iam audit, mfa, digest, mute, mutes, unmute."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

import handlers.iam as iam
from tests.conftest import ALERTS, APPROVER, REQUESTER, STRANGER
from tests.support.records import access_key_event
from tests.support.replies import rich_only, said
from tests.support.state import audit_actions, request_row


def ask(runtime, text, user=REQUESTER):
    answer = iam.run(runtime.workflow, user, text)
    assert rich_only(answer)
    return said(answer)


# ------------------------------------------------------------------ audit


def test_audit_lists_who_did_what_newest_first(runtime, aws):
    assert ask(runtime, "audit").startswith("The audit log is empty.")
    _, key = access_key_event(aws.client("iam"))
    ask(runtime, f"remediate deactivate-access-key user_name=legacy-etl access_key_id={key}")
    rid = request_row(runtime)["id"]
    ask(runtime, f"approve {rid}", user=APPROVER)
    audit = ask(runtime, "audit")
    assert audit.startswith("The latest 3 audit entries")
    assert f"<@{APPROVER}> approve {rid} deactivate-access-key → ok: 1 of 1" in audit
    assert f"iambot execute {rid} deactivate-access-key → succeeded" in audit
    assert f"<@{REQUESTER}> request {rid} deactivate-access-key → ok: Would set access key {key}" in audit
    assert audit.index("iambot execute") < audit.index(f"<@{APPROVER}> approve") < audit.index(f"<@{REQUESTER}>")
    assert ask(runtime, "audit 1").startswith("The latest 1 audit entries")
    assert "n must be a number from 1 to 50" in ask(runtime, "audit 99")


# ------------------------------------------------------------------ mfa


def test_mfa_report_names_console_users_without_mfa(runtime, aws):
    iam_client = aws.client("iam")
    for name in ("alice", "bob", "carol"):
        iam_client.create_user(UserName=name)
    iam_client.create_login_profile(UserName="alice", Password="Correct-Horse-9-Battery")
    iam_client.create_login_profile(UserName="bob", Password="Correct-Horse-9-Battery")
    serial = iam_client.create_virtual_mfa_device(VirtualMFADeviceName="bob")["VirtualMFADevice"]["SerialNumber"]
    iam_client.enable_mfa_device(
        UserName="bob", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    answer = ask(runtime, "mfa")
    assert answer.startswith("MFA report")
    assert "1 user(s) can sign in to the console without MFA; ask each to add a device:" in answer
    assert "• alice (password last used" in answer
    assert "• bob " not in answer and "• carol " not in answer  # bob has MFA; carol has no console password
    assert "iambot cannot enable MFA for someone else" in answer
    assert ("report", REQUESTER, "ok") in audit_actions(runtime)


def test_mfa_with_every_console_user_covered(runtime, aws):
    aws.client("iam").create_user(UserName="no-console")
    assert "Every user with a console password has MFA." in ask(runtime, "mfa")


def test_mfa_arguments_and_who_may_ask(runtime_for, aws):
    runtime = runtime_for(requesters=[REQUESTER])
    assert "/iam mfa [account-id]" in ask(runtime, "mfa everything")
    assert "Only requesters and approvers can run account reports." in ask(runtime, "mfa", user=STRANGER)
    assert ("report", STRANGER, "refused") in audit_actions(runtime)
    other = ask(runtime, "mfa 210987654321", user=APPROVER)
    assert "No role is configured for account 210987654321" in other and "IAMBOT_REMEDIATION_ROLE" in other


# ------------------------------------------------------------------ digest


def test_digest_now_needs_an_approver_and_keeps_the_schedule(runtime, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    assert "Only approvers can post the digest now." in ask(runtime, "digest", user=REQUESTER)
    assert ("digest", REQUESTER, "refused") in audit_actions(runtime)
    with time_machine.travel(runtime.workflow.digests.clock() + timedelta(minutes=1)):
        answer = ask(runtime, "digest", user=APPROVER)
    assert re.search(r"Posted the digest to the digest channel: 1 identity event\(s\) since \S+Z\. ", answer)
    assert "The scheduled digest still covers the whole period." in answer
    assert len(slack.posted(ALERTS)) == 2  # the alert, then the digest (no digest_channel: the alert channel)
    assert runtime.store.cursors.get("digest") is None  # the scheduled digest's period did not move
    assert ("digest", APPROVER, "ok") in audit_actions(runtime)


# ------------------------------------------------------------------ mute, mutes, unmute


def test_mute_lists_counts_hits_and_unmute(runtime, slack, aws):
    answer = ask(
        runtime,
        'mute event=UpdateAccessKey actor=erin@example.com for=12h reason="planned rotation, SEC-42"',
        user=APPROVER,
    )
    sid = re.search(r"Suppression (M\S+) for 12 h: event = UpdateAccessKey, actor = erin@example.com\.", answer)
    assert sid, answer
    sid = sid.group(1)
    assert "Matching events are stored and counted in the digest." in answer

    event, _ = access_key_event(aws.client("iam"))
    [taken] = runtime.workflow.intake.take([event]).taken
    assert taken.disposition == "suppressed"
    assert [sid in (p.get("text") or "") for p in slack.posted()] == [True]  # only the mute's announcement
    listing = ask(runtime, "mutes")
    assert listing.startswith("1 active suppression(s)")
    assert f"{sid} event = UpdateAccessKey, actor = erin@example.com · until " in listing
    assert f"· 1 hit(s) · <@{APPROVER}>: planned rotation, SEC-42" in listing

    assert f"Lifted {sid}." in ask(runtime, f"unmute {sid.lower()}", user=APPROVER)  # ids are case-insensitive
    assert ask(runtime, "mutes").startswith("No active suppressions.")
    assert f"No active suppression {sid}" in ask(runtime, f"unmute {sid}", user=APPROVER)
    assert [a for a in audit_actions(runtime) if a[0] in ("mute", "unmute")] == [
        ("mute", APPROVER, "ok"),
        ("unmute", APPROVER, "ok"),
        ("unmute", APPROVER, "refused"),
    ]


def test_mute_durations(runtime):
    assert " for 0.5 h: target = legacy-etl." in ask(runtime, "mute target=legacy-etl for=30m reason=x", user=APPROVER)
    assert " for 168 h: account = 123456789012." in ask(runtime, "mute account=123456789012 for=7d reason=x",
                                                        user=APPROVER)
    assert " for 24 h: event = CreateUser." in ask(runtime, "mute event=CreateUser reason=x", user=APPROVER)
    assert len(runtime.workflow.suppressions.active()) == 3


def test_mute_needs_an_approver_a_criterion_and_a_reason(runtime):
    assert "Only approvers can create suppressions." in ask(runtime, "mute event=CreateUser reason=x", user=STRANGER)
    assert "Say what to mute: event=, actor=, target= or account=" in ask(runtime, "mute for=1h reason=x",
                                                                         user=APPROVER)
    assert "Give a reason" in ask(runtime, "mute event=CreateUser", user=APPROVER)
    assert "Only approvers can lift suppressions." in ask(runtime, "unmute M123", user=STRANGER)
    assert runtime.workflow.suppressions.active() == []
    assert [a for a in audit_actions(runtime) if a[2] == "refused"] == [
        ("mute", STRANGER, "refused"),
        ("unmute", STRANGER, "refused"),
    ]
