"""What a hunt found, summarized for Slack: counts at or above the floor, the ten worst rows kept
in bounded memory, and one outbox message per query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.assess import Assessor
from bot.events import normalize
from bot.store import Store
from bot.workflow import messages as m
from bot.workflow.hunts import TOP, HuntSummary, queue_hunt
from tests.support.records import load


def alerts(n: int):
    assessor = Assessor()
    base = load("CreateUser__panther__1.json")
    for i in range(n):
        record = {**base, "eventID": f"e{i}"}
        record["eventTime"] = (datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        yield assessor(normalize(record))
    attach = assessor(normalize(load("AttachUserPolicy__panther__1.json")))
    yield attach


def test_the_summary_keeps_the_worst_rows_and_counts_all():
    summary = HuntSummary("access key AKIAIOSFODNN7EXAMPLE", "info")
    for alert in alerts(50):
        summary.add(alert)
    data = summary.as_data()
    assert sum(data["counts"].values()) == 51 and len(summary.top) == TOP
    assert data["top"][0]["event"] == "AttachUserPolicy"  # the worst first
    assert [r["when"] for r in data["top"][1:]] == sorted((r["when"] for r in data["top"][1:]), reverse=True)


def test_below_the_floor_is_not_counted():
    summary = HuntSummary("q", "critical")
    for alert in alerts(3):
        summary.add(alert)
    assert summary.seen == 0 and summary.as_data()["top"] == []


def test_one_message_per_query(tmp_path):
    store = Store(str(tmp_path / "h.db"))
    summary = HuntSummary("q", "info")
    for alert in alerts(2):
        summary.add(alert)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    assert queue_hunt(store, "C0ALERTS", "q-1", summary, at)
    assert not queue_hunt(store, "C0ALERTS", "q-1", summary, at)  # nothing done twice
    row = store.outbox.get(m.hunt_id("q-1"))
    assert row is not None and row.kind == m.Kind.HUNT and row.data["question"] == "q"
    assert not queue_hunt(store, "C0ALERTS", "q-2", HuntSummary("q", "info"), at)  # nothing found: no message
    store.close()
