"""bot/metrics.py: label values stay bounded whatever text arrives, a source's newest event time
never moves into the future or backwards, and the exposition is Prometheus text that
prometheus_client's own parser reads back, state gauges included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics


@pytest.fixture(autouse=True)
def fresh_newest():
    saved = dict(metrics.NEWEST)
    metrics.NEWEST.clear()
    yield
    metrics.NEWEST.clear()
    metrics.NEWEST.update(saved)


@given(st.one_of(st.text(), st.binary(), st.integers(), st.none()))
def test_a_label_is_short_printable_ascii_and_never_empty(value):
    text = metrics.label(value)
    assert 1 <= len(text) <= 40
    assert all(c.isascii() and c.isprintable() for c in text)


def test_a_label_keeps_plain_text_and_replaces_the_rest():
    assert metrics.label("sqs") == "sqs"
    assert metrics.label("line\nbreak\u202e") == "line?break?"
    assert metrics.label("") == "unknown"
    assert metrics.label("x" * 100, limit=8) == "xxxxxxxx"


def test_delivered_keeps_the_newest_time_and_takes_a_future_one_as_now():
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    metrics.delivered("sqs", now - timedelta(minutes=5), now)
    metrics.delivered("sqs", now - timedelta(minutes=9), now)  # older: ignored
    assert metrics.NEWEST["sqs"] == now - timedelta(minutes=5)
    metrics.delivered("sqs", now + timedelta(days=365), now)  # forged or skewed
    assert metrics.NEWEST["sqs"] == now


def families(text: bytes) -> dict[str, list]:
    return {f.name: f.samples for f in text_string_to_metric_families(text.decode())}


def test_the_exposition_parses_and_carries_counters_histogram_build_info_and_state():
    metrics.EVENTS.labels("test-source", "taken").inc(3)
    metrics.STORE_SECONDS.observe(0.002)

    def read():
        return {
            "iambot_outbox_pending": ("Messages waiting", [], [([], 4.0)]),
            "iambot_requests": ("By state", ["state"], [(["requested"], 2.0), (["succeeded"], 5.0)]),
        }

    found = families(metrics.exposition(metrics.StateCollector(read)))
    events = {s.labels["outcome"]: s.value for s in found["iambot_events"]
              if s.name == "iambot_events_total" and s.labels["source"] == "test-source"}  # fmt: skip
    assert events["taken"] >= 3
    assert any(s.name == "iambot_store_unit_seconds_count" and s.value >= 1 for s in found["iambot_store_unit_seconds"])
    (build,) = found["iambot_build_info"]
    assert set(build.labels) == {"version", "python"} and build.value == 1
    assert [s.value for s in found["iambot_outbox_pending"]] == [4.0]
    assert {s.labels["state"]: s.value for s in found["iambot_requests"]} == {"requested": 2.0, "succeeded": 5.0}


def test_without_a_state_collector_only_the_registry_is_exposed():
    found = families(metrics.exposition())
    assert "iambot_build_info" in found and "iambot_outbox_pending" not in found
