from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError
from remediations.detach_scp import DetachScp

DENY_S3 = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})


def _organization(session):
    """An organization (moto's account is its management account) with an SCP on an OU and the root."""
    org = session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    ou = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    policy = org.create_policy(Content=DENY_S3, Description="no s3", Name="deny-s3", Type="SERVICE_CONTROL_POLICY")
    policy_id = policy["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy_id, TargetId=ou)
    org.attach_policy(PolicyId=policy_id, TargetId=root)
    return org, policy_id, ou, root


def _targets(org, policy_id):
    return sorted(t["TargetId"] for t in org.list_targets_for_policy(PolicyId=policy_id)["Targets"])


def test_registered():
    assert registry.get("detach-scp") is DetachScp
    assert DetachScp.service == "organizations"
    assert all(p.startswith("organizations:") for p in DetachScp.permissions)


def test_detaches_the_scp_from_that_target_only(aws, run):
    org, policy_id, ou, root = _organization(aws)
    ran = run(DetachScp, org, {"policy_id": policy_id, "target_id": ou})
    assert ran.plan.lines[0] == (
        f"Would detach policy {policy_id} from organizational unit {ou} (workloads): it stops applying to every "
        "account under the target"
    )
    assert ran.plan.expected == {"attached": True}
    assert _targets(org, policy_id) == [root]
    assert ran.outcome.lines == [f"Detached policy {policy_id} from {ou}"]
    assert ran.after.lines == [f"Policy {policy_id} is not attached to {ou}"]
    # moto detaches a policy that is not attached without complaint; AWS says PolicyNotAttachedException,
    # which the Stubber test below covers.


def test_an_scp_not_attached_is_already_detached_with_stubber(aws_session):
    # moto does not raise PolicyNotAttachedException; Stubber checks the call and the answer.
    org = aws_session.client("organizations", region_name="us-east-1")
    params = {"PolicyId": "p-examplepolicy", "TargetId": "123456789012"}
    with Stubber(org) as stub:
        stub.add_client_error(
            "detach_policy", "PolicyNotAttachedException", http_status_code=400, expected_params=params
        )
        outcome = DetachScp(org).apply(DetachScp.parse({"policy_id": "p-examplepolicy", "target_id": "123456789012"}))
        stub.assert_no_pending_responses()
    assert not outcome.changed
    assert outcome.lines == ["Policy p-examplepolicy was already detached from 123456789012"]


def test_full_aws_access_is_refused(aws):
    org, *_ = _organization(aws)
    root = org.list_roots()["Roots"][0]["Id"]
    rem, p = DetachScp(org), DetachScp.parse({"policy_id": "p-FullAWSAccess", "target_id": root})
    for step in (rem.plan, rem.apply):
        with pytest.raises(RemediationError, match=r"will not detach FullAWSAccess .*denies every action"):
            step(p)
    assert root in _targets(org, "p-FullAWSAccess")


def test_missing_policy_is_a_clear_refusal(aws):
    org, _policy_id, ou, _root = _organization(aws)
    rem = DetachScp(org)
    with pytest.raises(RemediationError, match=r"^There is no policy p-doesnotexist in this organization$"):
        rem.plan(DetachScp.parse({"policy_id": "p-doesnotexist", "target_id": ou}))


def test_no_organization_is_a_clear_refusal_with_stubber(aws_session):
    # moto answers PolicyNotFoundException when there is no organization; AWS says
    # AWSOrganizationsNotInUseException, so Stubber plays AWS here.
    org = aws_session.client("organizations", region_name="us-east-1")
    with Stubber(org) as stub:
        stub.add_client_error(
            "list_targets_for_policy",
            "AWSOrganizationsNotInUseException",
            http_status_code=400,
            expected_params={"PolicyId": "p-examplepolicy"},
        )
        with pytest.raises(RemediationError, match=r"^This account is not a member of an organization$"):
            DetachScp(org).plan(DetachScp.parse({"policy_id": "p-examplepolicy", "target_id": "123456789012"}))
        stub.assert_no_pending_responses()


def test_target_without_the_policy_is_a_noop(aws):
    org, policy_id, *_ = _organization(aws)
    plan = DetachScp(org).plan(DetachScp.parse({"policy_id": policy_id, "target_id": "210987654321"}))
    assert plan.noop and plan.expected == {"attached": False}


def test_drift_shows_in_the_expected_state(aws):
    org, policy_id, ou, _root = _organization(aws)
    rem, p = DetachScp(org), DetachScp.parse({"policy_id": policy_id, "target_id": ou})
    approved = rem.plan(p).expected
    org.detach_policy(PolicyId=policy_id, TargetId=ou)
    assert rem.plan(p).expected != approved


@pytest.mark.parametrize(
    "target_id", ["r-ab12", "ou-ab12-abcdefgh", "123456789012", "r-" + "a" * 32, "ou-" + "a" * 32 + "-" + "b" * 32]
)
def test_organizations_id_patterns_are_accepted(target_id):
    assert DetachScp.parse({"policy_id": "p-FullAWSAccess", "target_id": target_id}).target_id == target_id


@pytest.mark.parametrize(
    "params",
    [
        {"policy_id": "p-short", "target_id": "r-ab12"},
        {"policy_id": "policy-abcdefgh", "target_id": "r-ab12"},
        {"policy_id": "p-abcdefgh!", "target_id": "r-ab12"},
        {"policy_id": "p-abcdefgh", "target_id": "r-ab1"},  # roots have 4 to 32 characters after r-
        {"policy_id": "p-abcdefgh", "target_id": "r-AB12"},
        {"policy_id": "p-abcdefgh", "target_id": "ou-ab12-abcdefg"},
        {"policy_id": "p-abcdefgh", "target_id": "12345678901"},
        {"policy_id": "p-abcdefgh", "target_id": "1234567890123"},
        {"policy_id": "p-abcdefgh", "target_id": "r-ab12 123456789012"},
        {"policy_id": "p-abcdefgh", "target_id": "123456789012", "account_id": "123456789012"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DetachScp.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        _org, policy_id, ou, _root = _organization(session)
        return {"policy_id": policy_id, "target_id": ou}

    exactly_enough(DetachScp, setup)
