"""Sequences across one principal's events: the issue's twelve denied writes by one user within
four minutes, each alone at most low, are one self-escalation attempt; an enumeration is one
alert; nothing else is; and finding them is total over hostile records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.assess import Assessor
from bot.assess.sequences import (
    ALL_AT_ONCE,
    ENUMERATION,
    ESCALATION,
    Found,
    Step,
    Thresholds,
    Window,
    aims_at_self,
    counted_fires,
    find,
    step_of,
    tried,
)
from bot.catalog import SEVERITIES
from bot.config.settings import given as given_settings
from bot.events import RecordError, normalize
from tests.support.mutations import EXAMPLES, mutated_records
from tests.support.records import load
from tests.support.sequences import ENUMERATION_TOOL, START, denied, enumeration, escalation_attempt, read

ASSESS = Assessor()


def steps_of(records):
    steps = []
    for record in records:
        event = normalize(record)
        alert = ASSESS(event)
        step = step_of(event, alert.targets)
        if step is not None:
            steps.append(step)
    return steps


def test_the_issues_twelve_denied_writes_are_each_at_most_low_alone():
    severities = {ASSESS(normalize(r)).severity for r in escalation_attempt()}
    assert max(SEVERITIES.index(s) for s in severities) <= SEVERITIES.index("low")  # the gap the sequence closes


def test_the_issues_twelve_denied_writes_are_one_self_escalation_attempt_naming_the_calls():
    [found] = find(steps_of(escalation_attempt()))
    assert found.kind == ESCALATION and found.self_escalation and found.title == "Self-escalation attempt"
    assert found.principal == "arn:aws:iam::111122223333:user/mallory-dev"
    assert len(found.keys) == 12 and found.at_self == 4
    assert set(found.calls) >= {"AttachUserPolicy", "PutUserPolicy", "CreatePolicyVersion", "CreateAccessKey"}
    assert found.last - found.first == timedelta(minutes=3, seconds=40)
    said = found.summary
    assert "denied 12 identity write(s), 12 distinct" in said and "4 of them aimed at the caller's own user" in said
    assert "CreateLoginProfile" in said
    assert found.as_json()["severity"] == "medium"


def test_denied_writes_at_another_user_are_a_privilege_escalation_attempt():
    records = [denied(name, START + timedelta(minutes=i), i, target="admin") for i, (name, _) in enumerate(
        [("AttachUserPolicy", 0), ("PutUserPolicy", 0), ("CreateAccessKey", 0), ("CreateLoginProfile", 0),
         ("UpdateLoginProfile", 0)])]
    [found] = find(steps_of(records))
    assert not found.self_escalation and found.title == "Privilege-escalation attempt"


def test_four_denied_writes_or_five_spread_wider_than_the_window_are_no_sequence():
    assert find(steps_of(escalation_attempt()[:4])) == []
    spread = escalation_attempt(every=4 * 60)[:5]  # 16 minutes from first to fifth
    assert find(steps_of(spread)) == []
    assert len(find(steps_of(escalation_attempt(every=3 * 60)[:5]))) == 1  # 12 minutes


def test_the_thresholds_are_settings():
    limits = Thresholds.of(given_settings(sequence_denied_writes=12, sequence_denied_minutes=3))
    assert find(steps_of(escalation_attempt()), limits) == []  # 12 writes over 3:40
    assert len(find(steps_of(escalation_attempt()), Thresholds.of(given_settings(sequence_denied_writes=12)))) == 1


@pytest.mark.parametrize("field, value", [("sequence_denied_writes", 1), ("sequence_read_minutes", 0)])
def test_thresholds_out_of_range_are_refused(field, value):
    from bot.config.settings import ConfigError

    with pytest.raises((ConfigError, ValueError)):
        given_settings(**{field: value})


def test_principals_are_not_mixed():
    records = escalation_attempt("alice")[:3] + escalation_attempt("bob")[3:6]
    assert find(steps_of(records)) == []


def test_later_members_join_the_open_sequence_and_a_later_attempt_is_another():
    first = escalation_attempt()
    later = escalation_attempt(start=START + timedelta(hours=2))
    found = find(steps_of(first + later))
    assert [len(f.keys) for f in found] == [12, 12]


def test_successful_writes_and_sign_ins_are_no_step():
    assert steps_of([load("UpdateAccessKey__authored__1.json")]) == []
    failed_sign_in = load("ConsoleLogin__awsdocs__2.json")
    failed_sign_in["errorCode"] = "AccessDenied"  # sign-ins have their own repeated-failures factor
    assert steps_of([failed_sign_in, load("ConsoleLogin__awsdocs__1.json")]) == []


def test_ten_distinct_reads_within_five_minutes_are_an_enumeration():
    [found] = find(steps_of(enumeration()))
    assert found.kind == ENUMERATION and found.title == "Identity enumeration" and len(found.calls) == 11
    assert find(steps_of(enumeration(names=ENUMERATION_TOOL[:9]))) == []  # nine distinct
    same = [read("ListUsers", START + timedelta(seconds=i), i) for i in range(30)]
    assert find(steps_of(same)) == []  # one call thirty times is paging, not mapping


def test_get_account_authorization_details_alone_is_an_enumeration():
    [found] = find(steps_of([read("GetAccountAuthorizationDetails", START, 1)]))
    assert found.kind == ENUMERATION and dict(found.calls) == {"GetAccountAuthorizationDetails": 1}


def test_a_principal_seen_enumerating_before_is_marked_so():
    again = enumeration(start=START + timedelta(days=1))
    found = find(steps_of(enumeration() + again))
    assert [f.seen_before for f in found] == [False, True]


@pytest.mark.parametrize(
    "message, own",
    [
        ("User: arn:aws:iam::111122223333:user/mallory-dev is not authorized to perform: iam:PutUserPolicy"
         " on resource: user mallory-dev because no identity-based policy allows it", True),
        ("User: arn:aws:iam::111122223333:user/mallory-dev is not authorized to perform: iam:PutUserPolicy"
         " on resource: arn:aws:iam::111122223333:user/mallory-dev", True),
        ("User: arn:aws:iam::111122223333:user/mallory-dev is not authorized to perform: iam:PutUserPolicy"
         " on resource: user mallory-dev-2 because no identity-based policy allows it", False),
        ("User: arn:aws:iam::111122223333:user/mallory-dev is not authorized to perform: iam:CreatePolicyVersion"
         " on resource: policy arn:aws:iam::111122223333:policy/ops-admin because …", False),
        ("", False),
    ],
)
def test_a_denial_names_its_target_in_the_message(message, own):
    record = denied("PutUserPolicy", START, 1)
    record["errorMessage"] = message
    assert aims_at_self(normalize(record), {}) is own


def test_tried_names_the_calls_most_first_and_clips():
    assert tried([("A", 3), ("B", 1)]) == "A ×3, B"
    assert tried([(str(i), 1) for i in range(20)], limit=2) == "0, 1 and 18 more"


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(mutated_records(), min_size=1, max_size=8))
def test_finding_sequences_is_total_over_mutated_real_records(records):
    events = []
    for record in records:
        try:
            events.append(normalize(record))
        except RecordError:
            continue
    steps = []
    for event in events:
        try:
            targets = ASSESS(event).targets
        except ValueError:
            targets = {}
        step = step_of(event, targets)
        assert step is None or (step.principal and step.kind in (ESCALATION, ENUMERATION))
        if step is not None:
            steps.append(step)
    for found in find(steps, Thresholds(denied_writes=2, distinct_reads=2)):
        assert found.keys and found.summary and found.first <= found.last


def test_calls_outside_the_identity_services_are_no_step():
    record = denied("PutUserPolicy", START, 1)
    record["eventSource"] = "s3.amazonaws.com"
    assert step_of(normalize(record)) is None


def _found_by_rereading(steps, thresholds):
    """find's reading, written the plain way: each step, the window's members filtered again
    from every earlier loose step of its principal (quadratic; the oracle for a few steps)."""
    found, open_, recent, enumerated = [], {}, {}, set()
    for step in sorted(steps, key=lambda s: s.at):
        key = (step.kind, step.principal)
        window = thresholds.window(step.kind)
        current = open_.get(key)
        if current is not None and step.at - current.last <= window:
            current.add(step)
            continue
        members = [s for s in recent.get(key, []) if step.at - s.at <= window] + [step]
        recent[key] = members
        names = {s.name for s in members}
        if not counted_fires(step.kind, len(members), len(names), ALL_AT_ONCE in names, thresholds):
            continue
        sequence = Found(step.kind, step.principal, members[0].at, members[0].at)
        for member in members:
            sequence.add(member)
        if step.kind == ENUMERATION:
            sequence.seen_before = step.principal in enumerated
            enumerated.add(step.principal)
        found.append(sequence)
        open_[key] = sequence
        recent[key] = []
    return found


_STEPS = st.lists(
    st.builds(
        Step,
        kind=st.sampled_from([ESCALATION, ENUMERATION]),
        principal=st.sampled_from(["alice", "bob"]),
        at=st.integers(0, 40).map(lambda m: START + timedelta(minutes=m)),
        name=st.sampled_from(["ListUsers", "GetUser", "ListRoles", "AttachUserPolicy", ALL_AT_ONCE]),
        key=st.uuids().map(str),
        at_self=st.booleans(),
    ),
    max_size=60,
)


@given(_STEPS, st.integers(1, 6), st.integers(1, 6), st.integers(0, 10), st.integers(0, 10))
def test_the_sliding_window_finds_what_rereading_every_step_finds(steps, writes, reads, denied_min, read_min):
    limits = Thresholds(writes, timedelta(minutes=denied_min), reads, timedelta(minutes=read_min))
    assert find(steps, limits) == _found_by_rereading(steps, limits)


def test_a_busy_principal_keeps_only_the_window_in_memory():
    """A scanner reading the same three things every second all day: never a sequence, and the
    window it keeps is five minutes of steps, not the day's (each step costs the same)."""
    window, kept = Window(), []
    names = ["GetCallerIdentity", "ListUsers", "GetUser"]
    for i in range(3000):
        step = Step(ENUMERATION, "scanner", START + timedelta(seconds=i), names[i % 3], str(i))
        window.add(step, timedelta(minutes=5))
        kept.append(len(window.steps))
        assert not window.fires(ENUMERATION, Thresholds())
    assert max(kept) == 301 and sum(window.names.values()) == 301 and set(window.names) == set(names)
    assert window.steps[0].at == START + timedelta(seconds=2999 - 300)
