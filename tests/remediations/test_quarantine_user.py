from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError, Undo
from remediations.quarantine_user import DENY_ALL, POLICY_NAME, QuarantineUser
from tests.support.aws import enforced

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _policy(iam, user="mallory-dev"):
    doc = iam.get_user_policy(UserName=user, PolicyName=POLICY_NAME)["PolicyDocument"]
    return json.loads(doc) if isinstance(doc, str) else doc


def test_registered():
    assert registry.get("quarantine-user") is QuarantineUser
    assert QuarantineUser.destructive is False


def test_attaches_a_deny_all_inline_policy(iam, run):
    iam.create_user(UserName="mallory-dev")
    ran = run(QuarantineUser, iam, {"user_name": "mallory-dev"})
    assert ran.plan.lines == [
        f"Would attach inline policy {POLICY_NAME} denying every action to user mallory-dev; delete the policy to undo"
    ]
    assert ran.plan.expected == {"quarantined": False}
    assert ran.outcome.lines == [f"Attached {POLICY_NAME} to user mallory-dev: every action is now denied"]
    doc = _policy(iam)
    assert doc["Statement"][0] == {"Sid": "IambotQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*"}
    assert doc["Statement"] == [doc["Statement"][0]]
    assert ran.after.lines == ["User mallory-dev is already quarantined"]
    assert ran.after.expected == {"quarantined": True}


def test_the_quarantined_user_can_do_nothing(aws, iam):
    # moto's permission checking evaluates the user's own policies: an explicit deny beats the allow
    iam.create_user(UserName="mallory-dev")
    iam.put_user_policy(UserName="mallory-dev", PolicyName="admin", PolicyDocument=json.dumps(ALLOW_ALL))
    key = iam.create_access_key(UserName="mallory-dev")["AccessKey"]
    mallory = boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1"
    ).client("iam")
    with enforced():
        mallory.list_users()  # allowed before
    QuarantineUser(iam).apply(QuarantineUser.parse({"user_name": "mallory-dev"}))
    with enforced(), pytest.raises(ClientError) as info:
        mallory.list_users()
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    # deleting the policy undoes it
    iam.delete_user_policy(UserName="mallory-dev", PolicyName=POLICY_NAME)
    with enforced():
        mallory.list_users()


def test_a_different_policy_under_that_name_is_replaced(iam):
    iam.create_user(UserName="mallory-dev")
    iam.put_user_policy(UserName="mallory-dev", PolicyName=POLICY_NAME, PolicyDocument=json.dumps(ALLOW_ALL))
    rem, p = QuarantineUser(iam), QuarantineUser.parse({"user_name": "mallory-dev"})
    plan = rem.plan(p)
    assert not plan.noop and plan.expected == {"quarantined": False}
    rem.apply(p)
    assert _policy(iam)["Statement"][0]["Effect"] == "Deny"
    assert rem.plan(p).noop


def test_missing_user_is_a_clear_refusal(iam):
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        QuarantineUser(iam).plan(QuarantineUser.parse({"user_name": "ghost"}))


@pytest.mark.parametrize("params", [{}, {"user_name": "a b"}, {"user_name": "x" * 65}, {"user_name": "u", "x": 1}])
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        QuarantineUser.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        session.client("iam").create_user(UserName="mallory-dev")
        return {"user_name": "mallory-dev"}

    exactly_enough(QuarantineUser, setup, impact={"iam:GetLoginProfile", "iam:ListMFADevices", "iam:ListAccessKeys"})


def test_undo_deletes_the_quarantine_policy():
    assert QuarantineUser.undo({"user_name": "mallory-dev"}, {"quarantined": False}) == Undo(
        "delete-user-policy", {"user_name": "mallory-dev", "policy_name": "iambot-quarantine-deny-all"}
    )
    assert QuarantineUser.undo({"user_name": "mallory-dev"}, {"quarantined": True}) is None  # it was already


def test_undo_round_trip_lifts_the_quarantine(iam, round_trip, snapshots):
    iam.create_user(UserName="mallory-dev")
    iam.put_user_policy(UserName="mallory-dev", PolicyName="admin", PolicyDocument=json.dumps(ALLOW_ALL))
    done = round_trip(QuarantineUser, iam, {"user_name": "mallory-dev"}, snapshots)
    assert done.undo.remediation_id == "delete-user-policy"
    assert iam.list_user_policies(UserName="mallory-dev")["PolicyNames"] == ["admin"]  # only its own is left
    assert snapshots.latest("inline-policy", f"user/mallory-dev/{POLICY_NAME}")["document"] == DENY_ALL
