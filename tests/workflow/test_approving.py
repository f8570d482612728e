"""What a click on Approve asks for first (bot/workflow/approving.py): the break-glass dialog for an
approver who may approve only through it, the code dialog where step-up wants a code, else nothing
— and a code wanted from someone without a device is refused with how to enrol."""

from __future__ import annotations

import pytest

from bot.workflow import Refused
from bot.workflow.approving import Ask, first_step
from bot.workflow.stepup import ENROL_HINT
from tests.conftest import APPROVER, APPROVER2, REQUESTER, STRANGER, TEST_SECRET_KEY
from tests.support.records import access_key_event


def asked(runtime, aws, remediation="deactivate-access-key", by=REQUESTER):
    event, _key = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    return runtime.workflow.remediations.ask_from_alert(remediation, event.key, by).id


def step(runtime, rid, user, dialog=True):
    wf = runtime.workflow
    return first_step(wf.remediations, wf.authz, wf.views, rid, user, dialog)


def test_without_step_up_or_break_glass_nothing_is_asked(runtime, aws):
    rid = asked(runtime, aws)
    assert step(runtime, rid, APPROVER).ask == Ask.NOTHING
    assert step(runtime, "RNOSUCH", APPROVER).ask == Ask.NOTHING  # approving says there is no such request


def test_step_up_asks_an_enrolled_approver_for_the_code(runtime_for, aws):
    runtime = runtime_for(step_up="destructive", secret_key=TEST_SECRET_KEY)
    rid = asked(runtime, aws, "delete-access-key")
    with pytest.raises(Refused, match="needs a code from your authenticator") as refused:
        step(runtime, rid, APPROVER)
    assert ENROL_HINT in str(refused.value)
    runtime.workflow.remediations.stepup.enrol(APPROVER)
    found = step(runtime, rid, APPROVER)
    assert (found.ask, found.view.request.id, found.with_code) == (Ask.CODE, rid, True)
    assert step(runtime, rid, APPROVER, dialog=False).ask == Ask.NOTHING  # by command: the code comes typed
    assert step(runtime, rid, STRANGER).ask == Ask.NOTHING  # not an approver: approving refuses, audited
    event_key = runtime.store.requests.get(rid).event_key
    plain = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event_key, REQUESTER).id
    assert step(runtime, plain, APPROVER).ask == Ask.NOTHING  # not destructive: no code


def test_break_glass_is_offered_to_the_approver_who_asked(runtime_for, aws):
    runtime = runtime_for(break_glass=True)
    rid = asked(runtime, aws, by=APPROVER)
    found = step(runtime, rid, APPROVER)
    assert (found.ask, found.view.request.id, found.with_code) == (Ask.BREAK_GLASS, rid, False)
    assert step(runtime, rid, APPROVER2).ask == Ask.NOTHING  # may approve as usual
    assert step(runtime, rid, APPROVER, dialog=False).ask == Ask.NOTHING  # no dialog: the command's flag
