"""The real Bolt app over loopback HTTP, signed like Slack, against aws and the Slack fake."""

from __future__ import annotations

import json

from bot.events import normalize
from tests.conftest import APPROVER, REQUESTER, as_account, load


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
