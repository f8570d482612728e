"""The policy factors: admin grants, deny-only documents, AWS's compromised-key quarantine,
widened and unscoped trust."""

from __future__ import annotations

import pytest

from bot.assess import RiskContext
from bot.assess import policies as f
from tests.support.records import load as load_record
from tests.support.subjects import policy, subject

CTX = RiskContext()
KEY_EVENT = "UpdateAccessKey__authored__2.json"  # IAM user ops-alice


def attach(policy_arn="arn:aws:iam::aws:policy/AdministratorAccess", **request):
    record = load_record("AttachUserPolicy__stratus__1.json")
    record["requestParameters"] = {"userName": "malicious-iam-user", "policyArn": policy_arn, **request}
    return record


def test_admin_policy_by_name():
    found = f.admin_policy(subject(attach()), CTX)
    assert found == f.Factor("admin-policy", 1, "The policy granted is AdministratorAccess: full control")
    for name in ("IAMFullAccess", "PowerUserAccess", "AWSOrganizationsFullAccess"):
        assert f.admin_policy(subject(attach(f"arn:aws:iam::aws:policy/{name}")), CTX).delta == 1
    assert f.admin_policy(subject(attach("arn:aws:iam::aws:policy/ReadOnlyAccess")), CTX) is None
    boundary = attach("arn:aws:iam::aws:policy/ReadOnlyAccess",
                      permissionsBoundary={"managedPolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    assert f.admin_policy(subject(boundary), CTX).delta == 1


def test_admin_policy_by_document():
    doc = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert f.admin_policy(subject(attach(None, policyDocument=doc)), CTX).reason == (
        "The policy allows every action on every resource"
    )
    iam_star = policy({"Effect": "Allow", "Action": ["s3:Get*", "iam:*"], "Resource": ["*"]})
    assert f.admin_policy(subject(attach(None, policyDocument=iam_star)), CTX).delta == 1
    scoped = policy({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"})
    assert f.admin_policy(subject(attach(None, policyDocument=scoped)), CTX) is None
    denied = policy({"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert f.admin_policy(subject(attach(None, policyDocument=denied)), CTX) is None


def test_deny_only_policy():
    deny = policy({"Effect": "Deny", "Action": "*", "Resource": "*"})
    found = f.deny_only_policy(subject(attach(None, policyDocument=deny, policyName="no-more")), CTX)
    reason = "The policy only denies: it takes access away (often a quarantine)"
    assert found == f.Factor("deny-only-policy", -1, reason)
    # AWS's own quarantine is a deny-only document too, and is not played down
    assert f.deny_only_policy(subject("PutUserPolicy__panther__1.json"), CTX) is None
    mixed = policy({"Effect": "Deny", "Action": "*", "Resource": "*"}, {"Effect": "Allow", "Action": "s3:*",
                                                                         "Resource": "*"})
    assert f.deny_only_policy(subject(attach(None, policyDocument=mixed)), CTX) is None
    assert f.deny_only_policy(subject(attach()), CTX) is None  # no document


def test_aws_quarantine_by_aws_itself():
    record = load_record(KEY_EVENT)
    record["eventName"] = "AttachUserPolicy"
    record["requestParameters"] = {"userName": "ops-alice",
                                   "policyArn": "arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"}
    found = f.aws_quarantine(subject(record), CTX)
    assert found.name == "aws-quarantine" and found.delta == 0 and found.at_least == "high"
    assert found.reason.startswith("AWS attached its compromised-key quarantine policy")


def test_aws_quarantine_by_hand_and_not_deny_only():
    deny = policy({"Effect": "Deny", "Action": "*", "Resource": "*"})
    record = attach(None, policyName="AWSExposedCredentialPolicy_DO_NOT_REMOVE", policyDocument=deny)
    s = subject(record)
    found = f.aws_quarantine(s, CTX)
    assert found.at_least == "high"
    assert found.reason.startswith("christophe attached AWS's compromised-key quarantine policy by hand")
    assert f.deny_only_policy(s, CTX) is None  # the quarantine is not played down
    assert f.aws_quarantine(subject(record, errorCode="AccessDenied"), CTX) is None
    assert f.aws_quarantine(subject(attach()), CTX) is None


def test_trust_widened_to_another_account():
    found = f.trust_widened(subject("UpdateAssumeRolePolicy__stratus__1.json"), CTX)
    assert found == f.Factor("trust-widened", 1, "The trust policy lets AWS account 193672423079 assume the role")


@pytest.mark.parametrize(
    ("principal", "widened"),
    [
        ("*", True),
        ({"AWS": "*"}, True),
        ({"AWS": "arn:aws:iam::*"}, True),
        ({"AWS": "arn:aws:iam::444455556666:*"}, True),
        ({"AWS": "444455556666"}, True),
        ({"AWS": "arn:aws:iam::{account}:root"}, False),
        ({"AWS": "{account}"}, False),
        ({"Service": "ec2.amazonaws.com"}, False),
    ],
)
def test_trust_widened_principals(principal, widened):
    record = load_record("UpdateAssumeRolePolicy__stratus__1.json")
    account = record["recipientAccountId"]
    if isinstance(principal, dict):
        principal = {k: v.format(account=account) for k, v in principal.items()}
    record["requestParameters"]["policyDocument"] = policy({"Effect": "Allow", "Principal": principal,
                                                            "Action": "sts:AssumeRole"})
    assert (f.trust_widened(subject(record), CTX) is not None) is widened


def test_federation_unscoped():
    provider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    statement = {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}
    record = load_record("UpdateAssumeRolePolicy__stratus__1.json")
    record["requestParameters"]["policyDocument"] = policy(statement)
    found = f.federation_unscoped(subject(record), CTX)
    assert found.delta == 1
    assert found.reason == (
        "The trust policy lets any identity of token.actions.githubusercontent.com assume the role: "
        "no condition on the token's sub"
    )
    statement["Condition"]["StringLike"] = {"token.actions.githubusercontent.com:sub": "repo:org/repo:*"}
    record["requestParameters"]["policyDocument"] = policy(statement)
    assert f.federation_unscoped(subject(record), CTX) is None
    assert f.federation_unscoped(subject("UpdateAssumeRolePolicy__stratus__1.json"), CTX) is None
