"""The /iam reports as a person reads them (bot/slack/messages/reports.py): the audit log, the MFA
report, the active mutes and an authenticator's enrolment, within Slack's limits, what came from
AWS or a person shown literally."""

from __future__ import annotations

from bot.aws.reports import NoMfaUser
from bot.slack.messages.reports import MFA_USERS_SHOWN, audit_message, enrolment_message, mfa_message, mutes_message
from bot.store import Suppression
from bot.workflow.reports import AuditEntry, MfaReport
from bot.workflow.stepup import Enrolment
from tests.conftest import APPROVER
from tests.support.blocks import HOSTILE, check_limits, users
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
