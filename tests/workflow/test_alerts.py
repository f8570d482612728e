"""Dismissing an alert as expected: approvers only, never the person who made the change, and a
closed alert stays closed (a later click says what happened and changes nothing)."""

from __future__ import annotations

import pytest

from bot.workflow import Refused
from tests.conftest import ALERTS, APPROVER, APPROVER2, REQUESTER, STRANGER
from tests.support.records import access_key_event
from tests.support.state import audit_actions, buttons


def test_only_an_approver_dismisses_and_a_closed_alert_stays_closed(runtime, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    alert_ts = runtime.store.outbox.get(f"alert:{event.key}").ts
    assert "dismiss" in buttons(slack.latest(ALERTS, alert_ts))
    dismiss = runtime.workflow.alerts.dismiss

    with pytest.raises(Refused, match="Only approvers can dismiss"):
        dismiss(event.key, STRANGER)
    assert runtime.store.alerts.get(event.key).status == "open"

    with pytest.raises(Refused, match="a reason is required to dismiss it"):
        dismiss(event.key, APPROVER, "  ")  # a high alert
    dismiss(event.key, APPROVER, "planned rotation")
    assert runtime.store.alerts.get(event.key).status == "dismissed"
    view = runtime.workflow.views.alert_view(event.key)
    assert (view.dismissed_by, view.dismiss_reason) == (APPROVER, "planned rotation")
    assert buttons(slack.latest(ALERTS, alert_ts)) == ["details"]  # the message was updated in place

    with pytest.raises(Refused, match=f"dismissed as expected by <@{APPROVER}>"):
        dismiss(event.key, APPROVER2, "again")
    with pytest.raises(Refused, match="closed"):
        runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    assert runtime.store.requests.for_event(event.key) == []
    assert [a for a in audit_actions(runtime) if a[0] == "dismiss"] == [
        ("dismiss", STRANGER, "refused"),
        ("dismiss", APPROVER, "refused"),
        ("dismiss", APPROVER, "ok"),
        ("dismiss", APPROVER2, "refused"),
    ]


def test_the_person_who_made_the_change_cannot_dismiss_its_alert(runtime_for, aws):
    # UpdateAccessKey__authored__1 is by erin@example.com (an Identity Center session)
    runtime = runtime_for(people={"erin@example.com": APPROVER})
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    with pytest.raises(Refused, match="You made this change"):
        runtime.workflow.alerts.dismiss(event.key, APPROVER)
    runtime.workflow.alerts.dismiss(event.key, APPROVER2, "erin told us")
    assert runtime.store.alerts.get(event.key).status == "dismissed"


def test_the_actor_is_found_by_email_in_slack(runtime, slack, aws):
    slack.emails["erin@example.com"] = APPROVER2
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    with pytest.raises(Refused, match="You made this change"):
        runtime.workflow.alerts.dismiss(event.key, APPROVER2)
    assert runtime.store.alerts.get(event.key).status == "open"


def test_an_unknown_alert_is_refused(runtime):
    with pytest.raises(Refused, match="no alert for that event"):
        runtime.workflow.alerts.dismiss("no-such-key", APPROVER)


def test_a_remediated_alert_cannot_be_dismissed(runtime, aws):
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    runtime.workflow.remediations.approve(request.id, APPROVER)
    with pytest.raises(Refused, match=f"remediated by {request.id}"):
        runtime.workflow.alerts.dismiss(event.key, APPROVER2)
    assert runtime.workflow.views.alert_view(event.key).status == "remediated"
