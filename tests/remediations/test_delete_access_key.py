from __future__ import annotations

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError
from remediations.delete_access_key import DeleteAccessKey

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


def _keys(iam, user="legacy-etl"):
    return [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]


def test_registered():
    assert registry.get("delete-access-key") is DeleteAccessKey
    assert DeleteAccessKey.destructive is True


def test_deletes_the_key(iam, run):
    key = _user_with_key(iam)
    other = iam.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    ran = run(DeleteAccessKey, iam, {"user_name": "legacy-etl", "access_key_id": key})
    assert ran.plan.lines == [
        f"Would permanently delete access key {key} of user legacy-etl (now Active); this cannot be undone"
    ]
    assert ran.plan.expected == {"exists": True, "status": "Active"}
    assert ran.outcome.lines == [f"Deleted access key {key} of user legacy-etl"]
    assert _keys(iam) == [other]
    # applying again is harmless
    assert not ran.again.changed and ran.again.lines == [f"Access key {key} was already deleted"]
    assert ran.after.lines == [f"Access key {key} of user legacy-etl is already deleted"]
    assert ran.after.expected == {"exists": False}


def test_an_inactive_key_says_so(iam):
    key = _user_with_key(iam)
    iam.update_access_key(UserName="legacy-etl", AccessKeyId=key, Status="Inactive")
    plan = DeleteAccessKey(iam).plan(DeleteAccessKey.parse({"user_name": "legacy-etl", "access_key_id": key}))
    assert "(now Inactive)" in plan.lines[0] and plan.expected == {"exists": True, "status": "Inactive"}


def test_missing_user_is_a_clear_refusal(iam):
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        DeleteAccessKey(iam).plan(
            DeleteAccessKey.parse({"user_name": "ghost", "access_key_id": "AKIAEXAMPLE000000001"})
        )


@pytest.mark.parametrize(
    "params",
    [
        {"user_name": "legacy-etl", "access_key_id": "AKIASHORT"},
        {"user_name": "legacy/etl", "access_key_id": "AKIAEXAMPLE000000001"},
        {"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLE000000001", "force": True},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DeleteAccessKey.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        return {"user_name": "legacy-etl", "access_key_id": _user_with_key(session.client("iam"))}

    exactly_enough(DeleteAccessKey, setup, impact=KEY_READS)
