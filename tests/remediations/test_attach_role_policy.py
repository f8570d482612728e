from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.attach_role_policy import AttachRolePolicy
from remediations.base import RemediationError, Undo

NAME = "deploy"
S3_ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


def _attached(iam):
    return [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=NAME)["AttachedPolicies"]]


def _role_and_policy(iam):
    """The role with one policy attached, and another policy that is not."""
    iam.create_role(RoleName=NAME, AssumeRolePolicyDocument=TRUST)
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    other = iam.create_policy(PolicyName="other", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=NAME, PolicyArn=other)
    return arn, other


def test_registered():
    assert registry.get("attach-role-policy") is AttachRolePolicy
    assert AttachRolePolicy.destructive is False


def test_attaches_the_policy(iam, run):
    arn, other = _role_and_policy(iam)
    ran = run(AttachRolePolicy, iam, {"role_name": NAME, "policy_arn": arn})
    assert ran.plan.lines == [
        f"Would attach managed policy {arn} to role {NAME}",
        "The role gets what the policy allows",
    ]
    assert ran.plan.expected == {"attached": False}
    assert ran.plan.impact == ["Attached to no user, group or role"]  # what else it is attached to
    assert ran.outcome.lines == [f"Attached policy {arn} to role {NAME}"]
    assert sorted(_attached(iam)) == sorted([arn, other])
    assert not ran.again.changed and ran.again.lines == [f"Policy {arn} was already attached to role {NAME}"]
    assert ran.after.lines == [f"Policy {arn} is already attached to role {NAME}"]
    assert ran.after.expected == {"attached": True}


def test_missing_role_is_a_clear_refusal(iam):
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    rem, p = AttachRolePolicy(iam), AttachRolePolicy.parse({"role_name": "ghost", "policy_arn": arn})
    for step in (rem.plan, rem.apply):
        with pytest.raises(RemediationError, match=r"^Role ghost does not exist$"):
            step(p)


def test_missing_policy_is_a_clear_refusal(iam):
    _role_and_policy(iam)
    arn = "arn:aws:iam::123456789012:policy/never-made"
    rem, p = AttachRolePolicy(iam), AttachRolePolicy.parse({"role_name": NAME, "policy_arn": arn})
    assert not rem.plan(p).noop  # the plan lists only what is attached
    with pytest.raises(RemediationError, match=rf"^Policy {arn} does not exist$"):
        rem.apply(p)


def test_drift_shows_in_the_expected_state(iam):
    arn, _ = _role_and_policy(iam)
    rem, p = AttachRolePolicy(iam), AttachRolePolicy.parse({"role_name": NAME, "policy_arn": arn})
    approved = rem.plan(p).expected
    iam.attach_role_policy(RoleName=NAME, PolicyArn=arn)  # someone else did it meanwhile
    assert rem.plan(p).expected != approved


@pytest.mark.parametrize(
    "params",
    [
        {"role_name": "a b", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"role_name": "x" * 65, "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"role_name": NAME, "policy_arn": "AdministratorAccess"},
        {"role_name": NAME, "policy_arn": "arn:aws:iam::aws:policy/A", "extra": "x"},
        {"role_name": NAME},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        AttachRolePolicy.parse(params)


def test_undo_is_detach_role_policy():
    params = {"role_name": NAME, "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert AttachRolePolicy.undo(params, {"attached": False}) == Undo("detach-role-policy", params)
    assert AttachRolePolicy.undo(params, {"attached": True}) is None


def test_undo_round_trip_detaches_it_again(iam, round_trip):
    arn, other = _role_and_policy(iam)
    done = round_trip(AttachRolePolicy, iam, {"role_name": NAME, "policy_arn": arn})
    assert done.undo.remediation_id == "detach-role-policy"
    assert _attached(iam) == [other]


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        arn, _ = _role_and_policy(session.client("iam"))
        return {"role_name": NAME, "policy_arn": arn}

    exactly_enough(AttachRolePolicy, setup, impact={"iam:ListEntitiesForPolicy"})
