"""`iambot template --org` and `--org-member`: both pass cfn-lint; the central bus admits only the
Organization; the member template, deployed with moto's CloudFormation in a member account,
forwards to that bus through a role that may only put events there, and makes a remediator that
trusts only iambot's role (external id and Organization as conditions) and holds exactly the
account's part of `iambot policy` — enough to run an enabled remediation, and nothing more."""

from __future__ import annotations

import ast
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bot.aws.org import BUS, FORWARDER, REMEDIATOR, central, member, regional_patterns
from bot.aws.policy import account_statements, policy
from bot.aws.template import patterns, template
from bot.catalog import load as load_catalog
from bot.config.settings import given
from remediations import registry
from tests.support.aws import assumed, enforced
from tests.support.cfn import deploy, lint

CENTRAL, MEMBER = "111122223333", "444455556666"
CENTRAL_BUS = f"arn:aws:events:us-east-1:{CENTRAL}:event-bus/{BUS}"
IAMBOT_ROLE = f"arn:aws:iam::{CENTRAL}:role/iambot"
ORG = "o-exampleorg1"
EXTERNAL_ID = "iambot-example-external-id"
ONE = registry.ids()[0]


def inline(iam: Any, role: str) -> list[dict[str, Any]]:
    """The statements of the role's one inline policy. moto's CloudFormation keeps a role's inline
    policy as Python's repr of the document, and returns that text."""
    [name] = iam.list_role_policies(RoleName=role)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    parsed = ast.literal_eval(document) if isinstance(document, str) else document
    statements: list[dict[str, Any]] = parsed["Statement"]
    return statements


def rules(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc["Resources"].items() if v["Type"] == "AWS::Events::Rule"}


def test_both_templates_pass_cfn_lint(tmp_path):
    for name, doc in (("central.json", central(given())), ("member.json", member(given()))):
        result = lint(doc, tmp_path, name)
        assert result.returncode == 0, name + result.stdout + result.stderr


def test_the_central_bus_admits_only_the_organization_and_its_rules_feed_the_queue():
    doc = central(given())
    statement = doc["Resources"]["OrgBusPolicy"]["Properties"]["Statement"]
    assert statement["Action"] == "events:PutEvents" and statement["Principal"] == "*"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}
    found = rules(doc)
    assert set(found) == set(rules(template(given())))  # the main stack's rules, on the bus
    for rule in found.values():
        assert rule["Properties"]["EventBusName"] == {"Ref": "OrgBus"}
        assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": ["EventQueue", "Arn"]}
    sources = doc["Resources"]["EventQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert sources["Condition"]["ArnEquals"]["aws:SourceArn"] == [{"Fn::GetAtt": [r, "Arn"]} for r in sorted(found)]


def test_the_central_role_holds_iambot_policy_and_may_assume_the_remediators():
    settings = given(IAMBOT_REMEDIATIONS=ONE)
    [inline] = central(settings)["Resources"]["BotRole"]["Properties"]["Policies"]
    held = inline["PolicyDocument"]["Statement"]
    assert [s for s in held if s["Sid"] not in ("IambotQueue", "IambotOtherAccounts")] == policy(settings)["Statement"]
    [assume] = [s for s in held if s["Sid"] == "IambotOtherAccounts"]
    assert assume["Action"] == "sts:AssumeRole" and assume["Resource"]["Fn::Sub"].endswith(f":role/{REMEDIATOR}")


def test_regions_away_from_home_forward_only_what_they_record():
    catalog = load_catalog()
    away = {s for p in regional_patterns(catalog).values() for s in p.get("source", [])}
    home = {s for p in patterns(catalog).values() for s in p.get("source", [])}
    assert {"aws.iam", "aws.organizations"} <= home - away
    assert {"aws.signin", "aws.sts", "aws.sso"} <= away
    # the root user's calls are recorded where they happen, in any service: every region forwards them
    assert regional_patterns(catalog)["Root"] == patterns(catalog)["Root"]


@pytest.fixture
def member_account():
    """A moto Organization member account, as the StackSet's execution role sees it."""
    with mock_aws():
        yield assumed(f"arn:aws:iam::{MEMBER}:role/stacksets-exec")


def deploy_member(session: boto3.Session, settings: Any, region: str) -> dict[str, str]:
    return deploy(
        session.client("cloudformation", region_name=region),
        member(settings),
        f"iambot-member-{region}",
        CentralBusArn=CENTRAL_BUS,
        IambotRoleArn=IAMBOT_ROLE,
        ExternalId=EXTERNAL_ID,
        OrganizationId=ORG,
    )


def test_the_member_stack_forwards_to_the_central_bus_and_makes_the_remediator(member_account):
    settings = given(IAMBOT_REMEDIATIONS=ONE)
    outputs = deploy_member(member_account, settings, "us-east-1")
    iam = member_account.client("iam")
    assert outputs["RemediatorRoleArn"] == f"arn:aws:iam::{MEMBER}:role/{REMEDIATOR}"
    trust = iam.get_role(RoleName=REMEDIATOR)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": IAMBOT_ROLE},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID, "aws:PrincipalOrgID": ORG}},
        }
    ]
    assert inline(iam, REMEDIATOR) == account_statements(settings)
    assert inline(iam, FORWARDER) == [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": CENTRAL_BUS}]
    events = member_account.client("events", region_name="us-east-1")
    found = {r["Name"]: r for r in events.list_rules()["Rules"]}
    assert len(found) == len(patterns(load_catalog()))
    for rule in found.values():
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert (target["Arn"], target["RoleArn"]) == (CENTRAL_BUS, f"arn:aws:iam::{MEMBER}:role/{FORWARDER}")
    sent = {s for r in found.values() for s in json.loads(r["EventPattern"]).get("source", [])}
    assert "aws.iam" in sent and "aws.organizations" in sent


def test_another_region_forwards_its_regional_events_through_the_home_regions_role(member_account):
    deploy_member(member_account, given(), "us-east-1")
    deploy_member(member_account, given(), "eu-west-1")
    events = member_account.client("events", region_name="eu-west-1")
    found = events.list_rules()["Rules"]
    assert len(found) == len(regional_patterns(load_catalog()))
    sent = {s for r in found for s in json.loads(r["EventPattern"]).get("source", [])}
    assert "aws.iam" not in sent and "aws.sts" in sent
    for rule in found:
        [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        assert target["RoleArn"] == f"arn:aws:iam::{MEMBER}:role/{FORWARDER}"
    resources = member_account.client("cloudformation", region_name="eu-west-1").list_stack_resources(
        StackName="iambot-member-eu-west-1"
    )["StackResourceSummaries"]
    assert not any(r["ResourceType"] == "AWS::IAM::Role" for r in resources)  # IAM is global: made once


def remediator_client(session: boto3.Session) -> Any:
    return assumed(f"arn:aws:iam::{MEMBER}:role/{REMEDIATOR}", session, ExternalId=EXTERNAL_ID).client("iam")


def test_the_remediator_can_run_what_is_enabled_and_nothing_else(member_account):
    deploy_member(member_account, given(IAMBOT_REMEDIATIONS="deactivate-access-key"), "us-east-1")
    iam = member_account.client("iam")
    # moto's permission check cannot read the repr its CloudFormation stored: the same statements,
    # put back through IAM's API
    [name] = iam.list_role_policies(RoleName=REMEDIATOR)["PolicyNames"]
    document = {"Version": "2012-10-17", "Statement": inline(iam, REMEDIATOR)}
    iam.put_role_policy(RoleName=REMEDIATOR, PolicyName=name, PolicyDocument=json.dumps(document))
    iam.create_user(UserName="far-away")
    key = iam.create_access_key(UserName="far-away")["AccessKey"]["AccessKeyId"]
    iam.create_login_profile(UserName="far-away", Password="An-example-passw0rd!")
    client = remediator_client(member_account)
    deactivate = registry.REMEDIATIONS["deactivate-access-key"]
    disable = registry.REMEDIATIONS["disable-console-access"]
    with enforced():
        params = deactivate.parse({"user_name": "far-away", "access_key_id": key})
        deactivate(client, None).apply(params)
        with pytest.raises(ClientError, match=r"AccessDenied|not authorized"):
            disable(client, None).apply(disable.parse({"user_name": "far-away"}))
    assert iam.list_access_keys(UserName="far-away")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    iam.get_login_profile(UserName="far-away")  # still there: not enabled, not allowed
