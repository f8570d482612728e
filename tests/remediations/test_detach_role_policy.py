from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError, Undo
from remediations.detach_role_policy import DetachRolePolicy

S3_ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)


def _attached(iam):
    return [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="deploy")["AttachedPolicies"]]


def _role_with_policies(iam):
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=TRUST)
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    other = iam.create_policy(PolicyName="other", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="deploy", PolicyArn=arn)
    iam.attach_role_policy(RoleName="deploy", PolicyArn=other)
    return arn, other


def test_registered():
    assert registry.get("detach-role-policy") is DetachRolePolicy


def test_detaches_only_that_policy(iam, run):
    arn, other = _role_with_policies(iam)
    ran = run(DetachRolePolicy, iam, {"role_name": "deploy", "policy_arn": arn})
    assert ran.plan.lines[0] == f"Would detach managed policy {arn} from role deploy"
    assert ran.plan.expected == {"attached": True}
    assert _attached(iam) == [other]
    assert not ran.again.changed and ran.again.lines == [f"Policy {arn} was already detached from role deploy"]
    assert ran.after.lines == [f"Policy {arn} is not attached to role deploy"]


def test_missing_role_is_a_clear_refusal(iam):
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    rem, p = DetachRolePolicy(iam), DetachRolePolicy.parse({"role_name": "ghost", "policy_arn": arn})
    with pytest.raises(RemediationError, match=r"^Role ghost does not exist$"):
        rem.plan(p)
    with pytest.raises(RemediationError, match=r"^Role ghost does not exist$"):
        rem.apply(p)


def test_drift_shows_in_the_expected_state(iam):
    arn, _ = _role_with_policies(iam)
    rem, p = DetachRolePolicy(iam), DetachRolePolicy.parse({"role_name": "deploy", "policy_arn": arn})
    approved = rem.plan(p).expected
    iam.detach_role_policy(RoleName="deploy", PolicyArn=arn)
    assert rem.plan(p).expected != approved


@pytest.mark.parametrize(
    "params",
    [
        {"role_name": "a/b", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"role_name": "x" * 65, "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"role_name": "deploy", "policy_arn": "AdministratorAccess"},
        {"role_name": "deploy", "policy_arn": "arn:aws:iam::aws:policy/A", "user_name": "x"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DetachRolePolicy.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        arn, _ = _role_with_policies(session.client("iam"))
        return {"role_name": "deploy", "policy_arn": arn}

    exactly_enough(DetachRolePolicy, setup, impact={"iam:ListEntitiesForPolicy"})


def test_undo_is_attach_role_policy():
    params = {"role_name": "deploy", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert DetachRolePolicy.undo(params, {"attached": True}) == Undo("attach-role-policy", params)
    assert DetachRolePolicy.undo(params, {"attached": False}) is None  # it was not attached: nothing detached


def test_undo_round_trip_attaches_the_policy_again(iam, round_trip):
    arn, other = _role_with_policies(iam)
    done = round_trip(DetachRolePolicy, iam, {"role_name": "deploy", "policy_arn": arn})
    assert done.undo.remediation_id == "attach-role-policy"
    assert done.outcome.lines == [f"Attached policy {arn} to role deploy"]
    assert sorted(_attached(iam)) == sorted([arn, other])
