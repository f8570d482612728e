"""Fixtures for the tests of single remediations (tests/remediations/test_<module>.py only).

``iam``: an IAM client under moto. ``snapshots``: a tiny in-memory snapshot store. ``run``: plan,
apply, apply again, plan again (a remediation must be idempotent). ``exactly_enough``: under
moto's permission checking, the remediation succeeds holding exactly its declared permissions and
fails with AccessDenied when any one of them is taken away, except the reads of its blast radius:
without one of those it still plans and applies, and the plan says what it could not read.
``round_trip``: plan and apply a remediation, then its undo as the workflow requests it (from the
parameters and the expected state as stored), planned and applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from remediations import registry
from remediations.base import Outcome, Plan, Undo
from tests.support.aws import attempt


class FakeSnapshots:
    """record/latest/before over a list, like bot.store's Snapshots (an unchanged value is not stored)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, Any, str | None, datetime]] = []

    def record(
        self, kind: str, key: str, value: Any, account_id: str | None = None, at: datetime | None = None
    ) -> bool:
        if self.latest(kind, key) == value:
            return False
        self.rows.append((kind, key, value, account_id, at or datetime.now(UTC)))
        return True

    def latest(self, kind: str, key: str) -> Any:
        found = [row for row in self.rows if row[:2] == (kind, key)]
        return found[-1][2] if found else None

    def before(self, kind: str, key: str, when: datetime) -> Any:
        found = [row for row in self.rows if row[:2] == (kind, key) and row[4] < when]
        return found[-1][2] if found else None


@pytest.fixture
def snapshots() -> FakeSnapshots:
    return FakeSnapshots()


@pytest.fixture
def iam(aws):  # tests/conftest.py: the session-scoped fake-key Session, under mock_aws
    return aws.client("iam")


@dataclass
class Ran:
    plan: Plan
    outcome: Outcome
    again: Outcome  # the second apply
    after: Plan  # the plan after applying


@pytest.fixture
def run() -> Callable[..., Ran]:
    def run(cls: Any, client: Any, params: dict[str, Any], snapshots: Any = None) -> Ran:
        rem, p = cls(client, snapshots), cls.parse(params)
        plan = rem.plan(p)
        assert not plan.noop, plan.lines
        assert plan.lines[0].startswith("Would "), plan.lines
        outcome = rem.apply(p)
        assert outcome.changed, outcome.lines
        again = rem.apply(p)  # idempotent: applying twice is harmless
        after = rem.plan(p)
        assert after.noop, after.lines  # and nothing is left to do
        assert after.expected != plan.expected  # what it changed shows in the expected state
        return Ran(plan, outcome, again, after)

    return run


def stored(value: Any) -> Any:
    """``value`` as the store keeps it and gives it back (JSON)."""
    return json.loads(json.dumps(value))


@dataclass
class Undone:
    undo: Undo
    plan: Plan  # the undo's plan
    outcome: Outcome  # the undo's apply


@pytest.fixture
def round_trip() -> Callable[..., Undone]:
    def round_trip(cls: Any, client: Any, params: dict[str, Any], snapshots: Any = None) -> Undone:
        rem, p = cls(client, snapshots), cls.parse(params)
        plan = rem.plan(p)
        assert not plan.noop, plan.lines
        assert rem.apply(p).changed
        undo = cls.undo(stored(p.model_dump(exclude_none=True)), stored(plan.expected))
        assert undo is not None, (cls.id, plan.expected)
        inverse = registry.REMEDIATIONS[undo.remediation_id]
        back, q = inverse(client, snapshots), inverse.parse(undo.params)
        undo_plan = back.plan(q)
        assert not undo_plan.noop and undo_plan.lines[0].startswith("Would "), undo_plan.lines
        outcome = back.apply(q)
        assert outcome.changed, outcome.lines
        assert back.plan(q).noop  # nothing left to put back
        return Undone(undo, undo_plan, outcome)

    return round_trip


@pytest.fixture
def exactly_enough(aws_session) -> Callable[..., None]:
    """``setup(session, store)`` makes the state in a fresh moto account and returns the parameters;
    ``store`` makes a snapshot store for each attempt (or None); ``needed`` are the permissions this
    scenario must use (all declared ones but ``impact`` unless given); ``impact`` the reads of the
    blast radius, which must not stop the plan when refused."""

    def check(
        cls: Any,
        setup: Callable[[Any, Any], dict[str, Any]],
        store: Callable[[], Any] | None = None,
        needed: Iterable[str] | None = None,
        impact: Iterable[str] = (),
    ) -> None:
        declared, reads = set(cls.permissions), set(impact)
        needed = declared - reads if needed is None else set(needed)
        assert needed <= declared and reads <= declared and not needed & reads

        def attempt_with(allowed: set[str]) -> tuple[Plan, Outcome]:
            snaps, plans = (store() if store else None), []
            outcome = attempt(aws_session, cls, lambda session: setup(session, snaps), allowed, snaps, plans)
            return plans[0], outcome

        plan, outcome = attempt_with(declared)
        assert outcome.changed and not [line for line in plan.impact if line.startswith("Could not read")]
        for missing in sorted(needed):
            with pytest.raises(ClientError) as info:
                attempt_with(declared - {missing})
            assert _access_denied(info.value), (missing, info.value.response["Error"])
        for missing in sorted(reads):
            plan, outcome = attempt_with(declared - {missing})
            refused = [line for line in plan.impact if line.startswith("Could not read") and "AccessDenied" in line]
            assert outcome.changed and len(refused) == 1, (missing, plan.impact)

    return check


def _access_denied(exc: ClientError) -> bool:
    error = exc.response["Error"]
    if error.get("Code") in {"AccessDenied", "AccessDeniedException"}:
        return True
    # moto 5.2.5 answers a JSON-protocol service (organizations) with IAM's XML error body, which
    # botocore reads as Code "403" with that XML as the message.
    return error.get("Code") == "403" and "<Code>AccessDenied</Code>" in str(error.get("Message"))
