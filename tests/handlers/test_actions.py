"""Buttons through the real Bolt app over loopback HTTP, signed like Slack, against moto and the
Slack fake: request, approve, deny, dismiss — and who may click what."""

from __future__ import annotations

import json
import urllib.parse
from datetime import timedelta

import time_machine

from tests.conftest import ALERTS, APPROVER, APPROVER2, REQUESTER, STRANGER
from tests.support.harness import block_actions
from tests.support.records import MOTO_ACCOUNT, access_key_event, key_status
from tests.support.state import audit_actions, buttons, pending, request_row, request_status, shown


def test_request_click_to_inactive_key_end_to_end(runtime, http, slack, aws):
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    assert len(runtime.workflow.intake.take([event]).taken) == 1
    [posted] = slack.posted(ALERTS)
    assert "legacy-etl" in posted["text"]
    alert_ts = runtime.store.outbox.get(f"alert:{event.key}").ts
    assert "request:deactivate-access-key" in buttons(posted)

    status, _ = http.click("request:deactivate-access-key", event.key, REQUESTER)
    assert status == 200
    approval = slack.wait_for(lambda s: [p for p in s.posted() if p.get("thread_ts") == alert_ts])[0]
    assert f"Would set access key {key} of user legacy-etl to Inactive" in json.dumps(approval["blocks"])
    assert key_status(iam, key) == "Active"  # nothing happens before approval
    request_id = request_row(runtime)["id"]

    status, _ = http.click("approve", request_id, APPROVER)
    assert status == 200
    slack.wait_for(lambda s: request_status(runtime) == "succeeded" and pending(runtime) == 0)
    assert key_status(iam, key) == "Inactive"

    alert_now = slack.latest(ALERTS, alert_ts)
    text = json.dumps(alert_now["blocks"])
    assert "Done" in text and request_id in text
    assert buttons(alert_now) == ["details"]  # only Details once remediated
    approval_now = shown(slack, runtime, f"approval:{request_id}")
    assert buttons(approval_now) == ["undo"]  # decided: only its undo is left
    assert "Set access key" in json.dumps(approval_now["blocks"])
    assert audit_actions(runtime) == [
        ("request", REQUESTER, "ok"),
        ("approve", APPROVER, "ok"),
        ("execute", "iambot", "succeeded"),
    ]


def requested(runtime, http, slack, aws, remediation="deactivate-access-key", user=REQUESTER):
    """An alert posted and a request made by clicking its button; returns (request id, key, iam)."""
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    assert http.click(f"request:{remediation}", event.key, user)[0] == 200
    row = slack.wait_for(lambda s: request_row(runtime))
    slack.wait_for(lambda s: pending(runtime) == 0 and s.responses)
    return row["id"], key, iam


def answer_after(slack, before):
    return slack.wait_for(lambda s: s.responses[before:])[0]


def test_non_approver_is_refused_and_audited(runtime, http, slack, aws):
    rid, key, iam = requested(runtime, http, slack, aws)
    before = len(slack.responses)
    http.click("approve", rid, STRANGER)
    answer = answer_after(slack, before)
    assert "not an approver" in answer["text"] and answer["response_type"] == "ephemeral"
    assert ("approve", STRANGER, "refused") in audit_actions(runtime)
    assert key_status(iam, key) == "Active"


def test_self_approval_is_refused(runtime_for, http_for, slack, aws):
    runtime = runtime_for(IAMBOT_APPROVERS=f"{REQUESTER},{APPROVER}")
    http = http_for(runtime)
    rid, _key, _iam = requested(runtime, http, slack, aws)
    before = len(slack.responses)
    http.click("approve", rid, REQUESTER)
    assert "someone else must approve" in answer_after(slack, before)["text"]
    assert ("approve", REQUESTER, "refused") in audit_actions(runtime)
    assert request_status(runtime) == "requested"


def test_the_person_who_made_the_change_cannot_approve_its_remediation(runtime_for, http_for, slack, aws):
    # erin@example.com (an IAM Identity Center session) re-activated the key; in Slack she is APPROVER
    slack.emails["erin@example.com"] = APPROVER
    runtime = runtime_for()
    http = http_for(runtime)
    rid, key, iam = requested(runtime, http, slack, aws)
    before = len(slack.responses)
    http.click("approve", rid, APPROVER)
    assert "You made the change" in answer_after(slack, before)["text"]
    assert ("approve", APPROVER, "refused") in audit_actions(runtime)
    http.click("approve", rid, APPROVER2)
    slack.wait_for(lambda s: request_status(runtime) == "succeeded")
    assert key_status(iam, key) == "Inactive"


def test_people_map_in_the_config_ties_an_actor_to_a_slack_user(runtime_for, http_for, slack, aws):
    runtime = runtime_for(people={"arn:aws:sts::*:assumed-role/AWSReservedSSO_*/erin@example.com": APPROVER2})
    http = http_for(runtime)
    rid, _key, _iam = requested(runtime, http, slack, aws)
    before = len(slack.responses)
    http.click("approve", rid, APPROVER2)
    assert "You made the change" in answer_after(slack, before)["text"]


def test_destructive_remediation_needs_two_approvals(runtime, http, slack, aws):
    rid, _key, iam = requested(runtime, http, slack, aws, remediation="delete-access-key")
    approval = json.dumps(shown(slack, runtime, f"approval:{rid}")["blocks"])
    assert "Irreversible" in approval and "0 of 2" in approval
    before = len(slack.responses)
    http.click("approve", rid, APPROVER)
    assert "needs 1 more" in answer_after(slack, before)["text"]
    assert iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"]  # still there
    before = len(slack.responses)
    http.click("approve", rid, APPROVER)  # the same person twice does not count twice
    assert "already approved" in answer_after(slack, before)["text"]
    http.click("approve", rid, APPROVER2)
    slack.wait_for(lambda s: request_status(runtime) == "succeeded")
    assert iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"] == []
    assert [a for a in audit_actions(runtime) if a[0] == "approve"] == [
        ("approve", APPROVER, "ok"),
        ("approve", APPROVER, "refused"),
        ("approve", APPROVER2, "ok"),
    ]


def test_irreversible_request_buttons_are_dangerous_and_ask_to_confirm(runtime, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    [posted] = slack.posted(ALERTS)
    delete = next(e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "request:delete-access-key")
    deactivate = next(e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == "request:deactivate-access-key")
    assert delete["style"] == "danger" and "cannot be undone" in delete["confirm"]["text"]["text"]
    assert "style" not in deactivate and "confirm" not in deactivate


def test_twenty_concurrent_approvals_run_the_remediation_once(runtime, http, slack, aws, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from remediations.deactivate_access_key import DeactivateAccessKey

    rid, key, iam = requested(runtime, http, slack, aws)
    applied = []
    real = DeactivateAccessKey.apply
    monkeypatch.setattr(DeactivateAccessKey, "apply", lambda self, p: applied.append(p) or real(self, p))
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda _: http.click("approve", rid, APPROVER)[0], range(20)))
    assert statuses == [200] * 20
    slack.wait_for(lambda s: request_status(runtime) == "succeeded")
    slack.wait_for(lambda s: len([r for r in s.responses if "already" in r["text"] or "no longer" in r["text"]]) == 19)
    assert len(applied) == 1
    assert [a for a in audit_actions(runtime) if a[0] == "execute"] == [("execute", "iambot", "succeeded")]
    assert key_status(iam, key) == "Inactive"


def test_drift_between_approval_and_execution_stops_it(runtime, http, slack, aws):
    rid, key, iam = requested(runtime, http, slack, aws)
    iam.delete_access_key(UserName="legacy-etl", AccessKeyId=key)  # someone acts in the meantime
    iam.create_access_key(UserName="legacy-etl")
    http.click("approve", rid, APPROVER)
    slack.wait_for(lambda s: request_status(runtime) == "failed")
    assert "has no access key" in request_row(runtime)["outcome"]  # plan() says so; nothing applied


def test_changed_state_is_drift_not_success(runtime, http, slack, aws):
    rid, key, iam = requested(runtime, http, slack, aws)
    iam.update_access_key(UserName="legacy-etl", AccessKeyId=key, Status="Inactive")  # done by hand meanwhile
    http.click("approve", rid, APPROVER)
    slack.wait_for(lambda s: request_status(runtime) == "drifted")
    assert "Live state changed" in request_row(runtime)["outcome"]
    assert ("execute", "iambot", "drifted") in audit_actions(runtime)


def test_expired_request_cannot_be_approved(runtime, http, slack, aws):
    rid, key, iam = requested(runtime, http, slack, aws)
    with time_machine.travel(runtime.workflow.remediations.clock() + timedelta(minutes=61)):
        before = len(slack.responses)
        # a signed click, made now (an hour later): the signature is fresh, the request is not
        http.click("approve", rid, APPROVER)
        answer = answer_after(slack, before)
    assert "expired" in answer["text"]
    assert request_status(runtime) == "expired"
    assert key_status(iam, key) == "Active"
    assert ("expire", "iambot", "ok") in audit_actions(runtime)


def test_expiry_job_removes_the_buttons(runtime, http, slack, aws):
    rid, _, _ = requested(runtime, http, slack, aws)
    with time_machine.travel(runtime.workflow.remediations.clock() + timedelta(hours=2)):
        assert runtime.workflow.remediations.expire() == [rid]
    message = shown(slack, runtime, f"approval:{rid}")
    assert not buttons(message)
    assert "Expired" in json.dumps(message["blocks"])


def test_a_replayed_request_click_on_a_remediated_alert_creates_nothing(runtime, http, slack, aws):
    rid, _key, _iam = requested(runtime, http, slack, aws)
    http.click("approve", rid, APPROVER)
    slack.wait_for(lambda s: request_status(runtime) == "succeeded")
    event_key = request_row(runtime)["event_key"]
    before = len(slack.responses)
    http.click("request:deactivate-access-key", event_key, STRANGER)
    answer = answer_after(slack, before)["text"]
    assert "closed: remediated by " + rid in answer and "Nothing new was requested" in answer
    assert runtime.store.db.one("SELECT COUNT(*) AS n FROM requests")["n"] == 1


def test_details_opens_the_modal_with_the_clicks_trigger(runtime, http, slack, aws):
    event, _key = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    slack.wait_for(lambda s: s.posted(ALERTS))
    assert http.click("details", event.key, STRANGER)[0] == 200  # reading is for anyone in the channel
    [(method, modal)] = slack.wait_for(lambda s: s.views)
    [call] = slack.of("views.open")
    assert method == "views.open" and call.params["trigger_id"] == "1.2.3"
    shown = json.dumps(modal)
    assert modal["type"] == "modal" and "What happened" in shown and "legacy-etl" in shown
    assert audit_actions(runtime) == []  # a read: nothing to audit, nothing changed


def test_details_of_an_unknown_alert_or_from_another_channel_show_nothing_of_it(runtime, http, slack, aws):
    event, _key = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    slack.wait_for(lambda s: s.posted(ALERTS))
    assert http.click("details", "no-such-event", APPROVER)[0] == 200
    payload = json.loads(urllib.parse.unquote(block_actions("details", event.key, APPROVER, http.responses)[8:]))
    payload["channel"] = {"id": "C0ELSEWHERE", "name": "elsewhere"}
    assert http.post("payload=" + urllib.parse.quote(json.dumps(payload)))[0] == 200
    modals = slack.wait_for(lambda s: len(s.views) == 2 and s.views)
    for _, modal in modals:
        assert "no record of this alert" in json.dumps(modal) and "legacy-etl" not in json.dumps(modal)


def test_undo_on_a_finished_request_asks_for_its_inverse(runtime, http, slack, aws):
    rid, key, iam = requested(runtime, http, slack, aws)
    http.click("approve", rid, APPROVER)
    slack.wait_for(lambda s: request_status(runtime) == "succeeded" and pending(runtime) == 0)
    approval = shown(slack, runtime, f"approval:{rid}")
    assert buttons(approval) == ["undo"]
    before = len(slack.responses)
    http.click("undo", rid, REQUESTER)
    assert f"to undo {rid}" in answer_after(slack, before)["text"]
    [undo] = [r for r in runtime.store.requests.pending() if r.remediation_id == "reactivate-access-key"]
    slack.wait_for(lambda s: pending(runtime) == 0 and shown(s, runtime, f"approval:{undo.id}"))
    assert f"undoing {rid}" in json.dumps(shown(slack, runtime, f"approval:{undo.id}")["blocks"])
    http.click("approve", undo.id, APPROVER2)
    slack.wait_for(lambda s: runtime.store.requests.get(undo.id).status == "succeeded")
    assert key_status(iam, key) == "Active"


def test_only_the_approvers_to_notify_are_pinged_and_any_approver_may_approve(runtime_for, http_for, slack, aws):
    runtime = runtime_for(IAMBOT_APPROVERS_TO_NOTIFY=APPROVER, account_notes={MOTO_ACCOUNT: "PRODUCTION"})
    http = http_for(runtime)
    rid, key, iam = requested(runtime, http, slack, aws)
    approval = shown(slack, runtime, f"approval:{rid}")
    [ping] = [b for b in approval["blocks"] if "For your approval" in json.dumps(b)]
    assert [e.get("user_id") for e in ping["elements"][0]["elements"] if e["type"] == "user"] == [APPROVER]
    assert f"⚠ Account {MOTO_ACCOUNT}: PRODUCTION" in json.dumps(approval["blocks"], ensure_ascii=False)
    http.click("approve", rid, APPROVER2)  # an approver who was not pinged
    slack.wait_for(lambda s: request_status(runtime) == "succeeded" and pending(runtime) == 0)
    assert key_status(iam, key) == "Inactive"
    assert ("approve", APPROVER2, "ok") in audit_actions(runtime)
    assert "For your approval" not in json.dumps(shown(slack, runtime, f"approval:{rid}")["blocks"])
