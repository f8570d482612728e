"""An entry's plan reads every event as the interpreter in bot.catalog.fields does: conditions on
any value, targets, look-ups, templates and the case chosen on real and mutated records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.assess.assessor import iso_time
from bot.assess.plan import Template, condition, field, plan_of
from bot.catalog import Entry, load
from bot.catalog.fields import Subject, holds, lookup, matches, render, resolve_targets, resolves
from bot.catalog.model import CONTEXT_FIELDS, PLACEHOLDER
from bot.events import RecordError, normalize
from tests.support.mutations import RECORDS, json_values, mutated_records

# strings that meet the catalog's own expectations, in several cases, and numbers written as text
words = st.sampled_from(["Root", "root", "IAMUser", "yes", "Yes", "No", "true", "False", "5", "5.0", "-1e3", "",
                         "arn:aws:iam::111122223333:user/bob", "AKIA", "nan", "inf", " 7 "])
scalars = st.one_of(words, st.text(max_size=8), st.integers(-10, 10), st.floats(allow_nan=True), st.booleans())
needles = st.one_of(words, st.lists(words, max_size=3))
numbers = st.one_of(st.integers(-10, 10), st.floats(allow_nan=False, allow_infinity=True))


def tables(inner: Any) -> Any:
    """An operator table, as the loader accepts it (``not`` takes any condition)."""
    return st.fixed_dictionaries(
        {},
        optional={
            "present": st.booleans(),
            "prefix": needles,
            "suffix": needles,
            "contains": needles,
            "below": numbers,
            "above": numbers,
            "not": inner,
        },
    )


conditions = st.recursive(st.one_of(scalars, st.lists(scalars, max_size=3)), tables, max_leaves=6)
actuals = st.one_of(scalars, json_values, st.lists(words, max_size=2), st.none())


def outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # the same failure, or none: that is what is compared
        return type(exc)


@given(conditions, actuals)
@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
def test_a_compiled_condition_holds_as_the_interpreter_says(cond: Any, actual: Any) -> None:
    assert outcome(condition(cond), actual) == outcome(holds, cond, actual)


@pytest.mark.parametrize(
    ("cond", "actual", "expected"),
    [
        ("Root", "ROOT", True),
        ("5", 5, True),  # a number equals its text
        (5, "5", False),  # text never equals a number
        (True, "true", True),
        ("None", None, False),
        ({"prefix": ["ar", "x"], "not": {"suffix": "bob"}}, "arn:aws:iam::1:user/alice", True),
        ({"below": 3}, "2.5", True),
        ({"present": False}, [], True),
    ],
)
def test_conditions_read_as_the_catalog_guide_says(cond: Any, actual: Any, expected: bool) -> None:
    assert condition(cond)(actual) is expected


def _reference_case(entry: Entry, subject: Subject) -> Any:
    """The case the Assessor chose before plans, written with the interpreter."""
    failed = subject.event.failed
    first = None
    for case in entry.summary:
        if matches(case.when, subject):
            if resolves(case.attempt if failed else case.text, subject):
                return case
            first = first or case
    return first or entry.summary[-1]


def _check_reads_as_interpreted(record: dict[str, Any]) -> None:
    try:
        event = normalize(record)
    except RecordError:
        return
    catalog = load()
    entry = catalog.get(event.event_source, event.event_name, event.read_only, event.actor.is_root)
    plan = plan_of(entry)
    targets = resolve_targets(entry, event)
    assert plan.resolve(event) == targets
    subject = Subject(event, targets)
    names = set(CONTEXT_FIELDS) | set(entry.targets) | {"resource_arn"}
    for case in entry.summary:
        assert case_when(plan, case, subject) == matches(case.when, subject)
        names |= set(case.when)
        for text in (case.text, case.attempt):
            template = Template(text)
            shown = template.shown(subject)
            assert template.fill(shown) == render(text, subject)
            assert (None not in shown) == resolves(text, subject)
            names |= set(PLACEHOLDER.findall(text))
    for name in names:
        assert outcome(field(name), subject) == outcome(lookup, subject, name)
    chosen, summary = plan.describe(subject)
    reference = _reference_case(entry, subject)
    assert chosen is reference
    text = render(reference.attempt if event.failed else reference.text, subject)
    assert summary == (f"{text} ({event.error_code})" if event.failed else text)


def case_when(plan: Any, case: Any, subject: Subject) -> bool:
    (compiled,) = [c for c in plan.cases if c.summary is case]
    return bool(compiled.when(subject))


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: str(r.get("eventName")))
def test_every_fixture_reads_as_interpreted(record: dict[str, Any]) -> None:
    _check_reads_as_interpreted(record)


@given(mutated_records())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_a_mutated_record_reads_as_interpreted(record: dict[str, Any]) -> None:
    _check_reads_as_interpreted(record)


def test_an_entry_is_compiled_once() -> None:
    entry = load().get("iam.amazonaws.com", "CreateAccessKey")
    assert plan_of(entry) is plan_of(entry)
    generic = load().get("iam.amazonaws.com", "NoSuchCall")
    assert plan_of(generic).entry is generic


zones = st.sampled_from([UTC, timezone(timedelta(0)), timezone(timedelta(hours=-5)), timezone(timedelta(minutes=90))])


@given(st.datetimes(timezones=zones) | st.datetimes())
def test_iso_time_is_isoformat_with_utc_as_z(when: datetime) -> None:
    assert iso_time(when) == when.isoformat().replace("+00:00", "Z")
