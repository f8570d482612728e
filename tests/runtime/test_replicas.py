"""Replicas on one database: a turn (lease) is held by one replica at a time and passes on when
it runs out or is released; a scheduled job's period runs in one replica only; the period is the
same in every replica. On both backends: on SQLite every turn and period is this process's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.runtime.replicas import EPOCH, Turn, once_per_period, period_of
from bot.store import Store

T0 = datetime(2026, 12, 6, 9, 0, 30, tzinfo=UTC)


@pytest.fixture
def two(db_url):
    """Two replicas' stores on one database."""
    a, b = Store(db_url), Store(db_url)
    yield a, b
    a.close()
    b.close()


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_a_turn_is_one_replicas_until_it_runs_out_or_is_released(two):
    a, b = two
    clock = Clock(T0)
    first = Turn(a, "poster", "replica-a", timedelta(seconds=120), clock)
    second = Turn(b, "poster", "replica-b", timedelta(seconds=120), clock)
    assert first()
    if not a.db.shared:  # SQLite: one process per file, so every turn is its own
        assert second()
        return
    assert not second()
    clock.at += timedelta(seconds=100)
    assert first()  # renewed by its holder: good for another 120 s from now
    clock.at += timedelta(seconds=100)
    assert not second()
    clock.at += timedelta(seconds=21)  # the holder died 121 s ago: the lease has run out
    assert second() and not first()
    assert a.leases.holder("poster", clock.at) == "replica-b"
    second.release()  # a replica shutting down hands over at once
    assert first()


def test_a_holder_writes_its_lease_once_a_third_of_the_term(two):
    a, _ = two
    clock = Clock(T0)
    turn = Turn(a, "poster", "replica-a", timedelta(seconds=60), clock)
    assert turn()
    clock.at += timedelta(seconds=19)
    assert turn()  # renewed 19 s ago: 41 s of the lease are left, nothing written
    if a.db.shared:
        assert a.leases.holder("poster", T0 + timedelta(seconds=61)) is None  # still until T0 + 60
    clock.at += timedelta(seconds=2)
    assert turn()  # 21 s: written again, until T0 + 81
    if a.db.shared:
        assert a.leases.holder("poster", T0 + timedelta(seconds=80)) == "replica-a"


def test_each_period_of_a_job_runs_in_one_replica(two):
    a, b = two
    ran: list[tuple[str, datetime]] = []
    clock = Clock(T0)
    jobs = [
        once_per_period(store, "digest", 60, lambda period, who=who: ran.append((who, period)), who, clock)
        for store, who in ((a, "a"), (b, "b"))
    ]
    for _minute in range(3):
        for job in jobs:  # both replicas' schedulers tick
            job()
        clock.at += timedelta(seconds=60)
    assert [period for _, period in ran] == [
        datetime(2026, 12, 6, 9, 0, tzinfo=UTC),
        datetime(2026, 12, 6, 9, 1, tzinfo=UTC),
        datetime(2026, 12, 6, 9, 2, tzinfo=UTC),
    ]
    assert {who for who, _ in ran} == {"a"}  # the first to claim each minute (here: always a)
    assert [r["replica"] for r in a.runs.of("digest")] == ["a", "a", "a"]
    assert a.runs.prune(T0 + timedelta(minutes=2)) == 2


def test_periods_are_counted_from_a_fixed_epoch():
    assert period_of(T0, 60) == datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert period_of(T0, 3600) == datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert period_of(EPOCH + timedelta(seconds=59.9), 60) == EPOCH
    # two replicas whose ticks straddle nothing agree, wherever they started
    assert period_of(T0 + timedelta(seconds=29), 60) == period_of(T0 - timedelta(seconds=30), 60)
