"""Step-up for approvals, with time frozen: a destructive approval needs a TOTP code from the
approver's own device; a code is good once; five wrong codes lock that approver for 15 minutes;
the device secret is stored encrypted and never logged; replacing a device needs a code from it;
every attempt is audited without the code."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from cryptography.fernet import Fernet

from bot.workflow import Refused
from bot.workflow.stepup import StepUpNeeded, holds_a_code, qr_text
from tests.conftest import APPROVER, APPROVER2, REQUESTER, TEST_SECRET_KEY
from tests.support.records import access_key_event, key_status

T0 = datetime(2026, 12, 7, 9, 0, 15, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def stepped(runtime_for, frozen):
    return runtime_for(step_up="destructive", secret_key=TEST_SECRET_KEY, destructive_approvals_required=1)


def code(secret, at, offset=0):
    totp = pyotp.TOTP(secret)
    return totp.at(int(at.timestamp()) + offset * totp.interval)


def destructive_request(runtime, aws):
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    return runtime.workflow.remediations.ask_from_alert("delete-access-key", event.key, REQUESTER), key, iam


def test_a_destructive_approval_needs_a_code_from_the_approvers_device(stepped, aws, frozen):
    wf = stepped.workflow
    request, key, iam = destructive_request(stepped, aws)
    assert wf.remediations.needs_code(request.id)
    with pytest.raises(StepUpNeeded, match="needs a code from your authenticator"):
        wf.remediations.approve(request.id, APPROVER)
    with pytest.raises(Refused, match=r"you have none\. Enrol with `/iam mfa-enroll`"):
        wf.remediations.approve(request.id, APPROVER, "123456")
    secret = wf.remediations.stepup.enrol(APPROVER).secret
    with pytest.raises(Refused, match=r"Wrong code \(1 of 5"):
        wf.remediations.approve(request.id, APPROVER, "000000" if code(secret, T0) != "000000" else "111111")
    assert key_status(iam, key) == "Active"
    done = wf.remediations.approve(request.id, APPROVER, code(secret, T0))
    assert done.status == "succeeded"
    assert key not in [k["AccessKeyId"] for k in iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"]]
    steps = [
        (r["user_id"], r["result"], r["detail"]) for r in stepped.store.audit.recent(20) if r["action"] == "step-up"
    ]
    assert sorted(s[1] for s in steps) == ["ok", "refused", "refused"]  # one time, frozen: order is by id
    assert all(code(secret, T0) not in (d or "") for _, _, d in steps)  # the code itself is never kept


def test_a_code_is_good_once_and_clock_drift_of_one_step_is_allowed(stepped, frozen):
    stepup = stepped.workflow.remediations.stepup
    secret = stepup.enrol(APPROVER).secret
    stepup.verify(APPROVER, code(secret, T0, -1))  # the phone is 30 s behind
    stepup.verify(APPROVER, code(secret, T0))
    with pytest.raises(Refused, match="already used"):
        stepup.verify(APPROVER, code(secret, T0))  # replayed
    with pytest.raises(Refused, match="already used"):
        stepup.verify(APPROVER, code(secret, T0, -1))  # an earlier step, after a later one
    with pytest.raises(Refused, match="Wrong code"):
        stepup.verify(APPROVER, code(secret, T0, 2))  # a minute ahead: too far
    frozen.shift(timedelta(seconds=30))
    stepup.verify(APPROVER, code(secret, T0 + timedelta(seconds=30)))


def test_five_wrong_codes_lock_that_approver_for_fifteen_minutes(stepped, frozen):
    stepup = stepped.workflow.remediations.stepup
    secret = stepup.enrol(APPROVER).secret
    other = stepup.enrol(APPROVER2).secret
    wrong = "999999" if code(secret, T0) != "999999" else "888888"
    for _ in range(4):
        with pytest.raises(Refused, match="Wrong code"):
            stepup.verify(APPROVER, wrong)
    with pytest.raises(Refused, match="5 wrong codes: your approvals are locked until 2026-12-07T09:15:15Z"):
        stepup.verify(APPROVER, wrong)
    with pytest.raises(Refused, match="locked until"):
        stepup.verify(APPROVER, code(secret, T0))  # even the right code, while locked
    stepup.verify(APPROVER2, code(other, T0))  # another approver is not locked out
    frozen.shift(timedelta(minutes=15, seconds=1))
    stepup.verify(APPROVER, code(secret, T0 + timedelta(minutes=15, seconds=1)))


def test_the_secret_is_encrypted_at_rest_and_never_logged(stepped, caplog):
    caplog.set_level(logging.DEBUG)
    enrolment = stepped.workflow.remediations.stepup.enrol(APPROVER)
    stored = stepped.store.db.one("SELECT secret FROM mfa_devices WHERE user_id = ?", (APPROVER,))["secret"]
    assert enrolment.secret not in stored
    assert Fernet(TEST_SECRET_KEY.encode()).decrypt(stored.encode()).decode() == enrolment.secret
    assert enrolment.uri.startswith("otpauth://totp/iambot:") and f"secret={enrolment.secret}" in enrolment.uri
    assert enrolment.secret not in caplog.text
    assert all(enrolment.secret not in (r["detail"] or "") for r in stepped.store.audit.recent(10))


def test_replacing_a_device_needs_a_code_from_the_current_one(stepped, frozen):
    stepup = stepped.workflow.remediations.stepup
    first = stepup.enrol(APPROVER).secret
    with pytest.raises(Refused, match="You have a device already"):
        stepup.enrol(APPROVER)  # what a stolen session would try
    second = stepup.enrol(APPROVER, code(first, T0)).secret
    frozen.shift(timedelta(seconds=30))
    later = T0 + timedelta(seconds=30)
    with pytest.raises(Refused, match="Wrong code"):
        stepup.verify(APPROVER, code(first, later))  # the old device no longer counts
    stepup.verify(APPROVER, code(second, later))


def test_step_up_follows_the_setting(runtime_for, aws, frozen):
    everything = runtime_for(step_up="all", secret_key=TEST_SECRET_KEY)
    iam = aws.client("iam")
    event, _key = access_key_event(iam)
    everything.workflow.intake.take([event])
    request = everything.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    assert everything.workflow.remediations.needs_code(request.id)  # not destructive, but "all"
    off = runtime_for(step_up="off")
    assert not off.workflow.remediations.needs_code(request.id)


def test_the_qr_code_is_drawn_with_half_blocks_in_a_square():
    drawn = qr_text("otpauth://totp/iambot:U0APPROVE1?secret=JBSWY3DPEHPK3PXP&issuer=iambot").split("\n")
    width = len(drawn[0])
    assert {len(row) for row in drawn} == {width} and set("".join(drawn)) <= set("█▀▄ ")
    assert abs(width - 2 * len(drawn)) <= 2  # one character is a module wide and two tall
    assert drawn[0].strip() == "" and drawn[-1].strip() == ""  # the quiet zone


@pytest.mark.parametrize(
    ("text", "held"),
    [("123456", True), ("it is 123456.", True), ('"654321"', True), ("INC-123456", False), ("1234567", False),
     ("12345", False), ("１２３４５６", False), ("", False)],
)  # fmt: skip
def test_a_six_digit_word_is_taken_for_a_code(text, held):
    assert holds_a_code(text) is held
