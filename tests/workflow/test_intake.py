"""Taking events in: stored once, decided, queued for Slack — iambot's own changes recognised,
quiet alerts kept out of the channel, and alerts taken in before any channel was configured
posted once one is."""

from __future__ import annotations

from bot.events import normalize
from bot.runtime.wiring import build
from remediations.aws import Aws
from tests.conftest import ALERTS, APPROVER, REQUESTER
from tests.support.records import access_key_event, as_account, key_status, load
from tests.support.state import pending


def test_a_redelivered_event_is_stored_and_posted_once(runtime, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    first = runtime.workflow.intake.take([event])
    again = runtime.workflow.intake.take([normalize(event.raw)])
    assert [t.disposition for t in first.taken] == ["posted"] and first.duplicates == 0
    assert again.taken == [] and again.duplicates == 1
    assert runtime.store.events.count() == 1
    assert len(slack.posted(ALERTS)) == 1


def test_own_principal_from_sts_is_recognized(runtime, slack, aws):
    assert runtime.learn_own_principal() == "arn:aws:sts::123456789012:user/moto"  # moto's caller
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["userIdentity"] = {
        "type": "IAMUser",
        "arn": "arn:aws:sts::123456789012:user/moto",
        "accountId": "123456789012",
        "userName": "moto",
    }
    result = runtime.workflow.intake.take([normalize(record)])
    assert [t.disposition for t in result.taken] == ["self"]
    assert result.taken[0].alert.risk.is_self
    assert runtime.store.alerts.dispositions() == {"self": 1}
    assert slack.posted() == []


def test_an_assumed_role_is_recognized_on_any_of_its_sessions(runtime, monkeypatch):
    monkeypatch.setattr(
        runtime.aws, "caller_arn", lambda: "arn:aws:sts::123456789012:assumed-role/iambot-task/ecs-task-1"
    )
    assert runtime.learn_own_principal() == "arn:aws:sts::123456789012:assumed-role/iambot-task/*"
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["userIdentity"]["arn"] = "arn:aws:sts::123456789012:assumed-role/iambot-task/ecs-task-2"
    assert runtime.workflow.intake.take([normalize(record)]).taken[0].disposition == "self"


def approved_deactivation(runtime, aws):
    """An alert posted, its deactivate-access-key requested and approved: (event, key, request id)."""
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    runtime.workflow.intake.take([event])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", event.key, REQUESTER)
    done = runtime.workflow.remediations.approve(request.id, APPROVER)
    assert done.status == "succeeded" and key_status(iam, key) == "Inactive"
    return event, key, request.id


def test_own_remediation_comes_back_as_a_confirmation(runtime, slack, aws):
    event, key, rid = approved_deactivation(runtime, aws)
    # CloudTrail's record of iambot's call, made as the assumed-role session iambot-<request id>
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["eventID"] = "own-change"
    record["userIdentity"]["arn"] = f"arn:aws:sts::123456789012:assumed-role/iambot-remediator/iambot-{rid}"
    record["userIdentity"]["principalId"] = f"AROAEXAMPLE:iambot-{rid}"
    record["requestParameters"] = {"userName": "legacy-etl", "accessKeyId": key, "status": "Inactive"}
    before = len(slack.posted())
    result = runtime.workflow.intake.take([normalize(record)])
    assert [t.disposition for t in result.taken] == ["confirmation"]
    assert runtime.store.alerts.dispositions()["confirmation"] == 1
    [reply] = slack.posted()[before:]
    assert reply["thread_ts"] == runtime.store.outbox.get(f"alert:{event.key}").ts
    assert f"CloudTrail confirms {rid}" in reply["text"]
    assert pending(runtime) == 0


def test_own_principal_carrying_out_a_request_is_a_confirmation(runtime, slack, aws):
    """iambot's own credentials in the home account: matched to the request by its parameters."""
    event, key, rid = approved_deactivation(runtime, aws)
    runtime.learn_own_principal()
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["eventID"] = "own-change-direct"
    record["userIdentity"] = {
        "type": "IAMUser",
        "arn": "arn:aws:sts::123456789012:user/moto",
        "accountId": "123456789012",
        "userName": "moto",
    }
    record["requestParameters"] = {"userName": "legacy-etl", "accessKeyId": key, "status": "Inactive"}
    before = len(slack.posted())
    assert runtime.workflow.intake.take([normalize(record)]).taken[0].disposition == "confirmation"
    [reply] = slack.posted()[before:]
    assert reply["thread_ts"] == runtime.store.outbox.get(f"alert:{event.key}").ts
    assert f"CloudTrail confirms {rid}" in reply["text"]


def test_alerts_below_min_severity_are_stored_as_quiet_and_not_posted(runtime, slack):
    quiet = normalize(as_account(load("UpdateAccessKey__authored__2.json")))  # own key switched off: info
    low = normalize(as_account(load("UpdateAccessKey__authored__3.json")))  # a denied attempt: low
    result = runtime.workflow.intake.take([quiet, low])
    assert [(t.alert.severity, t.disposition) for t in result.taken] == [("info", "quiet"), ("low", "posted")]
    assert runtime.store.events.count() == 2
    assert runtime.store.outbox.get(f"alert:{quiet.key}") is None
    [posted] = slack.posted(ALERTS)
    assert "break-glass" in posted["text"]


def test_min_severity_is_a_setting(runtime_for, slack):
    runtime = runtime_for(min_severity="critical")
    high = normalize(as_account(load("UpdateLoginProfile__authored__1.json")))
    critical = normalize(as_account(load("UploadSigningCertificate__authored__1.json")))
    result = runtime.workflow.intake.take([high, critical])
    assert [(t.alert.severity, t.disposition) for t in result.taken] == [("high", "quiet"), ("critical", "posted")]
    assert len(slack.posted()) == 1


def test_unrouted_alerts_wait_in_the_outbox_until_a_channel_is_configured(settings_for, aws, slack):
    # `iambot ingest` with no Slack settings: no token, no channel
    bare = settings_for(SLACK_BOT_TOKEN=None, IAMBOT_ALERT_CHANNEL=None)
    runtime = build(bare, aws=Aws.from_settings(bare, aws))
    event, _ = access_key_event(aws.client("iam"))
    quiet = normalize(as_account(load("UpdateAccessKey__authored__2.json")))
    result = runtime.workflow.intake.take([event, quiet])
    assert [t.disposition for t in result.taken] == ["unrouted", "quiet"]
    row = runtime.store.outbox.get(f"alert:{event.key}")
    assert row is not None and row.channel == "" and row.ts is None
    assert runtime.store.alerts.unrouted() == [event.key]
    assert runtime.workflow.intake.reroute() == 0  # still no channel: nothing moves
    runtime.store.close()
    assert slack.calls == []

    configured = settings_for()  # the same database, a channel and a token now
    later = build(configured, aws=Aws.from_settings(configured, aws))
    try:
        assert later.workflow.intake.reroute() == 1
        [posted] = slack.posted(ALERTS)
        assert "legacy-etl" in posted["text"]
        assert later.store.alerts.get(event.key).disposition == "posted"
        row = later.store.outbox.get(f"alert:{event.key}")
        assert row.channel == ALERTS and slack.latest(ALERTS, row.ts)["text"] == posted["text"]
        assert later.store.alerts.unrouted() == []
        assert later.workflow.intake.reroute() == 0  # posted once
        assert len(slack.posted()) == 1
        assert later.store.outbox.get(f"alert:{quiet.key}") is None  # quiet stays quiet
    finally:
        later.store.close()
