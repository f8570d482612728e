"""CloudFormation for a whole AWS Organization: a central stack for the account iambot runs in
(the security or delegated administrator account) and one member template for a service-managed
StackSet, deployed into every member account and region.

The central stack is the main stack with its rules on a bus of its own, which every account of the
Organization may put events on. Each member stack forwards the account's identity events to that
bus and, in the home region only (IAM is global), makes the two roles: the one EventBridge forwards
with and the remediator iambot assumes, holding exactly the enabled remediations' actions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.aws.policy import account_statements
from bot.aws.template import forward_role, patterns, rules_for, template
from bot.catalog import Catalog
from bot.catalog import load as load_catalog

if TYPE_CHECKING:
    from bot.config.settings import Settings

BUS = "iambot"
REMEDIATOR = "iambot-remediator"
FORWARDER = "iambot-org-forward"
HOME, AWAY = "InHomeRegion", "OutsideHomeRegion"
ORGANIZATION_ID = {
    "Type": "String",
    "AllowedPattern": "^o-[a-z0-9]{10,32}$",
    "Description": "The Organization's id (o-…), from `aws organizations describe-organization`",
}


def regional_patterns(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """The patterns without the sources CloudTrail records only in us-east-1 (IAM, Organizations):
    what a region other than the home region can have to forward."""
    only_home = {s.eventbridge_source for s in catalog.sources.values() if s.recorded == "global"}
    found = {
        name: {**p, "source": [s for s in p["source"] if s not in only_home]} if "source" in p else p
        for name, p in patterns(catalog).items()
    }
    return {name: p for name, p in found.items() if p.get("source", True)}  # the root user's: any source


def _policy_statements(doc: dict[str, Any]) -> list[dict[str, Any]]:
    [inline] = doc["Resources"]["BotRole"]["Properties"]["Policies"]
    statements: list[dict[str, Any]] = inline["PolicyDocument"]["Statement"]
    return statements


def central(settings: Settings) -> dict[str, Any]:
    """The main stack (queue, dead-letter queue, iambot's role) with its rules on a bus that only the
    Organization's accounts may put events on, and the role free to assume the member remediators."""
    doc = template(settings)
    resources = doc["Resources"]
    for resource in resources.values():
        if resource["Type"] == "AWS::Events::Rule":
            resource["Properties"]["EventBusName"] = {"Ref": "OrgBus"}
    statements = _policy_statements(doc)
    if not any(s.get("Sid") == "IambotOtherAccounts" for s in statements):
        statements.append(
            {
                "Sid": "IambotOtherAccounts",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::*:role/{REMEDIATOR}"},
            }
        )
    resources["OrgBus"] = {"Type": "AWS::Events::EventBus", "Properties": {"Name": BUS}}
    resources["OrgBusPolicy"] = {
        "Type": "AWS::Events::EventBusPolicy",
        "Properties": {
            "EventBusName": {"Ref": "OrgBus"},
            "StatementId": "OrganizationPutsEvents",
            "Statement": {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "events:PutEvents",
                "Resource": {"Fn::GetAtt": ["OrgBus", "Arn"]},
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}},
            },
        },
    }
    doc["Description"] = "iambot for an Organization: its accounts' identity events on a bus, to an SQS queue"
    doc["Parameters"]["OrganizationId"] = ORGANIZATION_ID
    doc["Outputs"] = {
        "BusArn": {
            "Description": "CentralBusArn of the member StackSet",
            "Value": {"Fn::GetAtt": ["OrgBus", "Arn"]},
        },
        **doc["Outputs"],
    }
    return doc


def _only_if(condition: str, resources: dict[str, Any]) -> dict[str, Any]:
    return {name: {**resource, "Condition": condition} for name, resource in resources.items()}


def _remediator(settings: Settings) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": REMEDIATOR,
            "Description": "iambot remediates in this account through this role, after a person approves",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": {"Ref": "IambotRoleArn"}},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {
                                "sts:ExternalId": {"Ref": "ExternalId"},
                                "aws:PrincipalOrgID": {"Ref": "OrganizationId"},
                            }
                        },
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "iambot-remediations",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": account_statements(settings),
                    },
                }
            ],
        },
    }


MEMBER_PARAMETERS = {
    "CentralBusArn": {
        "Type": "String",
        "AllowedPattern": "^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[/._A-Za-z0-9-]+$",
        "Description": "BusArn of the central stack",
    },
    "IambotRoleArn": {
        "Type": "String",
        "AllowedPattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
        "Description": "RoleArn of the central stack: the only principal that may assume the remediator",
    },
    "ExternalId": {
        "Type": "String",
        "NoEcho": True,
        "MinLength": 2,
        "MaxLength": 1224,
        "AllowedPattern": "^[\\w+=,.@:/-]+$",
        "Description": "IAMBOT_EXTERNAL_ID: the remediator is assumed only with it",
    },
    "OrganizationId": ORGANIZATION_ID,
    "HomeRegion": {
        "Type": "String",
        "Default": "us-east-1",
        "Description": "Where IAM, Organizations and global STS events are delivered; the roles are made there only",
    },
}


def member(settings: Settings) -> dict[str, Any]:
    """One template for every account and region of the Organization: the home region forwards every
    identity event and holds the roles; any other region forwards its regional events, through the
    forward role found by its fixed name, since IAM roles are global and made once."""
    catalog = load_catalog()
    bus = {"Ref": "CentralBusArn"}
    home_target = {"Id": "iambot-central", "Arn": bus, "RoleArn": {"Fn::GetAtt": ["ForwardRole", "Arn"]}}
    role_arn = {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{FORWARDER}"}
    away_target = {"Id": "iambot-central", "Arn": bus, "RoleArn": role_arn}
    away = {f"Regional{name}": rule for name, rule in rules_for(regional_patterns(catalog), away_target).items()}
    forward = forward_role(bus)
    forward["Properties"] = {"RoleName": FORWARDER, **forward["Properties"]}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "iambot member account: identity events to the Organization's bus, and the remediator role",
        "Parameters": MEMBER_PARAMETERS,
        "Conditions": {
            HOME: {"Fn::Equals": [{"Ref": "AWS::Region"}, {"Ref": "HomeRegion"}]},
            AWAY: {"Fn::Not": [{"Condition": HOME}]},
        },
        "Resources": {
            **_only_if(HOME, rules_for(patterns(catalog), home_target)),
            **_only_if(AWAY, away),
            **_only_if(HOME, {"ForwardRole": forward, "RemediatorRole": _remediator(settings)}),
        },
        "Outputs": {
            "RemediatorRoleArn": {
                "Condition": HOME,
                "Description": "IAMBOT_REMEDIATION_ROLE is arn:aws:iam::{account_id}:role/" + REMEDIATOR,
                "Value": {"Fn::GetAtt": ["RemediatorRole", "Arn"]},
            }
        },
    }
