from __future__ import annotations

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError, Undo
from remediations.deactivate_access_key import DeactivateAccessKey
from remediations.reactivate_access_key import ReactivateAccessKey
from tests.remediations.test_deactivate_access_key import KEY_READS
from tests.support.records import key_status


def _user_with_key(iam, name="legacy-etl", status="Inactive"):
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName=name, AccessKeyId=key, Status=status)
    return key


def test_registered():
    assert registry.get("reactivate-access-key") is ReactivateAccessKey
    assert ReactivateAccessKey.destructive is False
    assert ReactivateAccessKey.permissions == DeactivateAccessKey.permissions


def test_sets_the_key_active(iam, run):
    key = _user_with_key(iam)
    other = iam.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="legacy-etl", AccessKeyId=other, Status="Inactive")
    ran = run(ReactivateAccessKey, iam, {"user_name": "legacy-etl", "access_key_id": key})
    assert ran.plan.lines == [
        f"Would set access key {key} of user legacy-etl to Active",
        "Whoever holds the key's secret can use it again",
    ]
    assert ran.plan.expected == {"status": "Inactive"}
    assert ran.plan.impact[0] == "Key last used: never"  # the blast radius: what the key can do again
    assert ran.outcome.lines == [f"Set access key {key} of user legacy-etl to Active"]
    assert key_status(iam, key) == "Active"
    assert key_status(iam, other) == "Inactive"  # only the key asked for
    assert ran.after.lines == [f"Access key {key} of user legacy-etl is already Active"]
    assert ran.after.expected == {"status": "Active"}


def test_an_active_key_is_a_noop(iam):
    key = _user_with_key(iam, status="Active")
    plan = ReactivateAccessKey(iam).plan(ReactivateAccessKey.parse({"user_name": "legacy-etl", "access_key_id": key}))
    assert plan.noop and plan.lines == [f"Access key {key} of user legacy-etl is already Active"]


def test_a_key_that_is_gone_is_a_clear_refusal(iam):
    key = _user_with_key(iam)
    iam.delete_access_key(UserName="legacy-etl", AccessKeyId=key)
    rem, p = ReactivateAccessKey(iam), ReactivateAccessKey.parse({"user_name": "legacy-etl", "access_key_id": key})
    with pytest.raises(RemediationError, match=rf"^User legacy-etl has no access key {key}$"):
        rem.plan(p)
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        rem.plan(ReactivateAccessKey.parse({"user_name": "ghost", "access_key_id": key}))


def test_drift_shows_in_the_expected_state(iam):
    key = _user_with_key(iam)
    rem, p = ReactivateAccessKey(iam), ReactivateAccessKey.parse({"user_name": "legacy-etl", "access_key_id": key})
    approved = rem.plan(p).expected
    iam.update_access_key(UserName="legacy-etl", AccessKeyId=key, Status="Active")
    assert rem.plan(p).expected != approved


@pytest.mark.parametrize(
    "params",
    [
        {"user_name": "legacy-etl", "access_key_id": "AKIASHORT"},
        {"user_name": "legacy etl", "access_key_id": "AKIAEXAMPLE000000001"},
        {"user_name": "legacy-etl"},
        {"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLE000000001", "status": "Active"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        ReactivateAccessKey.parse(params)


def test_undo_is_deactivate_access_key():
    params = {"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLE000000001"}
    assert ReactivateAccessKey.undo(params, {"status": "Inactive"}) == Undo("deactivate-access-key", params)
    assert ReactivateAccessKey.undo(params, {"status": "Active"}) is None


def test_undo_round_trip_makes_the_key_inactive_again(iam, round_trip):
    key = _user_with_key(iam)
    done = round_trip(ReactivateAccessKey, iam, {"user_name": "legacy-etl", "access_key_id": key})
    assert done.undo == Undo("deactivate-access-key", {"user_name": "legacy-etl", "access_key_id": key})
    assert key_status(iam, key) == "Inactive"


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        return {"user_name": "legacy-etl", "access_key_id": _user_with_key(session.client("iam"))}

    exactly_enough(ReactivateAccessKey, setup, impact=KEY_READS)
