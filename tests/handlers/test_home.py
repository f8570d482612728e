"""The Home tab through the real Bolt app over loopback HTTP, signed like Slack: app_home_opened
publishes that person's Home, and its Approve button goes through the very checks of the message's."""

from __future__ import annotations

import json

from tests.conftest import APPROVER, REQUESTER, STRANGER
from tests.support.harness import typed
from tests.support.records import access_key_event, key_status
from tests.support.state import audit_actions, request_status


def published(slack, user, after=0):
    """The Home views published for ``user`` (after the first ``after`` publishes)."""
    return [json.loads(c.params["view"]) if isinstance(c.params["view"], str) else c.params["view"]
            for c in slack.of("views.publish")[after:] if c.params.get("user_id") == user]  # fmt: skip


def buttons(view):
    return [(e["action_id"], e["value"]) for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def asked(runtime, aws):
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    return request.id, key, iam


def test_app_home_opened_publishes_the_approvers_home_with_approve_and_deny(runtime, http, slack, aws):
    rid, _, _ = asked(runtime, aws)
    status, _ = http.home_opened(APPROVER)
    assert status == 200
    [view] = slack.wait_for(lambda s: published(s, APPROVER))
    assert view["type"] == "home"
    assert buttons(view) == [("approve", rid), ("deny", rid)]
    assert rid in json.dumps(view["blocks"])


def test_the_requester_sees_their_own_open_request_and_no_buttons(runtime, http, slack, aws):
    rid, _, _ = asked(runtime, aws)
    assert http.home_opened(REQUESTER)[0] == 200
    [view] = slack.wait_for(lambda s: published(s, REQUESTER))
    assert buttons(view) == []
    text = json.dumps(view["blocks"])
    assert "Your open requests (1)" in text and rid in text


def test_opening_the_messages_tab_publishes_nothing(runtime, http, slack):
    assert http.home_opened(APPROVER, tab="messages")[0] == 200
    assert http.home_opened(STRANGER)[0] == 200  # a later event, to know the first was handled
    slack.wait_for(lambda s: published(s, STRANGER))
    assert published(slack, APPROVER) == []


def test_approve_on_the_home_runs_the_same_checks(runtime, http, slack, aws):
    rid, key, iam = asked(runtime, aws)
    assert http.home_click("approve", rid, STRANGER)[0] == 200
    [told] = slack.wait_for(lambda s: s.posted(STRANGER))
    assert "not an approver" in told["text"]
    assert ("approve", STRANGER, "refused") in audit_actions(runtime)
    assert key_status(iam, key) == "Active" and request_status(runtime) == "requested"

    before = len(slack.of("views.publish"))
    assert http.home_click("approve", rid, APPROVER)[0] == 200
    slack.wait_for(lambda s: request_status(runtime) == "succeeded")
    assert key_status(iam, key) == "Inactive"
    assert ("approve", APPROVER, "ok") in audit_actions(runtime)
    [view] = slack.wait_for(lambda s: published(s, APPROVER, before))  # the Home shows it is no longer waiting
    assert buttons(view) == []


def test_deny_on_the_home_asks_why_then_publishes_the_home_again(runtime, http, slack, aws):
    rid, key, iam = asked(runtime, aws)
    assert http.home_click("deny", rid, APPROVER)[0] == 200
    [(_, dialog)] = slack.wait_for(lambda s: [v for v in s.views if v[0] == "views.open"])
    before = len(slack.of("views.publish"))
    assert http.submit(dialog, APPROVER, typed("not during the freeze"))[0] == 200
    slack.wait_for(lambda s: request_status(runtime) == "denied")
    [view] = slack.wait_for(lambda s: published(s, APPROVER, before))
    assert buttons(view) == [] and "not during the freeze" not in json.dumps(view)  # reasons stay on the request
    assert "Recent decisions (1)" in json.dumps(view["blocks"])
    assert key_status(iam, key) == "Active"
