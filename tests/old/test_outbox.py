"""Posting through the outbox: 429s honoured, failures kept and retried, nothing posted twice."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from bot.events import normalize
from tests.conftest import as_account, load


def event(name="UpdateAccessKey__authored__1.json"):
    return normalize(as_account(load(name)))


def test_429_is_retried_after_retry_after_and_posted_once(runtime, slack):
    slack.fail_next("chat.postMessage", status=429, retry_after=3, times=2)
    assert len(runtime.service.ingest([event()])) == 1
    assert [c.status for c in slack.of("chat.postMessage", ok_only=False)] == [429, 429, 200]
    assert runtime.sleeps == [3.0, 3.0]  # exactly Retry-After, no sleep in the test itself
    assert len(slack.posted()) == 1
    assert runtime.outbox.pending() == 0


def test_slack_down_keeps_the_alert_and_posts_it_once_later(runtime, slack):
    slack.fail_next("chat.postMessage", status=500, times=1)
    runtime.service.ingest([event()])
    assert slack.posted() == []
    assert runtime.outbox.pending() == 1
    row = runtime.store.row("SELECT * FROM messages")
    assert row["last_error"] == "internal_error" and row["next_at"]
    assert runtime.outbox.flush().posted == 0  # not due yet: backoff
    with time_machine.travel(runtime.outbox.clock() + timedelta(seconds=6)):
        stats = runtime.outbox.flush()
    assert stats.posted == 1
    assert len(slack.posted()) == 1
    # redelivery of the same event: stored once, posted once
    assert runtime.service.ingest([event()]) == []
    assert runtime.outbox.flush().posted == 0
    assert len(slack.posted()) == 1


def test_connection_refused_is_kept(runtime, slack):
    runtime.client.base_url = "http://127.0.0.1:9/api/"  # nothing listens on port 9
    runtime.service.ingest([event()])
    assert runtime.outbox.pending() == 1
    assert "Connection refused" in runtime.store.row("SELECT last_error FROM messages")["last_error"]
    assert len(runtime.sleeps) == 2  # two retries with backoff, through the injected sleep


def test_a_post_interrupted_by_a_crash_is_found_not_repeated(runtime, slack):
    runtime.service.ingest([event()])
    row = runtime.store.row("SELECT * FROM messages")
    # As if the process died after Slack took the post but before the ts was saved
    with runtime.store.transaction() as conn:
        conn.execute("UPDATE messages SET ts = NULL, sent_version = 0, attempts = 1 WHERE id = ?", (row["id"],))
    assert runtime.outbox.flush().posted == 1
    assert len(slack.posted()) == 1  # found by its metadata in conversations.history
    assert slack.of("conversations.history")
    assert runtime.store.row("SELECT ts FROM messages")["ts"] == row["ts"]


def test_a_change_before_the_post_is_posted_as_the_latest_state(runtime, slack):
    slack.fail_next("chat.postMessage", status=500)
    runtime.service.ingest([event()])
    key = runtime.store.row("SELECT ref FROM messages")["ref"]
    runtime.service.dismiss(key, "UAPPROVE1")
    assert slack.of("chat.update") == []
    with time_machine.travel(runtime.outbox.clock() + timedelta(seconds=6)):
        runtime.outbox.flush()
    [posted] = slack.posted()
    assert "Dismissed as expected by <@UAPPROVE1>" in str(posted["blocks"])  # the state now, in one post
    assert slack.of("chat.update") == []


def test_routes_by_severity_and_event(runtime_for, slack, tmp_path):
    config = tmp_path / "iambot.toml"
    config.write_text(
        '[[routes]]\nchannel = "#iam-critical"\nseverities = ["critical"]\n'
        '[[routes]]\nchannel = "#iam-approvals"\nevents = ["UpdateLoginProfile"]\n'
    )
    import os

    from bot.config import load_settings
    from bot.service import route
    from bot.triage import Assessor

    os.environ["IAMBOT_CONFIG"] = str(config)
    try:
        settings = load_settings(IAMBOT_ALERT_CHANNEL="#iam-alerts")
    finally:
        del os.environ["IAMBOT_CONFIG"]
    assess = Assessor()
    assert route(settings, assess(event())) == "#iam-critical"
    assert route(settings, assess(event("UpdateLoginProfile__authored__1.json"))) == "#iam-approvals"
    assert route(settings, assess(event("UpdateAccessKey__authored__2.json"))) == "#iam-alerts"
