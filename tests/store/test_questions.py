"""The questions repository, on both backends: asked once per key, answered once (compare-and-set),
an e-mail resolved to a person once, and the unanswered questions of a period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Store
from bot.store.questions import question_key

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    yield s
    s.close()


def test_the_same_person_credential_and_window_is_asked_once(store):
    qid = question_key("UERIN0001", "AKIAEXAMPLE", 7)
    assert qid == question_key("UERIN0001", "AKIAEXAMPLE", 7)
    assert qid != question_key("UERIN0001", "AKIAEXAMPLE", 8) != question_key("UERIN0001", "AKIAOTHER", 7)
    assert store.questions.ask(qid, "k1", "UERIN0001", None, "AKIAEXAMPLE", AT)
    assert not store.questions.ask(qid, "k2", "UERIN0001", None, "AKIAEXAMPLE", AT)  # another replica, a repeat
    q = store.questions.get(qid)
    assert (q.event_key, q.person, q.status, q.answered) == ("k1", "UERIN0001", "asked", False)
    assert store.questions.for_event("k1") == q and store.questions.for_event("k2") is None


def test_an_answer_is_recorded_once(store):
    qid = question_key("UERIN0001", "AKIAEXAMPLE", 7)
    store.questions.ask(qid, "k1", "UERIN0001", None, "AKIAEXAMPLE", AT)
    assert store.questions.answer(qid, "yes", "rotating the ETL key", AT + timedelta(minutes=2))
    assert not store.questions.answer(qid, "no", None, AT + timedelta(minutes=3))
    q = store.questions.get(qid)
    assert (q.status, q.reason, q.answered) == ("yes", "rotating the ETL key", True)
    assert q.answered_at == "2026-12-07T09:02:00Z"
    assert not store.questions.answer("Qnosuchquestion", "yes", None, AT)


def test_an_email_resolves_to_one_person_and_a_no_keeps_its_request(store):
    qid = question_key("email:erin@example.com", "arn:aws:sts::1:assumed-role/Admin/erin@example.com", 1)
    store.questions.ask(qid, "k1", None, "erin@example.com", "Admin", AT)
    assert store.questions.assign(qid, "UERIN0001")
    assert not store.questions.assign(qid, "UOTHER001")
    store.questions.opened(qid, "RABCDEF")
    q = store.questions.get(qid)
    assert (q.person, q.email, q.request_id) == ("UERIN0001", "erin@example.com", "RABCDEF")


def test_unanswered_questions_of_a_period_that_reached_someone(store):
    for i, person in enumerate(("UERIN0001", None, "UERIN0001", "UBOB00001")):
        store.questions.ask(f"Q{i}", f"k{i}", person, "x@example.com", f"cred{i}", AT + timedelta(hours=i))
    store.questions.answer("Q2", "no", None, AT + timedelta(hours=2))
    found = store.questions.unanswered(AT, AT + timedelta(hours=3))
    assert [q.id for q in found] == ["Q0"]  # Q1 reached nobody, Q2 was answered, Q3 is after the period
    assert [q.id for q in store.questions.unanswered(AT, AT + timedelta(hours=4))] == ["Q0", "Q3"]
