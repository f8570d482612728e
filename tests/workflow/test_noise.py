"""Noise control: repeats go into the first alert's thread as one counter; a burst becomes a few
alerts and one summary, with every event stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from tests.conftest import ALERTS
from tests.support.sources import event_at
from tests.support.state import pending

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LOGIN = "UpdateLoginProfile__authored__1.json"


def test_repeats_go_into_the_first_alerts_thread_with_a_counter(runtime, slack):
    with time_machine.travel(NOW, tick=False):
        events = [event_at(LOGIN, NOW - timedelta(minutes=m), f"e{m}") for m in (9, 6, 3, 1)]
        result = runtime.workflow.intake.take(events)
    assert [t.disposition for t in result.taken] == ["posted", "repeat", "repeat", "repeat"]
    assert runtime.store.alerts.dispositions() == {"posted": 1, "repeat": 3}
    posts = slack.posted()
    assert len(posts) == 2  # the alert, and one counter reply in its thread
    alert_ts = runtime.store.outbox.get(f"alert:{events[0].key}").ts
    assert posts[0]["channel"] == ALERTS and "thread_ts" not in posts[0]
    assert posts[1]["thread_ts"] == alert_ts
    reply = runtime.store.outbox.get(f"repeats:{events[0].key}")
    assert "Repeated 3 more time(s)" in slack.latest(reply.channel, reply.ts)["text"]
    assert pending(runtime) == 0


def test_a_later_repeat_updates_the_one_counter(runtime, slack):
    with time_machine.travel(NOW, tick=False):
        first = [event_at(LOGIN, NOW - timedelta(minutes=m), f"e{m}") for m in (9, 6)]
        runtime.workflow.intake.take(first)
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        runtime.workflow.intake.take([event_at(LOGIN, NOW + timedelta(minutes=1), "e+1")])
    assert len(slack.posted()) == 2  # still one alert and one counter: the counter is edited
    reply = runtime.store.outbox.get(f"repeats:{first[0].key}")
    assert "Repeated 2 more time(s)" in slack.latest(reply.channel, reply.ts)["text"]


def test_outside_the_repeat_window_it_is_a_new_alert(runtime_for, slack):
    runtime = runtime_for(repeat_window_minutes=5)
    with time_machine.travel(NOW, tick=False):
        events = [event_at(LOGIN, NOW - timedelta(minutes=m), f"e{m}") for m in (30, 1)]
        result = runtime.workflow.intake.take(events)
    assert [t.disposition for t in result.taken] == ["posted", "posted"]
    assert len(slack.posted()) == 2 and all("thread_ts" not in p for p in slack.posted())


def test_a_burst_becomes_threads_and_a_summary_with_every_event_stored(runtime_for, slack):
    runtime = runtime_for(burst_per_minute=5)
    with time_machine.travel(NOW, tick=False):
        events = [
            event_at(
                "UpdateAccessKey__authored__1.json",
                NOW - timedelta(seconds=i),
                f"burst-{i}",
                userName=f"user-{i % 40}",
                accessKeyId=f"AKIAEXAMPLE{i:09d}",
            )
            for i in range(200)
        ]
        runtime.workflow.intake.take(events)
    assert runtime.store.events.count() == 200  # every event stored
    d = runtime.store.alerts.dispositions()
    assert d["posted"] == 5 and d["posted"] + d["burst"] + d.get("repeat", 0) == 200
    posts = slack.posted()
    assert len(posts) == 6  # five alerts and one summary, not 200 messages
    assert "Burst: 195 more identity event(s)" in posts[-1]["text"]
    assert "over 5 a minute" in posts[-1]["text"]
    assert pending(runtime) == 0
