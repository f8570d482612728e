""""Was this you?" through the real Bolt app, signed like Slack: "Yes, it was me" opens the reason
dialog and its submission shows on the alert; "No, this wasn't me" raises the alert and asks for a
quarantine; nobody but the person asked can answer (told privately, audited), and nobody twice."""

from __future__ import annotations

import json

from tests.conftest import ALERTS, APPROVALS, STRANGER
from tests.support.harness import typed
from tests.support.records import key_status, own_key_event
from tests.support.state import audit_actions, buttons, pending, request_row, shown

CAROL = "UCAROL001"
DM = "DCAROL001"  # the fake's conversations.open: D + the user id's tail
CAROL_ARN = "arn:aws:iam::123456789012:user/carol"


def asked(runtime_for, http_for, slack, aws, **extra):
    runtime = runtime_for(confirm_with_actor="medium", people={CAROL_ARN: CAROL}, **extra)
    http = http_for(runtime)
    event, key = own_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    [dm] = slack.posted(DM)
    assert buttons(dm) == ["question_yes", "question_no"]
    no = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]][1]
    assert no["confirm"]["confirm"]["text"] == "It wasn't me"  # a Block Kit confirm before "no" counts
    return runtime, http, event, key, runtime.store.questions.for_event(event.key).id


def answered_privately(slack, before):
    return slack.wait_for(lambda s: s.responses[before:])[0]


def test_yes_asks_what_it_was_for_and_the_alert_shows_it(runtime_for, http_for, slack, aws):
    runtime, http, event, _, qid = asked(runtime_for, http_for, slack, aws)
    before = len(slack.views)
    assert http.dm_click("question_yes", qid, CAROL, DM)[0] == 200
    method, view = slack.wait_for(lambda s: len(s.views) > before and s.views[-1])
    assert method == "views.open" and view["callback_id"] == "question-reason"
    status, body = http.submit(view, CAROL, typed("   "))
    assert status == 200 and json.loads(body)["response_action"] == "errors"
    assert http.submit(view, CAROL, typed("rotating the ETL key"))[0] == 200
    slack.wait_for(lambda s: runtime.store.questions.get(qid).status == "yes" and pending(runtime) == 0)
    alert = json.dumps(shown(slack, runtime, f"alert:{event.key}")["blocks"])
    assert " confirmed: " in alert and "rotating the ETL key" in alert
    assert runtime.store.alerts.get(event.key).severity == "medium"
    assert buttons(shown(slack, runtime, f"question:{qid}")) == []  # answered in place
    before = len(slack.responses)
    http.dm_click("question_no", qid, CAROL, DM)
    assert "already answered" in answered_privately(slack, before)["text"]
    assert runtime.store.questions.get(qid).status == "yes"


def test_no_raises_the_alert_and_asks_for_a_quarantine(runtime_for, http_for, slack, aws):
    runtime, http, event, key, qid = asked(runtime_for, http_for, slack, aws, approvals_channel=APPROVALS)
    assert http.dm_click("question_no", qid, CAROL, DM)[0] == 200
    slack.wait_for(lambda s: runtime.store.questions.get(qid).request_id and pending(runtime) == 0)
    assert shown(slack, runtime, f"alert:{event.key}")["text"].startswith("[HIGH]")
    request = request_row(runtime)
    assert (request["remediation_id"], request["status"], request["requested_by"]) == (
        "deactivate-access-key",
        "requested",
        CAROL,
    )
    assert key_status(aws.client("iam"), key, "carol") == "Active"
    assert slack.posted(APPROVALS)  # the approvers' notice and the approval message
    assert ("question", CAROL, "ok") in audit_actions(runtime)


def test_only_the_person_asked_may_answer(runtime_for, http_for, slack, aws):
    runtime, http, _event, _, qid = asked(runtime_for, http_for, slack, aws)
    views_before = len(slack.views)
    for action in ("question_yes", "question_no"):
        before = len(slack.responses)
        http.dm_click(action, qid, STRANGER, ALERTS)
        told = answered_privately(slack, before)
        assert told["response_type"] == "ephemeral" and "only they can answer" in told["text"]
    assert runtime.store.questions.get(qid).status == "asked" and len(slack.views) == views_before  # no dialog
    assert [a for a in audit_actions(runtime) if a[0] == "question"] == [
        ("question", STRANGER, "refused"),
        ("question", STRANGER, "refused"),
    ]
    before = len(slack.responses)
    http.dm_click("question_yes", "Qforged<!channel>", CAROL, DM)  # a forged id is refused and named plainly
    assert "no such question" in answered_privately(slack, before)["text"]
