from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError, Undo
from remediations.detach_user_policy import DetachUserPolicy

S3_ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def _attached(iam, user="mallory-dev"):
    return [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]]


def _user_with_policies(iam):
    iam.create_user(UserName="mallory-dev")
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    other = iam.create_policy(PolicyName="other", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="mallory-dev", PolicyArn=arn)
    iam.attach_user_policy(UserName="mallory-dev", PolicyArn=other)
    return arn, other


def test_registered():
    assert registry.get("detach-user-policy") is DetachUserPolicy


def test_detaches_only_that_policy(iam, run):
    arn, other = _user_with_policies(iam)
    ran = run(DetachUserPolicy, iam, {"user_name": "mallory-dev", "policy_arn": arn})
    assert ran.plan.lines[0] == f"Would detach managed policy {arn} from user mallory-dev"
    assert ran.plan.expected == {"attached": True}
    assert _attached(iam) == [other]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Arn"] == arn  # the policy itself is kept
    assert ran.outcome.lines == [f"Detached policy {arn} from user mallory-dev"]
    assert not ran.again.changed and ran.again.lines == [f"Policy {arn} was already detached from user mallory-dev"]
    assert ran.after.lines == [f"Policy {arn} is not attached to user mallory-dev"]
    assert ran.after.expected == {"attached": False}


def test_aws_managed_policy_arns_are_accepted():
    p = DetachUserPolicy.parse(
        {"user_name": "mallory-dev", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    )
    assert p.policy_arn.endswith(":policy/AdministratorAccess")


def test_missing_user_is_a_clear_refusal(iam):
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    rem, p = DetachUserPolicy(iam), DetachUserPolicy.parse({"user_name": "ghost", "policy_arn": arn})
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        rem.plan(p)
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        rem.apply(p)


def test_policy_that_is_not_attached_or_does_not_exist_is_a_noop(iam):
    iam.create_user(UserName="mallory-dev")
    arn = "arn:aws:iam::123456789012:policy/never-made"
    plan = DetachUserPolicy(iam).plan(DetachUserPolicy.parse({"user_name": "mallory-dev", "policy_arn": arn}))
    assert plan.noop and plan.lines == [f"Policy {arn} is not attached to user mallory-dev"]


def test_drift_shows_in_the_expected_state(iam):
    arn, _ = _user_with_policies(iam)
    rem, p = DetachUserPolicy(iam), DetachUserPolicy.parse({"user_name": "mallory-dev", "policy_arn": arn})
    approved = rem.plan(p).expected
    iam.detach_user_policy(UserName="mallory-dev", PolicyArn=arn)  # someone else did it meanwhile
    assert rem.plan(p).expected != approved


@pytest.mark.parametrize(
    "params",
    [
        {"user_name": "a b", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"user_name": "x" * 65, "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"user_name": "alice", "policy_arn": "arn:aws:s3:::bucket/key-not-a-policy"},
        {"user_name": "alice", "policy_arn": "arn:aws:iam::123:policy/short-account"},
        {"user_name": "alice", "policy_arn": "arn:aws:iam::aws:policy/A", "extra": "x"},
        {"user_name": "alice"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DetachUserPolicy.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        arn, _ = _user_with_policies(session.client("iam"))
        return {"user_name": "mallory-dev", "policy_arn": arn}

    exactly_enough(DetachUserPolicy, setup, impact={"iam:ListEntitiesForPolicy"})


def test_undo_is_attach_user_policy():
    params = {"user_name": "mallory-dev", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert DetachUserPolicy.undo(params, {"attached": True}) == Undo("attach-user-policy", params)
    assert DetachUserPolicy.undo(params, {"attached": False}) is None  # it was not attached: nothing detached


def test_undo_round_trip_attaches_the_policy_again(iam, round_trip):
    arn, other = _user_with_policies(iam)
    done = round_trip(DetachUserPolicy, iam, {"user_name": "mallory-dev", "policy_arn": arn})
    assert done.undo.remediation_id == "attach-user-policy"
    assert done.outcome.lines == [f"Attached policy {arn} to user mallory-dev"]
    assert sorted(_attached(iam)) == sorted([arn, other])
