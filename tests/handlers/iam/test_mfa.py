"""/iam mfa-enroll and /iam approve with a code, through the real Bolt app: the enrolment is
answered privately in the acknowledgement, its key never reaches a log, a second enrolment needs
a code from the current device, and a destructive approval by command takes the code."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

import pyotp
import pytest
import time_machine

from tests.conftest import APPROVER, REQUESTER, TEST_SECRET_KEY
from tests.support.records import access_key_event
from tests.support.replies import said
from tests.support.state import request_status

T0 = datetime(2026, 12, 7, 9, 0, 15, tzinfo=UTC)


@pytest.fixture
def stepped(runtime_for):
    with time_machine.travel(T0, tick=False):
        yield runtime_for(step_up="destructive", secret_key=TEST_SECRET_KEY, destructive_approvals_required=1)


@pytest.fixture
def stepped_http(stepped, http_for):
    return http_for(stepped)


def enrol(http, slack, user=APPROVER, code=""):
    """The private answer to /iam mfa-enroll (after the acknowledgement, by response_url)."""
    before = len(slack.responses)
    status, body = http.slash(f"mfa-enroll {code}".strip(), user)
    assert status == 200
    assert (code not in body and "•••" in body) if code else "•••" not in body  # a code is never repeated
    return slack.wait_for(lambda s: s.responses[before:])[0]


def test_enrolment_is_private_shows_a_qr_code_and_its_key_and_never_logs_it(stepped, stepped_http, slack, caplog):
    caplog.set_level(logging.INFO)  # what `iambot run` logs (bot/runtime/logs.py keeps slack_sdk at INFO)
    answer = enrol(stepped_http, slack)
    assert answer["response_type"] == "ephemeral"
    text = said(answer)
    secret = re.search(r"Key: ([A-Z2-7]{32})", text).group(1)
    assert f"otpauth://totp/iambot:{APPROVER}?secret={secret}&issuer=iambot" in text
    assert any(b["elements"][0]["type"] == "rich_text_preformatted" and "█" in json.dumps(b, ensure_ascii=False)
               for b in answer["blocks"])  # fmt: skip
    assert secret not in caplog.text
    assert stepped.workflow.remediations.stepup.enrolled(APPROVER)
    again = said(enrol(stepped_http, slack))
    assert "You have a device already" in again and secret not in again  # shown once only


def test_a_destructive_approval_by_command_takes_the_code(stepped, stepped_http, slack, aws):
    secret = re.search(r"Key: ([A-Z2-7]{32})", said(enrol(stepped_http, slack))).group(1)
    event, _key = access_key_event(aws.client("iam"))
    stepped.workflow.intake.take([event])
    request = stepped.workflow.remediations.ask_from_alert("delete-access-key", event.key, REQUESTER)
    status, ack = stepped_http.slash(f"approve {request.id}", APPROVER)
    assert status == 200 and "Working on /iam approve" in said(json.loads(ack))
    told = slack.wait_for(lambda s: [r for r in s.responses if "needs a code" in said(r)])
    assert request.id in said(told[0])
    code = pyotp.TOTP(secret).at(T0)
    status, ack = stepped_http.slash(f"approve {request.id} {code}", APPROVER)
    assert code not in said(json.loads(ack))  # the acknowledgement does not repeat the code
    slack.wait_for(lambda s: request_status(stepped) == "succeeded")


def test_break_glass_by_command_takes_the_code_before_the_reason(runtime_for, http_for, slack, aws):
    with time_machine.travel(T0, tick=False):
        runtime = runtime_for(step_up="destructive", secret_key=TEST_SECRET_KEY, destructive_approvals_required=2,
                              break_glass=True)  # fmt: skip
        http = http_for(runtime)
        secret = re.search(r"Key: ([A-Z2-7]{32})", said(enrol(http, slack))).group(1)
        event, _key = access_key_event(aws.client("iam"))
        runtime.workflow.intake.take([event])
        request = runtime.workflow.remediations.ask_from_alert("delete-access-key", event.key, APPROVER)
        code = pyotp.TOTP(secret).at(T0)
        status, ack = http.slash(f"approve {request.id} {code} --break-glass the key is public, INC-9", APPROVER)
        assert status == 200 and said(json.loads(ack)) == f"Working on /iam approve {request.id} •••…\n"
        slack.wait_for(lambda s: request_status(runtime) == "succeeded")  # alone, though two are needed
    assert runtime.store.db.one("SELECT detail FROM audit WHERE action = 'break-glass'")["detail"].endswith("INC-9")
