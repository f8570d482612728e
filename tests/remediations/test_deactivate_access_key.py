from __future__ import annotations

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError, Undo
from remediations.deactivate_access_key import DeactivateAccessKey
from tests.support.records import key_status

# the blast radius of an access key: its use, and what its user can do
KEY_READS = {
    "iam:GetAccessKeyLastUsed",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:ListGroupsForUser",
}


def _user_with_key(iam, name="legacy-etl"):
    iam.create_user(UserName=name)
    return iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]


def test_registered():
    assert registry.get("deactivate-access-key") is DeactivateAccessKey
    assert DeactivateAccessKey.destructive is False


def test_sets_the_key_inactive(iam, run):
    key = _user_with_key(iam)
    other = iam.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    ran = run(DeactivateAccessKey, iam, {"user_name": "legacy-etl", "access_key_id": key})
    assert ran.plan.lines == [f"Would set access key {key} of user legacy-etl to Inactive"]
    assert ran.plan.expected == {"status": "Active"}
    assert ran.outcome.lines == [f"Set access key {key} of user legacy-etl to Inactive"]
    assert key_status(iam, key) == "Inactive"
    assert key_status(iam, other) == "Active"  # only the key asked for
    assert ran.after.lines == [f"Access key {key} of user legacy-etl is already Inactive"]
    assert ran.after.expected == {"status": "Inactive"}


def test_missing_user_is_a_clear_refusal(iam):
    rem = DeactivateAccessKey(iam)
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        rem.plan(DeactivateAccessKey.parse({"user_name": "ghost", "access_key_id": "AKIAEXAMPLE000000001"}))


def test_missing_key_is_a_clear_refusal(iam):
    _user_with_key(iam)
    rem = DeactivateAccessKey(iam)
    with pytest.raises(RemediationError, match=r"^User legacy-etl has no access key AKIAEXAMPLE000000001$"):
        rem.plan(DeactivateAccessKey.parse({"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLE000000001"}))


def test_drift_shows_in_the_expected_state(iam):
    key = _user_with_key(iam)
    rem, p = DeactivateAccessKey(iam), DeactivateAccessKey.parse({"user_name": "legacy-etl", "access_key_id": key})
    approved = rem.plan(p).expected
    iam.update_access_key(UserName="legacy-etl", AccessKeyId=key, Status="Inactive")
    assert rem.plan(p).expected != approved


@pytest.mark.parametrize(
    "params",
    [
        {"user_name": "legacy-etl", "access_key_id": "AKIASHORT"},
        {"user_name": "legacy-etl", "access_key_id": "AKIA-EXAMPLE-000001"},
        {"user_name": "legacy etl", "access_key_id": "AKIAEXAMPLE000000001"},
        {"user_name": "", "access_key_id": "AKIAEXAMPLE000000001"},
        {"user_name": "legacy-etl"},
        {"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLE000000001", "status": "Active"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DeactivateAccessKey.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        return {"user_name": "legacy-etl", "access_key_id": _user_with_key(session.client("iam"))}

    exactly_enough(DeactivateAccessKey, setup, impact=KEY_READS)


def test_undo_is_reactivate_access_key():
    params = {"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLE000000001"}
    assert DeactivateAccessKey.undo(params, {"status": "Active"}) == Undo("reactivate-access-key", params)
    # a key that was already Inactive was not changed by iambot: nothing to undo
    assert DeactivateAccessKey.undo(params, {"status": "Inactive"}) is None
    assert DeactivateAccessKey.undo({"user_name": "legacy-etl"}, {"status": "Active"}) is None


def test_undo_round_trip_makes_the_key_active_again(iam, round_trip):
    key = _user_with_key(iam)
    done = round_trip(DeactivateAccessKey, iam, {"user_name": "legacy-etl", "access_key_id": key})
    assert done.undo.remediation_id == "reactivate-access-key"
    assert done.plan.lines[0] == f"Would set access key {key} of user legacy-etl to Active"
    assert key_status(iam, key) == "Active"
