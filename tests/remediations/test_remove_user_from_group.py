from __future__ import annotations

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError
from remediations.remove_user_from_group import RemoveUserFromGroup

PARAMS = {"user_name": "mallory-dev", "group_name": "admins"}


def _member(iam):
    iam.create_user(UserName="mallory-dev")
    for group in ("admins", "readers"):
        iam.create_group(GroupName=group)
        iam.add_user_to_group(UserName="mallory-dev", GroupName=group)


def _groups(iam):
    return [g["GroupName"] for g in iam.list_groups_for_user(UserName="mallory-dev")["Groups"]]


def test_registered():
    assert registry.get("remove-user-from-group") is RemoveUserFromGroup


def test_removes_the_user_from_that_group_only(iam, run):
    _member(iam)
    ran = run(RemoveUserFromGroup, iam, PARAMS)
    assert ran.plan.lines[0].startswith("Would remove user mallory-dev from group admins")
    assert ran.plan.expected == {"member": True}
    assert _groups(iam) == ["readers"]
    assert [u["UserName"] for u in iam.get_group(GroupName="admins")["Users"]] == []
    assert ran.outcome.lines == ["Removed user mallory-dev from group admins"]
    assert not ran.again.changed and ran.again.lines == ["User mallory-dev was not a member of group admins"]
    assert ran.after.lines == ["User mallory-dev is not a member of group admins"]


def test_missing_user_is_a_clear_refusal(iam):
    iam.create_group(GroupName="admins")
    rem, p = RemoveUserFromGroup(iam), RemoveUserFromGroup.parse({**PARAMS, "user_name": "ghost"})
    for step in (rem.plan, rem.apply):
        with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
            step(p)


def test_missing_group_is_not_a_membership(iam):
    iam.create_user(UserName="mallory-dev")
    plan = RemoveUserFromGroup(iam).plan(RemoveUserFromGroup.parse({**PARAMS, "group_name": "nope"}))
    assert plan.noop and plan.lines == ["User mallory-dev is not a member of group nope"]


def test_drift_shows_in_the_expected_state(iam):
    _member(iam)
    rem, p = RemoveUserFromGroup(iam), RemoveUserFromGroup.parse(PARAMS)
    approved = rem.plan(p).expected
    iam.remove_user_from_group(UserName="mallory-dev", GroupName="admins")
    assert rem.plan(p).expected != approved


@pytest.mark.parametrize(
    "params",
    [
        {"user_name": "mallory dev", "group_name": "admins"},
        {"user_name": "mallory-dev", "group_name": "a" * 129},
        {"user_name": "mallory-dev"},
        {**PARAMS, "role_name": "x"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        RemoveUserFromGroup.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        _member(session.client("iam"))
        return PARAMS

    exactly_enough(RemoveUserFromGroup, setup)
