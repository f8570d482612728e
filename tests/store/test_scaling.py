"""What intake and the poster ask the store for every event or message is read through an index,
never by scanning history: the SQL each hot repository call runs is planned by SQLite as a
SEARCH (the figures themselves are in `make bench`)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.events import normalize
from bot.store import Store
from tests.support.records import load

AT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    made = Store(tmp_path / "s.db")
    event = normalize(load("UpdateAccessKey__authored__1.json"))
    with made.unit():
        made.events.add(event, severity="high", summary="s", targets={}, is_self=False, source_net=None, raw="{}")
        made.alerts.add(event.key, disposition="posted", severity="high", group_key="g", event_time=AT, actor="a")
        made.outbox.put("alert:" + event.key, "alert", event.key, "C0ALERTS", at=AT)
        made.suppressions.add({"event": "CreateUser"}, "planned", "U1", AT, AT + timedelta(hours=1))
        made.audit.add("dismiss", "U1", event_key=event.key, at=AT)
    yield made
    made.close()


def statements(monkeypatch, store: Store, calls: list[Any]) -> list[tuple[str, Any]]:
    """The SQL the repository calls run, with their parameters."""
    seen: list[tuple[str, Any]] = []
    for name in ("query", "execute", "probe"):
        real = getattr(type(store.db), name)

        def spy(self: Any, sql: str, params: Any = (), *rest: Any, _real: Any = real) -> Any:
            seen.append((sql, params))
            return _real(self, sql, params, *rest)

        monkeypatch.setattr(type(store.db), name, spy)
    for call in calls:
        call()
    monkeypatch.undo()
    return seen


def test_the_hot_queries_search_an_index(store, monkeypatch):
    since = AT - timedelta(minutes=1)
    hot = [
        lambda: store.alerts.repeat_parent("g", AT - timedelta(hours=1), AT),  # the repeat lookup
        lambda: store.alerts.repeat_times("alert-key"),  # a repeat counter, at every update
        lambda: store.outbox.count_since("alert", "C0ALERTS", since),  # the burst counter
        lambda: store.outbox.due(AT),  # the poster, at every flush
        lambda: store.outbox.backlog(AT),  # /healthz
        lambda: store.suppressions.active(AT),  # the suppression match, for every alert
        lambda: store.requests.succeeded_since(AT - timedelta(hours=1)),  # iambot's own changes
        lambda: store.events.sign_in_sources("arn:aws:iam::1:user/a", "signin.amazonaws.com", AT),  # new-network
        lambda: store.events.failures("arn:aws:iam::1:user/a", "192.0.2.1", "signin.amazonaws.com", since, AT),
        lambda: store.audit.last_by("dismiss", "alert-key"),  # who dismissed, at every render
        lambda: store.events.get("alert-key"),
        lambda: store.alerts.get("alert-key"),
        lambda: store.outbox.get("alert:alert-key"),
    ]
    seen = statements(monkeypatch, store, hot)
    assert len(seen) >= len(hot)
    conn = sqlite3.connect(store.path)
    for sql, params in seen:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        scans = [step for step in plan if step.startswith("SCAN")]
        assert not scans, f"{sql}\n  scans: {scans}"
    conn.close()


@pytest.mark.parametrize(
    ("call", "index"),
    [
        (lambda s: s.alerts.repeat_times("k"), "idx_alerts_thread_of_event_time (thread_of=?)"),
        (lambda s: s.suppressions.active(AT), "idx_suppressions_active (expires_at>?)"),
        (lambda s: s.requests.succeeded_since(AT), "idx_requests_status_finished_at (status=? AND finished_at>?)"),
        (lambda s: s.audit.last_by("dismiss", "k"), "idx_audit_event_key_action (event_key=? AND action=?)"),
        (lambda s: s.alerts.repeat_parent("g", AT, AT), "(group_key=? AND event_time>? AND event_time<?)"),
        (lambda s: s.outbox.count_since("alert", "C", AT), "(kind=? AND channel=? AND created_at>?)"),
        (lambda s: s.events.failures("a", "192.0.2.1", "signin", AT, AT), "event_source=? AND event_time>?"),
        (lambda s: s.events.sign_in_sources("a", "signin", AT), "COVERING INDEX"),
    ],
)
def test_each_lookup_reads_only_what_it_asks_for(store, monkeypatch, call, index):
    """Not an index on part of the question (all repeats, every succeeded request): the one that
    bounds the rows read to the answer's."""
    [(sql, params)] = statements(monkeypatch, store, [lambda: call(store)])
    conn = sqlite3.connect(store.path)
    plan = " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    conn.close()
    assert index in plan, plan
