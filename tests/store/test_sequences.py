"""The sequences repository, on both backends: a step once per event, the loose steps of a window,
one sequence per key, members joined once, the open sequence and an earlier enumeration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store, iso
from bot.store.sequences import sequence_key

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
    assert len(store.sequences.loose("escalation", WHO, AT, AT)) == 1


def test_loose_steps_are_the_windows_not_yet_joined_oldest_first(store):
    steps(store, 6)
    steps(store, 2, who="arn:aws:iam::111122223333:user/other")
    loose = store.sequences.loose("escalation", WHO, AT + timedelta(minutes=1), AT + timedelta(minutes=4))
    assert [s.key for s in loose] == ["kescalation1", "kescalation2", "kescalation3", "kescalation4"]
    sid = sequence_key("escalation", WHO, "kescalation1")
    assert store.sequences.create(sid, "escalation", WHO, loose[0].at, loose[-1].at, True, AT)
    store.sequences.join(sid, [s.key for s in loose], loose[-1].at)
    assert store.sequences.loose("escalation", WHO, AT, AT + timedelta(hours=1))[0].key == "kescalation0"
    later = store.sequences.loose("escalation", WHO, AT + timedelta(minutes=1), AT + timedelta(hours=1))
    assert [s.key for s in later] == ["kescalation5"]


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
    assert len(store.sequences.loose("escalation", who, AT, AT + timedelta(hours=1))) == 2
