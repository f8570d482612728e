"""The real Bolt app over loopback HTTP, signed like Slack, against aws and the Slack fake."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.events import normalize
from tests.conftest import APPROVER, APPROVER2, REQUESTER, STRANGER, as_account, load


def access_key_event(iam, status="Active"):
    iam.create_user(UserName="legacy-etl")
    key = iam.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["requestParameters"].update(accessKeyId=key, status=status)
    return normalize(record), key


def key_status(iam, key):
    return iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"]


def audit_actions(runtime):
    return [(r["action"], r["user_id"], r["result"]) for r in reversed(runtime.store.audit_log(50))]


def test_request_click_to_inactive_key_end_to_end(runtime, http, slack, aws):
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    assert len(runtime.service.ingest([event])) == 1
    [posted] = slack.posted("#iam-alerts")
    assert "legacy-etl" in posted["text"]
    alert_ts = runtime.outbox.get(f"alert:{event.key}")["ts"]
    buttons = [e["action_id"] for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "request:deactivate-access-key" in buttons

    status, _ = http.click("request:deactivate-access-key", event.key, REQUESTER)
    assert status == 200
    approval = slack.wait_for(lambda s: [p for p in s.posted() if p.get("thread_ts") == alert_ts])[0]
    assert f"Would set access key {key} of user legacy-etl to Inactive" in json.dumps(approval["blocks"])
    assert key_status(iam, key) == "Active"  # nothing happens before approval
    request_id = runtime.store.row("SELECT id FROM requests")["id"]

    status, _ = http.click("approve", request_id, APPROVER)
    assert status == 200
    slack.wait_for(
        lambda s: (
            runtime.store.row("SELECT status FROM requests")["status"] == "succeeded" and runtime.outbox.pending() == 0
        )
    )
    assert key_status(iam, key) == "Inactive"

    alert_now = slack.latest("C0ALERTS", alert_ts)
    text = json.dumps(alert_now["blocks"])
    assert "Done" in text and request_id in text
    assert not [b for b in alert_now["blocks"] if b["type"] == "actions"]  # buttons gone once remediated
    approval_row = runtime.outbox.get(f"approval:{request_id}")
    approval_now = slack.latest(approval_row["channel"], approval_row["ts"])
    assert not [b for b in approval_now["blocks"] if b["type"] == "actions"]
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
    runtime.service.ingest([event])
    assert http.click(f"request:{remediation}", event.key, user)[0] == 200
    row = slack.wait_for(lambda s: runtime.store.row("SELECT id FROM requests"))
    slack.wait_for(lambda s: runtime.outbox.pending() == 0 and s.responses)
    return row["id"], key, iam


def ephemeral_to(slack, user):
    return [r["text"] for r in slack.responses if r.get("response_type") == "ephemeral"] if user else []


def test_bad_and_stale_signatures_are_rejected(http, runtime):
    body = "payload=%7B%7D"
    assert http.post(body, secret="not-the-secret")[0] == 401
    assert http.post(body, timestamp=1_500_000_000)[0] == 401  # replayed from 2017
    assert http.get("/healthz") == (200, '{"ok":true}')
    assert http.get("/slack/events")[0] == 404


def test_non_approver_is_refused_and_audited(runtime, http, slack, aws):
    rid, key, iam = requested(runtime, http, slack, aws)
    before = len(slack.responses)
    http.click("approve", rid, STRANGER)
    answer = slack.wait_for(lambda s: s.responses[before:])[0]
    assert "not an approver" in answer["text"] and answer["response_type"] == "ephemeral"
    assert ("approve", STRANGER, "refused") in audit_actions(runtime)
    assert key_status(iam, key) == "Active"


def test_self_approval_is_refused(runtime_for, slack, aws):
    from tests.harness import HttpClient

    runtime = runtime_for(IAMBOT_APPROVERS=f"{REQUESTER},{APPROVER}")
    http = HttpClient(runtime)
    try:
        rid, _key, _iam = requested(runtime, http, slack, aws)
        before = len(slack.responses)
        http.click("approve", rid, REQUESTER)
        answer = slack.wait_for(lambda s: s.responses[before:])[0]
        assert "someone else must approve" in answer["text"]
        assert ("approve", REQUESTER, "refused") in audit_actions(runtime)
        assert runtime.store.row("SELECT status FROM requests")["status"] == "requested"
    finally:
        http.close()


def test_destructive_remediation_needs_two_approvals(runtime, http, slack, aws):
    rid, _key, iam = requested(runtime, http, slack, aws, remediation="delete-access-key")
    approval = runtime.outbox.get(f"approval:{rid}")
    assert "Irreversible" in approval["payload"] and "0 of 2" in approval["payload"]
    before = len(slack.responses)
    http.click("approve", rid, APPROVER)
    assert "needs 1 more" in slack.wait_for(lambda s: s.responses[before:])[0]["text"]
    assert iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"]  # still there
    before = len(slack.responses)
    http.click("approve", rid, APPROVER)  # the same person twice does not count twice
    assert "already approved" in slack.wait_for(lambda s: s.responses[before:])[0]["text"]
    http.click("approve", rid, APPROVER2)
    slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "succeeded")
    assert iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"] == []
    assert [a for a in audit_actions(runtime) if a[0] == "approve"] == [
        ("approve", APPROVER, "ok"),
        ("approve", APPROVER, "refused"),
        ("approve", APPROVER2, "ok"),
    ]


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
    slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "succeeded")
    slack.wait_for(lambda s: len([r for r in s.responses if "already" in r["text"] or "no longer" in r["text"]]) == 19)
    assert len(applied) == 1
    assert [a for a in audit_actions(runtime) if a[0] == "execute"] == [("execute", "iambot", "succeeded")]
    assert key_status(iam, key) == "Inactive"


def test_drift_between_approval_and_execution_stops_it(runtime, http, slack, aws):
    rid, key, iam = requested(runtime, http, slack, aws)
    iam.delete_access_key(UserName="legacy-etl", AccessKeyId=key)  # someone acts in the meantime
    iam.create_access_key(UserName="legacy-etl")
    http.click("approve", rid, APPROVER)
    slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "failed")
    # the key is gone: plan() says so, and nothing is applied
    outcome = runtime.store.row("SELECT outcome FROM requests")["outcome"]
    assert "has no access key" in outcome


def test_changed_state_is_drift_not_success(runtime, http, slack, aws):
    rid, key, iam = requested(runtime, http, slack, aws)
    iam.update_access_key(UserName="legacy-etl", AccessKeyId=key, Status="Inactive")  # done by hand meanwhile
    http.click("approve", rid, APPROVER)
    slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "drifted")
    assert "Live state changed" in runtime.store.row("SELECT outcome FROM requests")["outcome"]
    assert ("execute", "iambot", "drifted") in audit_actions(runtime)


def test_expired_request_cannot_be_approved(runtime, http, slack, aws):
    import time_machine

    rid, key, iam = requested(runtime, http, slack, aws)
    with time_machine.travel(runtime.service.clock() + timedelta(minutes=61)):
        before = len(slack.responses)
        # a signed click, made now (an hour later): the signature is fresh, the request is not
        http.click("approve", rid, APPROVER)
        answer = slack.wait_for(lambda s: s.responses[before:])[0]
    assert "expired" in answer["text"]
    assert runtime.store.row("SELECT status FROM requests")["status"] == "expired"
    assert key_status(iam, key) == "Active"
    assert ("expire", "iambot", "ok") in audit_actions(runtime)


def test_expiry_job_removes_the_buttons(runtime, http, slack, aws):
    import time_machine

    rid, _, _ = requested(runtime, http, slack, aws)
    with time_machine.travel(runtime.service.clock() + timedelta(hours=2)):
        assert runtime.service.expire() == [rid]
    row = runtime.outbox.get(f"approval:{rid}")
    shown = slack.latest(row["channel"], row["ts"])
    assert not [b for b in shown["blocks"] if b["type"] == "actions"]
    assert "Expired" in json.dumps(shown["blocks"])


def test_deny_and_cancel(runtime, http, slack, aws):
    rid, key, iam = requested(runtime, http, slack, aws)
    http.click("deny", rid, APPROVER)
    slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "denied")
    before = len(slack.responses)
    http.click("approve", rid, APPROVER2)
    assert "denied" in slack.wait_for(lambda s: s.responses[before:])[0]["text"]
    assert key_status(iam, key) == "Active"


def test_dismiss_removes_buttons(runtime, http, slack, aws):
    iam = aws.client("iam")
    event, _ = access_key_event(iam)
    runtime.service.ingest([event])
    http.click("dismiss", event.key, APPROVER)
    slack.wait_for(lambda s: runtime.outbox.pending() == 0 and s.of("chat.update"))
    row = runtime.outbox.get(f"alert:{event.key}")
    shown = slack.latest(row["channel"], row["ts"])
    assert not [b for b in shown["blocks"] if b["type"] == "actions"]
    assert f"<@{APPROVER}>" in json.dumps(shown["blocks"])
