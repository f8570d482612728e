"""The sequences repository, on both backends: a step once per event, the loose steps of a window
counted and joined, one sequence per key, members joined once, the open sequence and an earlier
enumeration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store, iso
from bot.store.sequences import Tally, sequence_key

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
WHO = "arn:aws:iam::111122223333:user/mallory-dev"


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def steps(store, n, kind="escalation", who=WHO, start=AT):
    for i in range(n):
        key = f"k{kind}{i}" if who == WHO else f"{who[-8:]}:{i}"
        assert store.sequences.step(key, kind, who, start + timedelta(minutes=i), f"Call{i % 3}", i == 0)


def test_a_step_is_stored_once_per_event(store):
    steps(store, 1)
    assert not store.sequences.step("kescalation0", "escalation", WHO, AT, "Call0", True)
    assert store.sequences.tally("escalation", WHO, AT, AT, "Call0") == Tally(1, 1, True)


def test_the_windows_loose_steps_are_counted_and_joined_oldest_first(store):
    steps(store, 6)
    steps(store, 2, who="arn:aws:iam::111122223333:user/other")
    since, until = AT + timedelta(minutes=1), AT + timedelta(minutes=4)
    assert store.sequences.tally("escalation", WHO, since, until, "Call0") == Tally(4, 3, True)
    assert store.sequences.tally("escalation", WHO, since, until, "Nothing") == Tally(4, 3, False)
    assert store.sequences.tally("enumeration", WHO, since, until, "Call0") == Tally(0, 0, False)
    first = store.sequences.first_loose("escalation", WHO, since, until)
    assert first is not None and first.key == "kescalation1" and first.name == "Call1" and not first.at_self
    sid = sequence_key("escalation", WHO, first.key)
    assert store.sequences.create(sid, "escalation", WHO, first.at, first.at, True, AT)
    store.sequences.join_loose(sid, "escalation", WHO, since, until)
    row = store.sequences.get(sid)
    assert row.events == 4 and row.last_at == iso(until)
    assert store.sequences.tally("escalation", WHO, since, until, "Call0") == Tally(0, 0, False)
    assert store.sequences.first_loose("escalation", WHO, AT, AT + timedelta(hours=1)).key == "kescalation0"
    assert store.sequences.tally("escalation", WHO, since, AT + timedelta(hours=1), "Call2") == Tally(1, 1, True)
    assert store.sequences.first_loose("escalation", "nobody", AT, until) is None


def test_one_sequence_per_key_and_its_members_counted_once(store):
    steps(store, 5)
    sid = sequence_key("escalation", WHO, "kescalation0")
    assert sequence_key("escalation", WHO, "kescalation0") == sid != sequence_key("escalation", WHO, "kescalation1")
    assert store.sequences.create(sid, "escalation", WHO, iso(AT), iso(AT), True, AT)
    assert not store.sequences.create(sid, "escalation", WHO, iso(AT), iso(AT), True, AT)  # another replica's
    keys = [f"kescalation{i}" for i in range(5)]
    store.sequences.join(sid, keys, iso(AT + timedelta(minutes=4)))
    store.sequences.join(sid, keys, iso(AT + timedelta(minutes=2)))  # joined again, and earlier: no change
    row = store.sequences.get(sid)
    assert row.events == 5 and row.at_self == 1 and row.last_at == iso(AT + timedelta(minutes=4))
    assert row.calls == (("Call0", 2), ("Call1", 2), ("Call2", 1))
    assert store.sequences.of_event("kescalation3") == sid and store.sequences.of_event("nothing") is None
    assert store.sequences.open("escalation", WHO, AT + timedelta(minutes=4)) == sid
    assert store.sequences.open("escalation", WHO, AT + timedelta(minutes=5)) is None
    assert store.sequences.open("enumeration", WHO, AT) is None


def test_an_enumeration_that_ended_before_is_remembered(store):
    sid = sequence_key("enumeration", WHO, "x")
    store.sequences.create(sid, "enumeration", WHO, iso(AT), iso(AT + timedelta(minutes=2)), True, AT)
    assert store.sequences.enumerated_before(WHO, iso(AT + timedelta(days=1)))
    assert not store.sequences.enumerated_before(WHO, iso(AT + timedelta(minutes=1)))
    assert not store.sequences.enumerated_before("someone-else", iso(AT + timedelta(days=1)))


def test_a_huge_principal_is_clipped_the_same_way_everywhere(store):
    who = "arn:aws:iam::111122223333:user/" + "x" * 5000
    steps(store, 2, who=who)
    assert store.sequences.tally("escalation", who, AT, AT + timedelta(hours=1), "Call0").steps == 2
