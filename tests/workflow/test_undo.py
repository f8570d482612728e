"""Undo: a remediation that succeeded offers its inverse for undo_hours, as a request like any
other (approved, drift-checked against the state it left, audited); irreversible ones say why
not; an undo after the window, or of what changed again since, is refused with the reason."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from bot.slack.messages import request_message
from bot.workflow import Refused
from tests.conftest import APPROVER, APPROVER2, REQUESTER
from tests.support.records import access_key_event, key_status
from tests.support.state import audit_actions


def deactivated(runtime, aws):
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    wf = runtime.workflow
    request = wf.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    done = wf.remediations.approve(request.id, APPROVER)
    assert done.status == "succeeded" and key_status(iam, key) == "Inactive"
    return done, key, iam


def test_a_deactivated_key_is_re_activated_by_its_undo_after_approval(runtime, aws):
    wf = runtime.workflow
    done, key, iam = deactivated(runtime, aws)
    view = wf.views.request_view(done.id)
    assert view.undo is not None and view.undo.undo.remediation_id == "reactivate-access-key"
    shown = json.dumps(request_message(view).blocks)
    assert '"action_id": "undo"' in shown and "Re-activate" in shown
    undoing = wf.remediations.undo(done.id, REQUESTER)
    assert undoing.remediation_id == "reactivate-access-key" and undoing.status == "requested"
    assert undoing.params == {"user_name": "legacy-etl", "access_key_id": key}
    assert key_status(iam, key) == "Inactive"  # nothing before approval
    assert wf.views.request_view(undoing.id).undoes == done.id
    wf.remediations.approve(undoing.id, APPROVER2)
    assert key_status(iam, key) == "Active"
    assert ("undo", REQUESTER, "ok") in audit_actions(runtime)


def test_an_undo_of_what_changed_again_since_is_refused(runtime, aws):
    done, key, iam = deactivated(runtime, aws)
    iam.update_access_key(UserName="legacy-etl", AccessKeyId=key, Status="Active")  # someone did it by hand
    with pytest.raises(Refused, match="Nothing to do"):
        runtime.workflow.remediations.undo(done.id, REQUESTER)


def test_the_undo_window_closes(runtime_for, aws):
    runtime = runtime_for(undo_hours=2)
    done, _key, _iam = deactivated(runtime, aws)
    with time_machine.travel(runtime.workflow.remediations.clock() + timedelta(hours=2, seconds=1)):
        assert runtime.workflow.views.request_view(done.id).undo is None
        with pytest.raises(Refused, match=r"The undo window \(2 h"):
            runtime.workflow.remediations.undo(done.id, REQUESTER)
    assert ("undo", REQUESTER, "refused") in audit_actions(runtime)


def test_an_irreversible_remediation_says_it_cannot_be_undone(runtime, aws):
    iam = aws.client("iam")
    event, _key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("delete-access-key", event.key, REQUESTER)
    view = runtime.workflow.views.request_view(request.id)
    assert view.undo is None and view.undo_note
    assert "It cannot be undone: " in json.dumps(request_message(view).blocks)
    runtime.workflow.remediations.approve(request.id, APPROVER)
    runtime.workflow.remediations.approve(request.id, APPROVER2)
    with pytest.raises(Refused, match=view.undo_note[:30]):
        runtime.workflow.remediations.undo(request.id, REQUESTER)


def test_only_a_remediation_that_succeeded_can_be_undone(runtime, aws):
    iam = aws.client("iam")
    event, _key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    with pytest.raises(Refused, match="only a remediation that succeeded can be undone"):
        runtime.workflow.remediations.undo(request.id, REQUESTER)
    with pytest.raises(Refused, match="There is no request RNOPE"):
        runtime.workflow.remediations.undo("rnope", REQUESTER)


def test_an_inverse_is_only_ever_asked_for_as_an_undo(runtime, aws):
    # re-attaching a policy or re-activating a key on its own would grant access through an approval
    iam = aws.client("iam")
    _event, key = access_key_event(iam)
    with pytest.raises(Refused, match="only the undo of another remediation"):
        runtime.workflow.remediations.ask(
            "reactivate-access-key", {"user_name": "legacy-etl", "access_key_id": key}, REQUESTER
        )
    with pytest.raises(Refused, match="only the undo of another remediation"):
        runtime.workflow.remediations.ask(
            "attach-user-policy",
            {"user_name": "legacy-etl", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            REQUESTER,
        )
