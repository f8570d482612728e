"""CloudFormation templates: the main stack (EventBridge rules → SQS queue with a dead-letter
queue, and the role iambot runs as, holding exactly the policy `iambot policy` prints) and a
forwarder stack for the other regions where sign-in, STS and Roles Anywhere events are recorded.

Deploy the main stack in us-east-1, where IAM and Organizations events are delivered; deploy the
forwarder in every other region iambot should watch (and in IAM Identity Center's home region).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.aws.canary import statement as canary_statement
from bot.aws.policy import canary_on, statements
from bot.catalog import Catalog
from bot.catalog import load as load_catalog

if TYPE_CHECKING:
    from bot.config.settings import Settings

DETAIL_TYPES = [
    "AWS API Call via CloudTrail",
    "AWS Console Signin via CloudTrail",  # as EventBridge's guide spells it
    "AWS Console Sign In via CloudTrail",  # as sign-in events have also been seen to arrive
    "AWS Service Event via CloudTrail",  # IAM Identity Center's sign-in events
]
# Read-only management events (STS GetCallerIdentity, GetAccessKeyInfo) reach EventBridge only
# through a rule in this state.
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def patterns(catalog: Catalog) -> dict[str, dict[str, Any]]:
    """One EventBridge pattern for every source taken whole, one per source of which iambot takes
    only the calls it explains (STS), and one for the root user's calls in any service (a root
    call of a source taken whole matches two rules: the store keeps one copy)."""
    whole = sorted(s.eventbridge_source for s in catalog.sources.values() if not s.named_only)
    found: dict[str, dict[str, Any]] = {"Identity": {"source": whole, "detail-type": DETAIL_TYPES}}
    for s in sorted(catalog.sources.values(), key=lambda s: s.service):
        if s.named_only:
            found[s.service.capitalize()] = {
                "source": [s.eventbridge_source],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventName": catalog.names(s.source)},
            }
    found["Root"] = {"detail-type": DETAIL_TYPES, "detail": {"userIdentity": {"type": ["Root"]}}}
    return found


def rules_for(found: dict[str, dict[str, Any]], target: dict[str, Any]) -> dict[str, Any]:
    """One rule per pattern, all sending to ``target``; all but the identity sources' by every
    management event, since read-only calls (STS's, the root user's) reach a rule only in that state."""
    rules = {}
    for name, pattern in found.items():
        rules[f"{name}Rule"] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": f"iambot: {name} events recorded by CloudTrail",
                "EventPattern": pattern,
                "State": "ENABLED" if name == "Identity" else ALL_MANAGEMENT_EVENTS,
                "Targets": [target],
            },
        }
    return rules


ISSUER = re.compile(r"[a-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~-]+)*")  # for fullmatch: $ passes "x\n"
SERVICE_ACCOUNT = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?")


def irsa_trust(issuer: str, service_account: str) -> dict[str, Any]:
    """The trust statement of IAM roles for service accounts (EKS): web identity from the cluster's
    OIDC provider, for one Kubernetes ServiceAccount (``namespace/name``) and STS's audience only.
    Raises ValueError naming what is malformed."""
    issuer = issuer.strip().removeprefix("https://").rstrip("/")
    if not ISSUER.fullmatch(issuer):
        raise ValueError(f"not an OIDC issuer (oidc.eks.REGION.amazonaws.com/id/ID): {issuer[:80]!r}")
    if not SERVICE_ACCOUNT.fullmatch(service_account):
        raise ValueError(f"not a Kubernetes namespace/name: {service_account[:80]!r}")
    namespace, name = service_account.split("/")
    return {
        "Effect": "Allow",
        "Principal": {
            "Federated": {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{issuer}"}
        },
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{name}",
                f"{issuer}:aud": "sts.amazonaws.com",
            }
        },
    }


def template(settings: Settings, trust: dict[str, Any] | None = None) -> dict[str, Any]:
    """The main stack; ``trust`` replaces the role's trust in a service (``irsa_trust``)."""
    catalog = load_catalog()
    rules = rules_for(patterns(catalog), {"Id": "iambot-queue", "Arn": {"Fn::GetAtt": ["EventQueue", "Arn"]}})
    queue_arn = {"Fn::GetAtt": ["EventQueue", "Arn"]}
    # the canary's TagRole is on the stack's own role: a policy of its own, since the role's inline
    # policy cannot name the role's ARN (a circular reference)
    role_statements = [s for s in statements(settings, queue_arn=queue_arn) if s.get("Sid") != "IambotCanary"]
    if not any(s.get("Sid") == "IambotQueue" for s in role_statements):
        role_statements.append(
            {
                "Sid": "IambotQueue",
                "Effect": "Allow",
                "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
                "Resource": queue_arn,
            }
        )
    doc: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "iambot: identity events from CloudTrail to an SQS queue, and the role iambot runs as",
        "Parameters": {
            "TrustedService": {
                "Type": "String",
                "Default": "ecs-tasks.amazonaws.com",
                "Description": "The AWS service iambot runs on (ecs-tasks, ec2, lambda …); it assumes the role",
            },
            "MessageRetentionSeconds": {"Type": "Number", "Default": 1209600, "MinValue": 60, "MaxValue": 1209600},
        },
        "Resources": {
            "DeadLetterQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True},
            },
            "EventQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "MessageRetentionPeriod": {"Ref": "MessageRetentionSeconds"},
                    "VisibilityTimeout": 120,
                    "ReceiveMessageWaitTimeSeconds": 20,
                    "SqsManagedSseEnabled": True,
                    # a message that fails this many receives moves aside, not lost (sqs_max_receive_count)
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
                        "maxReceiveCount": settings.sqs_max_receive_count,
                    },
                },
            },
            "EventQueuePolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [{"Ref": "EventQueue"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "EventBridgeSends",
                                "Effect": "Allow",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Action": "sqs:SendMessage",
                                "Resource": {"Fn::GetAtt": ["EventQueue", "Arn"]},
                                "Condition": {
                                    "ArnEquals": {"aws:SourceArn": [{"Fn::GetAtt": [r, "Arn"]} for r in sorted(rules)]}
                                },
                            }
                        ],
                    },
                },
            },
            **rules,
            "BotRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": {"Ref": "TrustedService"}},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "iambot",
                            "PolicyDocument": {"Version": "2012-10-17", "Statement": role_statements},
                        }
                    ],
                },
            },
        },
        "Outputs": {
            "QueueUrl": {"Description": "Set IAMBOT_SQS_QUEUE_URL to this", "Value": {"Ref": "EventQueue"}},
            "RoleArn": {"Description": "The role iambot runs as", "Value": {"Fn::GetAtt": ["BotRole", "Arn"]}},
            "DeadLetterQueueUrl": {"Value": {"Ref": "DeadLetterQueue"}},
        },
    }
    if canary_on(settings):
        doc["Resources"]["CanaryPolicy"] = {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "iambot-canary",
                "Roles": [{"Ref": "BotRole"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [canary_statement({"Fn::GetAtt": ["BotRole", "Arn"]})],
                },
            },
        }
    if trust is not None:
        del doc["Parameters"]["TrustedService"]
        doc["Resources"]["BotRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"] = [trust]
    return doc


def forward_role(bus: Any) -> dict[str, Any]:
    """The role EventBridge assumes to put events on ``bus``: a bus in another region or account
    takes events from a rule only through a role of the rule's account."""
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "iambot-forward",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus}],
                    },
                }
            ],
        },
    }


def forwarder() -> dict[str, Any]:
    """Rules in another region that send the same events to us-east-1's default event bus."""
    bus = {"Fn::Sub": "arn:${AWS::Partition}:events:us-east-1:${AWS::AccountId}:event-bus/default"}
    target = {"Id": "iambot-home", "Arn": bus, "RoleArn": {"Fn::GetAtt": ["ForwardRole", "Arn"]}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "iambot: forward this region's sign-in, STS and Roles Anywhere events to us-east-1",
        "Resources": {**rules_for(patterns(load_catalog()), target), "ForwardRole": forward_role(bus)},
    }
