"""bot/slack/render.py, the recipient of a direct message: the person a question is for (an e-mail
looked up once and kept), and a requester told of the outcome only when they were not in the
channel where it was decided (told also when Slack cannot say)."""

from __future__ import annotations

import json

from tests.conftest import ALERTS, APPROVER, REQUESTER
from tests.support.records import access_key_event
from tests.support.state import pending


def decided(runtime, slack, aws, deny=False):
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    if deny:
        runtime.workflow.remediations.deny(request.id, APPROVER, "the ETL needs it tonight")
    else:
        runtime.workflow.remediations.approve(request.id, APPROVER)
    slack.wait_for(lambda s: pending(runtime) == 0)
    return request.id


def test_a_requester_not_in_the_channel_is_told_the_outcome_in_a_dm(runtime, slack, aws):
    slack.members[ALERTS] = [APPROVER]
    rid = decided(runtime, slack, aws)
    [opened] = slack.of("conversations.open")
    assert opened.params["users"] == REQUESTER
    [dm] = slack.posted("D" + REQUESTER[1:])
    assert rid in dm["text"] and "Your request" in json.dumps(dm["blocks"])
    assert runtime.store.outbox.get(f"outcome:{rid}").channel == "D" + REQUESTER[1:]


def test_a_denial_reaches_the_requester_with_its_reason(runtime, slack, aws):
    slack.members[ALERTS] = [APPROVER]
    decided(runtime, slack, aws, deny=True)
    [dm] = slack.posted("D" + REQUESTER[1:])
    assert "the ETL needs it tonight" in json.dumps(dm["blocks"]) and "Denied" in dm["text"]


def test_a_requester_who_saw_it_decided_gets_no_dm(runtime, slack, aws):
    slack.members[ALERTS] = [APPROVER, REQUESTER]
    rid = decided(runtime, slack, aws)
    assert slack.of("conversations.open") == [] and slack.posted("D" + REQUESTER[1:]) == []
    assert runtime.store.outbox.get(f"outcome:{rid}").ts == "-"  # dropped: nobody to tell


def test_when_membership_cannot_be_read_the_requester_is_told(runtime, slack, aws):
    decided(runtime, slack, aws)  # the fake knows no members of the alert channel: channel_not_found
    assert len(slack.posted("D" + REQUESTER[1:])) == 1


def test_a_requester_who_cancelled_their_own_request_gets_no_dm(runtime, slack, aws):
    slack.members[ALERTS] = [APPROVER]  # not in the channel: they cancelled it from elsewhere (Home)
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    assert runtime.workflow.remediations.deny(request.id, REQUESTER, "wrong key").status == "cancelled"
    slack.wait_for(lambda s: pending(runtime) == 0)
    assert slack.posted("D" + REQUESTER[1:]) == [] and runtime.store.outbox.get(f"outcome:{request.id}").ts == "-"
