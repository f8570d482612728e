from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError, Undo
from remediations.detach_group_policy import DetachGroupPolicy

S3_ADMIN = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def _attached(iam):
    return [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName="contractors")["AttachedPolicies"]]


def _group_with_policies(iam):
    iam.create_group(GroupName="contractors")
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    other = iam.create_policy(PolicyName="other", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="contractors", PolicyArn=arn)
    iam.attach_group_policy(GroupName="contractors", PolicyArn=other)
    return arn, other


def test_registered():
    assert registry.get("detach-group-policy") is DetachGroupPolicy


def test_detaches_only_that_policy(iam, run):
    arn, other = _group_with_policies(iam)
    ran = run(DetachGroupPolicy, iam, {"group_name": "contractors", "policy_arn": arn})
    assert ran.plan.lines[0] == f"Would detach managed policy {arn} from group contractors"
    assert ran.plan.expected == {"attached": True}
    assert _attached(iam) == [other]
    assert not ran.again.changed and ran.again.lines == [f"Policy {arn} was already detached from group contractors"]
    assert ran.after.lines == [f"Policy {arn} is not attached to group contractors"]


def test_missing_group_is_a_clear_refusal(iam):
    arn = iam.create_policy(PolicyName="s3-admin", PolicyDocument=S3_ADMIN)["Policy"]["Arn"]
    rem, p = DetachGroupPolicy(iam), DetachGroupPolicy.parse({"group_name": "ghost", "policy_arn": arn})
    with pytest.raises(RemediationError, match=r"^Group ghost does not exist$"):
        rem.plan(p)
    with pytest.raises(RemediationError, match=r"^Group ghost does not exist$"):
        rem.apply(p)


def test_drift_shows_in_the_expected_state(iam):
    arn, _ = _group_with_policies(iam)
    rem, p = DetachGroupPolicy(iam), DetachGroupPolicy.parse({"group_name": "contractors", "policy_arn": arn})
    approved = rem.plan(p).expected
    iam.detach_group_policy(GroupName="contractors", PolicyArn=arn)
    assert rem.plan(p).expected != approved


@pytest.mark.parametrize(
    "params",
    [
        {"group_name": "a/b", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"group_name": "x" * 129, "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        {"group_name": "contractors", "policy_arn": "AdministratorAccess"},
        {"group_name": "contractors", "policy_arn": "arn:aws:iam::aws:policy/A", "user_name": "x"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DetachGroupPolicy.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        arn, _ = _group_with_policies(session.client("iam"))
        return {"group_name": "contractors", "policy_arn": arn}

    exactly_enough(DetachGroupPolicy, setup, impact={"iam:ListEntitiesForPolicy"})


def test_undo_is_attach_group_policy():
    params = {"group_name": "contractors", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert DetachGroupPolicy.undo(params, {"attached": True}) == Undo("attach-group-policy", params)
    assert DetachGroupPolicy.undo(params, {"attached": False}) is None  # it was not attached: nothing detached


def test_undo_round_trip_attaches_the_policy_again(iam, round_trip):
    arn, other = _group_with_policies(iam)
    done = round_trip(DetachGroupPolicy, iam, {"group_name": "contractors", "policy_arn": arn})
    assert done.undo.remediation_id == "attach-group-policy"
    assert done.outcome.lines == [f"Attached policy {arn} to group contractors"]
    assert sorted(_attached(iam)) == sorted([arn, other])
