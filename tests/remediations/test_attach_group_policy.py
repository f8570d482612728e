from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.attach_group_policy import AttachGroupPolicy
from remediations.base import RemediationError, Undo

NAME = "contractors"
S3_ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def _attached(iam):
    return [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName=NAME)["AttachedPolicies"]]


def _group_and_policy(iam):
    """The group with one policy attached, and another policy that is not."""
    iam.create_group(GroupName=NAME)
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    other = iam.create_policy(PolicyName="other", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=NAME, PolicyArn=other)
    return arn, other


def test_registered():
    assert registry.get("attach-group-policy") is AttachGroupPolicy
    assert AttachGroupPolicy.destructive is False


def test_attaches_the_policy(iam, run):
    arn, other = _group_and_policy(iam)
    ran = run(AttachGroupPolicy, iam, {"group_name": NAME, "policy_arn": arn})
    assert ran.plan.lines == [
        f"Would attach managed policy {arn} to group {NAME}",
        "The group gets what the policy allows",
    ]
    assert ran.plan.expected == {"attached": False}
    assert ran.plan.impact == ["Attached to no user, group or role"]  # what else it is attached to
    assert ran.outcome.lines == [f"Attached policy {arn} to group {NAME}"]
    assert sorted(_attached(iam)) == sorted([arn, other])
    assert not ran.again.changed and ran.again.lines == [f"Policy {arn} was already attached to group {NAME}"]
    assert ran.after.lines == [f"Policy {arn} is already attached to group {NAME}"]
    assert ran.after.expected == {"attached": True}


def test_missing_group_is_a_clear_refusal(iam):
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    rem, p = AttachGroupPolicy(iam), AttachGroupPolicy.parse({"group_name": "ghost", "policy_arn": arn})
    for step in (rem.plan, rem.apply):
        with pytest.raises(RemediationError, match=r"^Group ghost does not exist$"):
            step(p)


def test_missing_policy_is_a_clear_refusal(iam):
    _group_and_policy(iam)
    arn = "arn:aws:iam::123456789012:policy/never-made"
    rem, p = AttachGroupPolicy(iam), AttachGroupPolicy.parse({"group_name": NAME, "policy_arn": arn})
    assert not rem.plan(p).noop  # the plan lists only what is attached
    with pytest.raises(RemediationError, match=rf"^Policy {arn} does not exist$"):
        rem.apply(p)


def test_drift_shows_in_the_expected_state(iam):
    arn, _ = _group_and_policy(iam)
    rem, p = AttachGroupPolicy(iam), AttachGroupPolicy.parse({"group_name": NAME, "policy_arn": arn})
    approved = rem.plan(p).expected
    iam.attach_group_policy(GroupName=NAME, PolicyArn=arn)  # someone else did it meanwhile
    assert rem.plan(p).expected != approved


@pytest.mark.parametrize(
    "params",
    [
        {"group_name": "a b", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"group_name": "x" * 129, "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"group_name": NAME, "policy_arn": "AdministratorAccess"},
        {"group_name": NAME, "policy_arn": "arn:aws:iam::aws:policy/A", "extra": "x"},
        {"group_name": NAME},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        AttachGroupPolicy.parse(params)


def test_undo_is_detach_group_policy():
    params = {"group_name": NAME, "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert AttachGroupPolicy.undo(params, {"attached": False}) == Undo("detach-group-policy", params)
    assert AttachGroupPolicy.undo(params, {"attached": True}) is None


def test_undo_round_trip_detaches_it_again(iam, round_trip):
    arn, other = _group_and_policy(iam)
    done = round_trip(AttachGroupPolicy, iam, {"group_name": NAME, "policy_arn": arn})
    assert done.undo.remediation_id == "detach-group-policy"
    assert _attached(iam) == [other]


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        arn, _ = _group_and_policy(session.client("iam"))
        return {"group_name": NAME, "policy_arn": arn}

    exactly_enough(AttachGroupPolicy, setup, impact={"iam:ListEntitiesForPolicy"})
