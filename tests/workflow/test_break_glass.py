"""Break-glass (off by default): an approver who may not approve — they asked for the request, or
made the change it undoes — may approve alone with a reason; it approves at once, every approver
is told, and the request, the alert, the audit log and the digest say break-glass."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.workflow import Refused
from tests.conftest import ALERTS, APPROVER, APPROVER2, STRANGER
from tests.support.records import access_key_event, key_status
from tests.support.state import audit_actions, pending


def asked(runtime, aws, remediation="deactivate-access-key", by=APPROVER):
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    return runtime.workflow.remediations.ask_from_alert(remediation, event.key, by), key, iam


def test_it_is_off_by_default(runtime, aws):
    request, _key, _iam = asked(runtime, aws)
    assert not runtime.workflow.remediations.break_glass_offered(request.id, APPROVER)
    with pytest.raises(Refused, match="someone else must approve it"):
        runtime.workflow.remediations.approve(request.id, APPROVER)
    with pytest.raises(Refused, match="Break-glass approvals are off"):
        runtime.workflow.remediations.approve(request.id, APPROVER, break_glass="urgent")


def test_the_requester_approves_alone_with_a_reason_and_everyone_is_told(runtime_for, aws, slack):
    runtime = runtime_for(break_glass=True, approvals_required=2)
    wf = runtime.workflow
    request, key, iam = asked(runtime, aws)
    assert wf.remediations.break_glass_offered(request.id, APPROVER)
    assert not wf.remediations.break_glass_offered(request.id, APPROVER2)  # may approve as usual
    assert not wf.remediations.break_glass_offered(request.id, STRANGER)  # not an approver at all
    with pytest.raises(Refused, match="needs a reason"):
        wf.remediations.approve(request.id, APPROVER, break_glass="   ")
    done = wf.remediations.approve(request.id, APPROVER, break_glass="key is being used to exfiltrate, INC-7")
    assert done.status == "succeeded" and key_status(iam, key) == "Inactive"  # alone, though two are needed
    assert ("break-glass", APPROVER, "ok") in audit_actions(runtime)
    row = runtime.store.db.one("SELECT detail FROM audit WHERE action = 'break-glass'")
    assert row["detail"] == "break-glass: key is being used to exfiltrate, INC-7"
    slack.wait_for(lambda s: pending(runtime) == 0)
    [notice] = [p for p in slack.posted(ALERTS) if (p.get("text") or "").startswith("Break-glass")]
    blocks = json.dumps(notice["blocks"])
    assert "key is being used to exfiltrate, INC-7" in blocks and request.id in blocks
    assert f'"user_id": "{APPROVER2}"' in blocks  # the other approvers are mentioned: pinged
    [shown] = runtime.workflow.views.alert_view(request.event_key).requests
    assert shown.reason.startswith("break-glass")
    assert "through break-glass" in json.dumps([m["blocks"] for m in slack.messages.values()])  # on the alert
    digest = runtime.workflow.digests.scheduled(until=runtime.workflow.digests.clock() + timedelta(seconds=1))
    assert any(r["break_glass"] for r in digest.remediations)


def test_the_person_who_made_the_change_may_break_glass_but_a_stranger_may_not(runtime_for, aws, slack):
    slack.emails["erin@example.com"] = APPROVER2  # erin made the change
    runtime = runtime_for(break_glass=True)
    request, key, iam = asked(runtime, aws, by=APPROVER)
    with pytest.raises(Refused, match="You made the change"):
        runtime.workflow.remediations.approve(request.id, APPROVER2)
    with pytest.raises(Refused, match="not an approver"):
        runtime.workflow.remediations.approve(request.id, STRANGER, break_glass="I insist")
    runtime.workflow.remediations.approve(request.id, APPROVER2, break_glass="erin is on call and alone")
    assert key_status(iam, key) == "Inactive"


def test_a_reason_holding_a_six_digit_code_is_refused_and_kept_nowhere(runtime_for, aws, slack):
    runtime = runtime_for(break_glass=True)
    request, key, iam = asked(runtime, aws)
    for reason in ("leaking 482913", "code: 654321.", "(000000) urgent"):
        with pytest.raises(Refused, match="six-digit number, like a code from your authenticator"):
            runtime.workflow.remediations.approve(request.id, APPROVER, break_glass=reason)
    assert runtime.store.requests.get(request.id).status == "requested" and key_status(iam, key) == "Active"
    assert not [a for a in audit_actions(runtime) if a[0] == "break-glass"]
    assert "482913" not in json.dumps(runtime.store.db.query("SELECT * FROM audit"))
    # a number that is not a code on its own is words: a ticket, a longer id
    done = runtime.workflow.remediations.approve(request.id, APPROVER, break_glass="INC-123456, case 1234567")
    assert done.status == "succeeded"


def test_a_break_glass_refused_for_being_off_is_audited(runtime, aws):
    request, _key, _iam = asked(runtime, aws)
    with pytest.raises(Refused, match="Break-glass approvals are off"):
        runtime.workflow.remediations.approve(request.id, APPROVER, break_glass="urgent")
    assert audit_actions(runtime)[-1] == ("approve", APPROVER, "refused")


def test_every_refused_break_glass_is_audited_without_its_reason(runtime_for, aws, slack):
    runtime = runtime_for(break_glass=True)
    request, _key, _iam = asked(runtime, aws)
    for reason in ("   ", "leaking 482913"):
        with pytest.raises(Refused):
            runtime.workflow.remediations.approve(request.id, APPROVER, break_glass=reason)
    refused = [r for r in runtime.store.audit.recent(50) if r["action"] == "approve" and r["result"] == "refused"]
    assert len(refused) == 2 and {r["request_id"] for r in refused} == {request.id}
    assert "482913" not in json.dumps(runtime.store.db.query("SELECT * FROM audit"))
