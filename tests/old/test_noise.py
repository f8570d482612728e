"""Repeats, bursts, suppressions, closing the loop, cross-account remediation, and the digest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import time_machine

from bot.events import normalize
from tests.conftest import APPROVER, APPROVER2, REQUESTER, STRANGER, as_account, load
from tests.test_slack_app import access_key_event, audit_actions


def at(name: str, when: datetime, event_id: str, **request) -> object:
    r = as_account(load(name))
    r["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    r["eventID"] = event_id
    r["requestParameters"] = {**(r["requestParameters"] or {}), **request}
    return normalize(r)


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def dispositions(runtime):
    return {
        r["disposition"]: r["n"] for r in runtime.store.rows("SELECT disposition, COUNT(*) n FROM alerts GROUP BY 1")
    }


def test_repeats_go_into_the_first_alerts_thread_with_a_counter(runtime, slack):
    with time_machine.travel(NOW, tick=False):
        events = [at("UpdateLoginProfile__authored__1.json", NOW - timedelta(minutes=m), f"e{m}") for m in (9, 6, 3, 1)]
        runtime.service.ingest(events)
    assert dispositions(runtime) == {"posted": 1, "repeat": 3}
    posts = slack.posted()
    assert len(posts) == 2  # the alert, and one counter reply in its thread
    alert_ts = runtime.outbox.get(f"alert:{events[0].key}")["ts"]
    assert posts[1]["thread_ts"] == alert_ts
    reply = runtime.outbox.get(f"repeats:{events[0].key}")
    assert "Repeated 3 more time(s)" in slack.latest(reply["channel"], reply["ts"])["text"]


def test_a_burst_becomes_threads_and_a_summary_with_every_event_stored(runtime_for, slack):
    runtime = runtime_for(burst_per_minute=5)
    with time_machine.travel(NOW, tick=False):
        events = [
            at(
                "UpdateAccessKey__authored__1.json",
                NOW - timedelta(seconds=i),
                f"burst-{i}",
                userName=f"user-{i % 40}",
                accessKeyId=f"AKIAEXAMPLE{i:09d}",
            )
            for i in range(200)
        ]
        runtime.service.ingest(events)
    assert runtime.store.count("events") == 200  # every event stored
    d = dispositions(runtime)
    assert d["posted"] == 5 and d["posted"] + d["burst"] + d.get("repeat", 0) == 200
    posts = slack.posted()
    assert len(posts) == 6  # five alerts and one summary, not 200 messages
    assert "Burst: 195 more IAM event(s)" in posts[-1]["text"]
    assert runtime.outbox.pending() == 0


def test_suppression_needs_an_approver_and_counts_hits(runtime, http, slack, aws):
    text = 'mute event=UpdateAccessKey target=legacy-etl for=2h reason="planned rotation SEC-42"'
    assert http.slash(text, STRANGER)[0] == 200
    assert "Only approvers" in slack.wait_for(lambda s: s.responses)[0]["text"]
    http.slash(text, APPROVER)
    answer = slack.wait_for(lambda s: [r for r in s.responses if "Suppression" in r["text"]])[0]["text"]
    sid = answer.split()[1]
    event, _ = access_key_event(aws.client("iam"))
    runtime.service.ingest([event])
    assert dispositions(runtime) == {"suppressed": 1}
    assert slack.posted() == []
    assert runtime.store.row("SELECT hits FROM suppressions")["hits"] == 1
    listed = json.loads(http.slash("mutes", APPROVER)[1])["text"]
    assert sid in listed and "1 hit(s)" in listed
    assert ("mute", STRANGER, "refused") in audit_actions(runtime) and ("mute", APPROVER, "ok") in audit_actions(
        runtime
    )


def test_own_remediation_comes_back_as_a_confirmation(runtime, http, slack, aws):
    iam = aws.client("iam")
    event, key = access_key_event(iam)
    runtime.service.ingest([event])
    http.click("request:deactivate-access-key", event.key, REQUESTER)
    rid = slack.wait_for(lambda s: runtime.store.row("SELECT id FROM requests"))["id"]
    http.click("approve", rid, APPROVER)
    slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "succeeded")
    # CloudTrail's record of iambot's call, made as the assumed-role session iambot-<request id>
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["eventID"] = "own-change"
    record["userIdentity"]["arn"] = f"arn:aws:sts::123456789012:assumed-role/iambot-remediator/iambot-{rid}"
    record["userIdentity"]["principalId"] = f"AROAEXAMPLE:iambot-{rid}"
    record["requestParameters"] = {"userName": "legacy-etl", "accessKeyId": key, "status": "Inactive"}
    before = len(slack.posted())
    runtime.service.ingest([normalize(record)])
    assert dispositions(runtime)["confirmation"] == 1
    [reply] = slack.posted()[before:]
    assert reply["thread_ts"] == runtime.outbox.get(f"alert:{event.key}")["ts"]
    assert f"CloudTrail confirms {rid}" in reply["text"]


def test_cross_account_remediation_assumes_the_accounts_role(runtime_for, http_for, slack, aws):
    other = "210987654321"
    runtime = runtime_for(IAMBOT_REMEDIATION_ROLE="arn:aws:iam::{account_id}:role/iambot-remediator")
    # the role and the user live in the other account (moto keeps accounts apart)
    sts = aws.client("sts")
    admin = sts.assume_role(RoleArn=f"arn:aws:iam::{other}:role/OrganizationAccountAccessRole", RoleSessionName="setup")
    c = admin["Credentials"]
    import boto3

    iam_other = boto3.Session(
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
        region_name="us-east-1",
    ).client("iam")
    iam_other.create_role(RoleName="iambot-remediator", AssumeRolePolicyDocument="{}")
    iam_other.create_user(UserName="legacy-etl")
    key = iam_other.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    home = aws.client("iam")
    home.create_user(UserName="legacy-etl")
    home_key = home.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]

    record = as_account(load("UpdateAccessKey__authored__1.json"), other)
    record["requestParameters"]["accessKeyId"] = key
    event = normalize(record)
    runtime.service.ingest([event])
    http = http_for(runtime)
    http.click("request:deactivate-access-key", event.key, REQUESTER)
    slack.wait_for(lambda s: s.responses)
    assert "Requested" in slack.responses[0]["text"], slack.responses
    rid = runtime.store.row("SELECT id FROM requests")["id"]
    http.click("approve", rid, APPROVER2)
    slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "succeeded")
    assert iam_other.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    assert home.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"] == "Active"
    assert home_key != key


def test_digest_numbers_for_a_known_set_of_events(runtime, http, slack, aws):
    from bot import digest

    iam = aws.client("iam")
    event, _ = access_key_event(iam)
    others = [
        normalize(as_account(load(n)))
        for n in (
            "UpdateLoginProfile__authored__1.json",
            "UploadSigningCertificate__authored__1.json",
            "UpdateAccessKey__authored__2.json",
            "UpdateAccessKey__authored__3.json",
        )
    ]
    runtime.service.ingest([event, *others])
    http.click("request:deactivate-access-key", event.key, REQUESTER)
    rid = slack.wait_for(lambda s: runtime.store.row("SELECT id FROM requests"))["id"]
    http.click("approve", rid, APPROVER)
    slack.wait_for(lambda s: runtime.store.row("SELECT status FROM requests")["status"] == "succeeded")
    now = datetime.now(UTC)
    d = digest.compute(runtime.store, now - timedelta(hours=1), now + timedelta(minutes=1))
    assert d.total == 5
    assert d.by_severity == {"critical": 2, "high": 1, "low": 1, "info": 1}
    assert dict(d.by_event) == {"UpdateAccessKey": 3, "UpdateLoginProfile": 1, "UploadSigningCertificate": 1}
    assert d.remediations == [
        {
            "id": rid,
            "remediation_id": "deactivate-access-key",
            "requested_by": REQUESTER,
            "approved_by": [APPROVER],
            "status": "succeeded",
        }
    ]
    assert [n["severity"] for n in d.notable] == ["critical", "critical", "high"]
    assert d.decision_minutes_median is not None and d.decision_minutes_median < 1
    msg = digest.message(d)
    text = json.dumps(msg.blocks)
    assert "5 IAM event(s)" in text and "https://slack.com/archives/C0ALERTS/p" in text and rid in text
    quiet = digest.compute(runtime.store, now + timedelta(days=1), now + timedelta(days=2))
    assert quiet.quiet and "quiet" in digest.message(quiet).text
    # /iam digest posts one now
    http.slash("digest", REQUESTER)
    slack.wait_for(lambda s: [p for p in s.posted() if "iambot digest" in p["text"]])


def test_scheduler_has_its_named_jobs_and_the_digest_follows_cron_and_time_zone(runtime_for):
    from bot.scheduler import Background, build_scheduler, digest_trigger

    runtime = runtime_for(digest_cron="30 8 * * 1-5", digest_timezone="Europe/Paris")
    background = Background(runtime)
    background.lookup = SimpleNamespace(poll=lambda: None)  # stands in for a LookupPoller
    scheduler = build_scheduler(runtime, background, background.lookup)
    assert {j.id for j in scheduler.get_jobs()} == {
        "outbox-retry",
        "request-expiry",
        "oidc-snapshot",
        "lookup-events",
        "digest",
    }
    friday_evening = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    fire = digest_trigger(runtime.settings).get_next_fire_time(None, friday_evening)
    assert fire.isoformat() == "2026-11-23T08:30:00+01:00"  # Monday, 08:30 Paris time


def test_digest_is_computed_for_the_period_since_the_last_one(runtime, slack, aws):
    event, _ = access_key_event(aws.client("iam"))
    with time_machine.travel(NOW, tick=False):
        runtime.service.ingest([event])
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        first = runtime.service.post_digest()
    assert first.total == 1
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        second = runtime.service.post_digest()
    assert second.quiet and second.since == NOW + timedelta(minutes=1)
    texts = [p["text"] for p in slack.posted() if "digest" in p["text"]]
    assert len(texts) == 2 and "quiet" in texts[1]


def test_bad_digest_schedule_is_a_config_error():
    import pytest

    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="digest_cron"):
        load_settings(digest_cron="every morning")
    with pytest.raises(ConfigError, match="digest_cron"):
        load_settings(digest_timezone="Mars/Olympus")


def test_own_principal_from_sts_is_recognized(runtime, slack, aws):
    assert runtime.service.learn_own_principal() == "arn:aws:sts::123456789012:user/moto"  # moto's caller
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["userIdentity"] = {
        "type": "IAMUser",
        "arn": "arn:aws:sts::123456789012:user/moto",
        "accountId": "123456789012",
        "userName": "moto",
    }
    runtime.service.ingest([normalize(record)])
    assert dispositions(runtime) == {"self": 1}
    assert slack.posted() == []
