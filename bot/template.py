"""The CloudFormation template for a deployment: EventBridge rule → SQS queue (with a dead-letter
queue) and the bot's IAM role holding exactly the policy `iambot policy` prints.

Deploy it in us-east-1: IAM is global and EventBridge delivers its CloudTrail events there.
"""

from __future__ import annotations

from typing import Any

from bot.manifest import policy

RULE_PATTERN = {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"]}


def template(settings: Any) -> dict[str, Any]:
    bot_policy = policy(settings)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "iambot: IAM CloudTrail events to an SQS queue, and the role iambot runs as",
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
                    # a message that fails 5 times (a crash, a database error) moves aside, not lost
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
                        "maxReceiveCount": 5,
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
                                "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["IamEventsRule", "Arn"]}}},
                            }
                        ],
                    },
                },
            },
            "IamEventsRule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Description": "IAM API calls recorded by CloudTrail, for iambot",
                    "EventPattern": RULE_PATTERN,
                    "State": "ENABLED",
                    "Targets": [{"Id": "iambot-queue", "Arn": {"Fn::GetAtt": ["EventQueue", "Arn"]}}],
                },
            },
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
                        {"PolicyName": "iambot", "PolicyDocument": bot_policy},
                        {
                            "PolicyName": "iambot-queue",
                            "PolicyDocument": {
                                "Version": "2012-10-17",
                                "Statement": [
                                    {
                                        "Effect": "Allow",
                                        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                                        "Resource": {"Fn::GetAtt": ["EventQueue", "Arn"]},
                                    }
                                ],
                            },
                        },
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
