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


def home_where(slack, user, after, predicate):
    """Wait for a Home published for ``user`` (after the first ``after`` publishes) that satisfies
    ``predicate`` (a change may publish it more than once: requested, running, done)."""
    return slack.wait_for(lambda s: next((v for v in reversed(published(s, user, after)) if predicate(v)), None))


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


def opened(http, slack, user):
    """``user`` opens their Home; returns the view published."""
    before = len(slack.of("views.publish"))
    assert http.home_opened(user)[0] == 200
    return slack.wait_for(lambda s: published(s, user, before))[-1]


def test_approve_on_the_home_runs_the_same_checks(runtime, http, slack, aws):
    rid, key, iam = asked(runtime, aws)
    assert buttons(opened(http, slack, APPROVER)) == [("approve", rid), ("deny", rid)]
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
    view = home_where(slack, APPROVER, before, lambda v: "Recent decisions (1)" in json.dumps(v))
    assert buttons(view) == []  # the Home shows it no longer waits


def test_deny_on_the_home_asks_why_then_publishes_the_home_again(runtime, http, slack, aws):
    rid, key, iam = asked(runtime, aws)
    opened(http, slack, APPROVER)
    assert http.home_click("deny", rid, APPROVER)[0] == 200
    [(_, dialog)] = slack.wait_for(lambda s: [v for v in s.views if v[0] == "views.open"])
    before = len(slack.of("views.publish"))
    assert http.submit(dialog, APPROVER, typed("not during the freeze"))[0] == 200
    slack.wait_for(lambda s: request_status(runtime) == "denied")
    view = home_where(slack, APPROVER, before, lambda v: "Recent decisions (1)" in json.dumps(v))
    assert buttons(view) == []
    assert key_status(iam, key) == "Active"


def test_an_open_home_follows_changes_made_elsewhere(runtime, http, slack, aws):
    assert buttons(opened(http, slack, APPROVER)) == []
    assert opened(http, slack, REQUESTER)  # both have looked at their Home once
    before = len(slack.of("views.publish"))
    rid, _, _ = asked(runtime, aws)  # a request made from the alert's message, not from the Home
    assert home_where(slack, APPROVER, before, lambda v: buttons(v) == [("approve", rid), ("deny", rid)])
    assert home_where(slack, REQUESTER, before, lambda v: "Your open requests (1)" in json.dumps(v))
    assert published(slack, STRANGER) == []  # never opened: nothing is published for them


def test_a_refused_publish_stays_in_the_outbox_to_retry(runtime, http, slack):
    slack.fail_next("views.publish", status=200, error="internal_error")
    assert http.home_opened(APPROVER)[0] == 200
    slack.wait_for(lambda s: s.of("views.publish", ok_only=False))
    row = slack.wait_for(lambda s: (r := runtime.store.outbox.get(f"home:{APPROVER}")) and r.last_error and r)
    assert "internal_error" in row.last_error and row.sent_version < row.version
