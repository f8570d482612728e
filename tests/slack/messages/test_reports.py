"""The /iam reports as a person reads them (bot/slack/messages/reports.py): the audit log, the MFA
report, the active mutes and an authenticator's enrolment, within Slack's limits, what came from
AWS or a person shown literally."""

from __future__ import annotations

from bot.aws.reports import NoMfaUser
from bot.slack.messages.reports import (
    MFA_USERS_SHOWN,
    audit_message,
    enrolment_message,
    event_message,
    events_message,
    mfa_message,
    mutes_message,
    rejected_message,
    remediations_message,
    waiting_message,
)
from bot.store import StoredEvent, Suppression
from bot.workflow.reports import AuditEntry, MfaReport, Rejection
from bot.workflow.stepup import Enrolment
from tests.conftest import APPROVER
from tests.support.blocks import HOSTILE, alert_of, assert_shown_literally, check_limits, request, users
from tests.support.replies import said


def entry(user=APPROVER, detail="1 of 1", request_id="RAAAAAA"):
    return AuditEntry("2026-11-20T12:00:00Z", user, "approve", request_id, "deactivate-access-key", "ok", detail)


def test_the_audit_log_one_line_an_entry_iambot_by_name():
    msg = audit_message([entry(), entry(user="iambot", detail=None, request_id=None)])
    check_limits(msg)
    text = said(msg)
    assert text.startswith("The latest 2 audit entries")
    assert f"2026-11-20T12:00:00Z <@{APPROVER}> approve RAAAAAA deactivate-access-key → ok: 1 of 1" in text
    assert "2026-11-20T12:00:00Z iambot approve  deactivate-access-key → ok\n" in text
    assert users(msg) == [APPROVER]
    assert said(audit_message([])).startswith("The audit log is empty.")


def no_mfa(name):
    return NoMfaUser(name, f"arn:aws:iam::111122223333:user/{name}", "2026-11-01T00:00:00+00:00", "")


def test_the_mfa_report_root_first_then_each_user_clipped():
    many = tuple(no_mfa(f"user-{n:02d}") for n in range(MFA_USERS_SHOWN + 5))
    msg = mfa_message(MfaReport("111122223333", True, many))
    check_limits(msg)
    text = said(msg)
    assert text.startswith("MFA report, account 111122223333")
    assert text.index("The root user has no MFA.") < text.index(f"{len(many)} user(s) can sign in")
    assert "user-29 (password last used" in text and "user-30" not in text
    assert "iambot cannot enable MFA for someone else" in text
    clean = said(mfa_message(MfaReport(None, False, ())))
    assert clean.startswith("MFA report\n") and "The root user has MFA." in clean
    assert "Every user with a console password has MFA." in clean


def test_a_user_name_from_aws_is_shown_literally():
    msg = mfa_message(MfaReport(None, False, (no_mfa(HOSTILE),)))
    assert "U0EVIL1" not in users(msg) and "<!channel>" not in msg.text


def test_mutes_and_no_mutes():
    s = Suppression("M00001", "CreateAccessKey", "etl-bot", None, None, "rotation", APPROVER, "2026-11-20T10:00:00Z",
                    "2026-11-21T10:00:00Z", 3)  # fmt: skip
    text = said(mutes_message([s]))
    assert text.startswith("1 active suppression(s)")
    assert (f"M00001 event = CreateAccessKey, actor = etl-bot · until 2026-11-21T10:00:00Z · 3 hit(s) · "
            f"<@{APPROVER}>: rotation") in text  # fmt: skip
    assert said(mutes_message([])).startswith("No active suppressions.")


def test_the_enrolment_shows_the_code_the_key_and_the_uri():
    msg = enrolment_message(Enrolment("otpauth://totp/iambot:U0ANA0001?secret=JBSWY3DP", "JBSWY3DP", "█▀▀█\n█▄▄█"))
    check_limits(msg)
    text = said(msg)
    assert "█▀▀█\n█▄▄█" in text and "Key: JBSWY3DP" in text and "otpauth://totp/iambot:U0ANA0001" in text
    assert "JBSWY3DP" not in msg.text  # the notification never carries the key


def stored(n, summary):
    return StoredEvent(key=f"k{n}", id=f"evt-{n}", event_source="iam.amazonaws.com", event_name="CreateAccessKey",
                       event_time=f"2026-11-20T12:0{n}:00Z", account_id="111122223333", actor_name="erin",
                       actor_arn=None, severity="high", summary=summary, target={}, raw={}, origin="test",
                       ingested_at="2026-11-20T12:10:00Z")  # fmt: skip


def test_events_one_line_each_with_the_id_show_takes():
    msg = events_message([stored(2, "erin created an access key"), stored(1, HOSTILE)])
    check_limits(msg)
    text = said(msg)
    assert text.startswith("The latest 2 identity event(s)")
    assert "• 2026-11-20T12:02:00Z high erin created an access key · evt-2" in text
    assert_shown_literally(msg, "listing")
    assert said(events_message([])).startswith("No identity events stored yet.")


def test_one_event_and_several_sharing_an_id(assessor):
    alert = alert_of("UpdateAccessKey__authored__1.json", assessor)
    one = said(event_message([alert], alert.event.event_id))
    assert one.startswith(f"{alert.severity.upper()} · {alert.entry.title}")
    assert alert.summary in one and f"Account {alert.event.account_id}" in one
    assert all(f"• {r}" in one for r in alert.risk.reasons)
    assert "Remediations: " + ", ".join(o.id for o in alert.offers) in one
    two = said(event_message([alert, alert], "EVT1"))
    assert two.startswith("2 events with id EVT1") and two.count(alert.summary) == 2


def test_rejections_shown_literally():
    msg = rejected_message([Rejection("2026-11-20T12:00:00Z", "files", "s3://trail/k.json.gz:7", HOSTILE)])
    check_limits(msg)
    assert_shown_literally(msg, "listing")
    assert said(rejected_message([])).startswith("Nothing has been rejected.")


def test_waiting_requests_and_remediations():
    text = said(waiting_message([request("RWAIT01"), request("ROTHER1", account_id="444455556666")],
                                {"111122223333": "PRODUCTION"}))  # fmt: skip
    assert text.startswith("2 request(s) waiting")
    assert ("RWAIT01 Waiting for approval · Deactivate the access key in 111122223333 ⚠ PRODUCTION · 0/1 approvals"
            " · asked by") in text  # fmt: skip
    assert "ROTHER1 Waiting for approval · Deactivate the access key in 444455556666 · 0/1" in text
    assert said(waiting_message([], {})).startswith("No remediation requests are waiting.")
    listed = said(remediations_message({"deactivate-access-key", "delete-access-key", "reactivate-access-key"}))
    assert "deactivate-access-key user_name=… access_key_id=… — " in listed
    assert "delete-access-key" in listed and "(irreversible)" in listed
    assert "reactivate-access-key" not in listed  # an undo only: asked through Undo, never by name
    assert "quarantine-user" not in listed  # not enabled
