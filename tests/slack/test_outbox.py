"""Posting through the outbox (bot/slack/outbox.py, Poster): 429s honoured, failures kept and
retried, nothing posted twice, each message rendered from the state at the time it is sent."""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine

from bot.events import normalize
from bot.slack.outbox import backoff
from tests.conftest import ALERTS, APPROVALS, APPROVER, REQUESTER
from tests.support.records import access_key_event, as_account, load
from tests.support.replies import said
from tests.support.state import pending, request_row


def event(name="UpdateAccessKey__authored__1.json", event_id=None):
    record = as_account(load(name))
    record["eventID"] = event_id or f"evt-{name}"
    return normalize(record)


def row(runtime, message_id):
    return runtime.store.db.one("SELECT * FROM messages WHERE id = ?", (message_id,))


def later(runtime, seconds=6):
    """The poster's clock moved on by ``seconds`` (past the backoff)."""
    return time_machine.travel(runtime.poster.clock() + timedelta(seconds=seconds))


def test_backoff_doubles_from_5_seconds_up_to_10_minutes():
    assert [backoff(n).total_seconds() for n in (0, 1, 2, 3, 4, 8, 20)] == [5, 5, 10, 20, 40, 600, 600]


def test_429_is_retried_after_retry_after_and_posted_once(runtime, slack):
    slack.fail_next("chat.postMessage", status=429, retry_after=3, times=2)
    assert len(runtime.workflow.intake.take([event()]).taken) == 1
    assert [c.status for c in slack.of("chat.postMessage", ok_only=False)] == [429, 429, 200]
    assert runtime.sleeps == [3.0, 3.0]  # exactly Retry-After, through the injected sleep
    assert len(slack.posted()) == 1
    assert pending(runtime) == 0


def test_slack_down_keeps_the_alert_and_posts_it_once_later(runtime, slack):
    slack.fail_next("chat.postMessage", status=500, times=1)
    e = event()
    runtime.workflow.intake.take([e])
    assert slack.posted() == []
    assert pending(runtime) == 1
    kept = row(runtime, f"alert:{e.key}")
    assert kept["last_error"] == "internal_error" and kept["next_at"] and kept["ts"] is None
    assert runtime.poster.flush().posted == 0  # not due yet: backoff
    with later(runtime):
        stats = runtime.poster.flush()
    assert stats.posted == 1
    assert len(slack.posted()) == 1
    assert pending(runtime) == 0 and runtime.store.outbox.get(f"alert:{e.key}").ts
    # a redelivery of the same event: stored once, posted once
    again = runtime.workflow.intake.take([event()])
    assert again.taken == [] and again.duplicates == 1
    assert runtime.poster.flush().posted == 0
    assert len(slack.posted()) == 1


def test_connection_refused_is_kept_and_posted_once_later(runtime, slack):
    real = runtime.client.base_url
    runtime.client.base_url = "http://127.0.0.1:9/api/"  # nothing listens on port 9
    e = event()
    runtime.workflow.intake.take([e])
    assert pending(runtime) == 1
    assert "Connection refused" in row(runtime, f"alert:{e.key}")["last_error"]
    assert len(runtime.sleeps) == 2  # two retries with backoff, through the injected sleep
    runtime.client.base_url = real
    with later(runtime):
        assert runtime.poster.flush().posted == 1
    assert len(slack.posted()) == 1 and pending(runtime) == 0


def test_a_post_interrupted_by_a_crash_is_found_not_repeated(runtime, slack):
    e = event()
    runtime.workflow.intake.take([e])
    before = row(runtime, f"alert:{e.key}")
    # as if the process died after Slack took the post but before the ts was saved
    with runtime.store.unit():
        runtime.store.db.execute(
            "UPDATE messages SET ts = NULL, sent_version = 0, attempts = 1, due = 1 WHERE id = ?", (before["id"],)
        )
    assert pending(runtime) == 1
    assert runtime.poster.flush().posted == 1
    assert len(slack.posted()) == 1  # found by its metadata in conversations.history
    assert slack.of("conversations.history")
    assert runtime.store.outbox.get(before["id"]).ts == before["ts"]


def test_a_reply_interrupted_by_a_crash_is_found_in_its_thread(runtime, slack, aws):
    e, _key = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([e])
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", e.key, REQUESTER)
    approval = row(runtime, f"approval:{request.id}")
    assert approval["ts"] and approval["thread_of"] == f"alert:{e.key}"
    with runtime.store.unit():
        runtime.store.db.execute(
            "UPDATE messages SET ts = NULL, sent_version = 0, attempts = 1, due = 1 WHERE id = ?", (approval["id"],)
        )
    assert runtime.poster.flush().posted == 1
    assert len(slack.posted()) == 2  # the alert and its approval message, each once
    assert slack.of("conversations.replies")[0].params["ts"] == runtime.store.outbox.get(f"alert:{e.key}").ts
    assert runtime.store.outbox.get(approval["id"]).ts == approval["ts"]


def test_a_change_before_the_post_is_posted_as_the_latest_state(runtime, slack):
    slack.fail_next("chat.postMessage", status=500)
    e = event()
    runtime.workflow.intake.take([e])
    runtime.workflow.alerts.dismiss(e.key, APPROVER, "expected")
    assert slack.of("chat.update") == []
    with later(runtime):
        runtime.poster.flush()
    [posted] = slack.posted()
    shown = said(posted["blocks"])
    assert "Dismissed as expected by" in shown and f"<@{APPROVER}>" in shown  # the state now, in one post
    assert "request:deactivate-access-key" not in json.dumps(posted["blocks"])
    assert slack.of("chat.update") == []


def test_a_change_after_the_post_updates_it_in_place(runtime, slack):
    e = event()
    runtime.workflow.intake.take([e])
    runtime.workflow.alerts.dismiss(e.key, APPROVER, "expected")
    [update] = slack.of("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (ALERTS, runtime.store.outbox.get(f"alert:{e.key}").ts)
    assert len(slack.posted()) == 1 and pending(runtime) == 0


def test_an_update_slack_can_never_accept_is_given_up(runtime, slack):
    e = event()
    runtime.workflow.intake.take([e])
    posted = runtime.store.outbox.get(f"alert:{e.key}")
    del slack.messages[(posted.channel, posted.ts)]  # deleted in Slack by someone
    runtime.workflow.alerts.dismiss(e.key, APPROVER, "expected")
    assert [c.params["ts"] for c in slack.of("chat.update")] == [posted.ts]
    assert pending(runtime) == 0  # message_not_found: never retried, never posted anew
    assert runtime.poster.flush().updated == 0 and len(slack.posted()) == 1


def test_a_reply_waits_for_its_parent(runtime, slack, aws):
    slack.fail_next("chat.postMessage", status=500, times=2)
    e, _key = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([e])  # the alert's post fails
    # the request touches the alert (due at once, backoff or not): its post fails again
    request = runtime.workflow.remediations.ask_from_alert("deactivate-access-key", e.key, REQUESTER)
    stats = runtime.poster.flush()
    assert (stats.posted, stats.waiting) == (0, 1)
    with later(runtime, 60):  # past the second backoff (10 s)
        assert runtime.poster.flush().posted == 2
    alert, approval = slack.posted()
    assert "thread_ts" not in alert
    assert approval["thread_ts"] == runtime.store.outbox.get(f"alert:{e.key}").ts
    assert runtime.store.outbox.get(f"approval:{request.id}").ts


def test_posts_to_one_channel_are_paced(runtime_for, slack):
    runtime = runtime_for(channel_interval_seconds=1.5)
    runtime.workflow.intake.take([event(), event("UpdateLoginProfile__authored__1.json")])
    assert len(slack.posted(ALERTS)) == 2
    assert len(runtime.sleeps) == 1 and 0 < runtime.sleeps[0] <= 1.5  # through the injected sleep


CRITICAL = "C0CRITICAL"  # tests.conftest.CRITICAL ("C0CRIT") is too short to be a channel id the settings accept


def test_routes_by_severity_and_event(runtime_for, slack):
    runtime = runtime_for(
        min_severity="info",
        routes=[
            {"channel": CRITICAL, "severities": ["critical", "high"]},
            {"channel": APPROVALS, "events": ["UpdateLoginProfile", "UpdateOpenIDConnectProviderThumbprint"]},
        ],
    )
    high = event()  # high: the first route
    password = event("UpdateLoginProfile__authored__1.json")  # high too: the first matching route wins
    oidc = event("UpdateOpenIDConnectProviderThumbprint__authored__1.json")  # medium: the events route
    own_key = event("UpdateAccessKey__authored__2.json")  # info: no route, IAMBOT_ALERT_CHANNEL
    taken = runtime.workflow.intake.take([high, password, oidc, own_key]).taken
    assert [t.alert.severity for t in taken] == ["high", "high", "medium", "info"]
    channels = {e.key: runtime.store.outbox.get(f"alert:{e.key}").channel for e in (high, password, oidc, own_key)}
    assert channels == {high.key: CRITICAL, password.key: CRITICAL, oidc.key: APPROVALS, own_key.key: ALERTS}
    assert sorted(p["channel"] for p in slack.posted()) == sorted([CRITICAL, CRITICAL, APPROVALS, ALERTS])


def test_an_approval_follows_its_alert_or_the_approvals_channel(runtime_for, slack, aws):
    runtime = runtime_for(approvals_channel=APPROVALS)
    e, _key = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([e])
    runtime.workflow.remediations.ask_from_alert("deactivate-access-key", e.key, REQUESTER)
    alert, approval = slack.posted()
    assert (alert["channel"], approval["channel"]) == (ALERTS, APPROVALS)
    assert "thread_ts" not in approval
    assert request_row(runtime)["status"] == "requested"


def test_a_direct_message_that_cannot_be_opened_is_retried(runtime_for, slack, aws):
    slack.emails["erin@example.com"] = "UERIN0001"
    slack.fail_next("conversations.open", status=200, error="ratelimited_but_ok_false")
    runtime = runtime_for(confirm_with_actor="medium")
    event, _ = access_key_event(aws.client("iam"))
    runtime.workflow.intake.take([event])
    [question] = runtime.store.db.query("SELECT id, ts, last_error FROM messages WHERE kind = 'question'")
    assert question["ts"] is None and "ratelimited_but_ok_false" in question["last_error"]
    with later(runtime):
        runtime.poster.flush()
    assert row(runtime, question["id"])["channel"] == "DERIN0001" and slack.posted("DERIN0001")
    assert [c.params["users"] for c in slack.of("conversations.open")] == ["UERIN0001"] * 2  # refused, then opened
    assert len(slack.posted("DERIN0001")) == 1
