"""`iambot template --ecs`: the main stack with iambot running on it as an ECS Fargate service.

The task role is the main stack's role (exactly `iambot policy`), trusted by ECS tasks of this
account only. Slack's tokens and the database URL come from one Secrets Manager secret (JSON keys
named like the environment variables), read by the execution role at start and never written to
the template or the task definition. Socket Mode needs no inbound traffic and is the default; HTTP
mode registers the tasks with a target group of the user's load balancer, whose health check
should be ``/readyz``. The container's own health check is ``/healthz``, as in the Dockerfile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.aws.template import template

if TYPE_CHECKING:
    from bot.config.settings import Settings

PORT = 3000
HTTP = "HttpMode"
# the Dockerfile's HEALTHCHECK, as ECS runs it (tests/aws/test_ecs.py holds the two together)
HEALTH_COMMAND = [
    "CMD",
    "python",
    "-c",
    "import http.client, os; c = http.client.HTTPConnection('127.0.0.1', int(os.environ.get('PORT', '3000')),"
    " timeout=4); c.request('GET', '/healthz'); raise SystemExit(c.getresponse().status != 200)",
]

PARAMETERS: dict[str, Any] = {
    "Image": {"Type": "String", "Description": "iambot's image, built from the Dockerfile (registry/iambot:tag)"},
    "SecretArn": {
        "Type": "String",
        "AllowedPattern": "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$",
        "Description": "Secrets Manager secret, JSON with SLACK_BOT_TOKEN, IAMBOT_DB, IAMBOT_SECRET_KEY and "
        "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)",
    },
    "Mode": {"Type": "String", "AllowedValues": ["socket-mode", "http"], "Default": "socket-mode"},
    "TargetGroupArn": {
        "Type": "String",
        "Default": "",
        "Description": "HTTP mode: the load balancer's target group (type ip, port 3000, health check /readyz)",
    },
    "VpcId": {"Type": "AWS::EC2::VPC::Id"},
    "Subnets": {
        "Type": "List<AWS::EC2::Subnet::Id>",
        "Description": "Where the tasks run (reaching Slack, AWS and the database)",
    },
    "AssignPublicIp": {"Type": "String", "AllowedValues": ["ENABLED", "DISABLED"], "Default": "DISABLED"},
    "LoadBalancerSecurityGroup": {
        "Type": "String",
        "Default": "",
        "Description": "HTTP mode: the load balancer's security group, admitted to port 3000",
    },
    "AlertChannel": {"Type": "String", "Description": "IAMBOT_ALERT_CHANNEL: the Slack channel id for alerts"},
    "Approvers": {"Type": "String", "Description": "IAMBOT_APPROVERS: comma-separated Slack user ids"},
    "DesiredCount": {"Type": "Number", "Default": 2, "MinValue": 1},
    "Cpu": {"Type": "String", "Default": "512", "AllowedValues": ["256", "512", "1024", "2048"]},
    "Memory": {"Type": "String", "Default": "1024"},
}


def _secrets() -> Any:
    def secret(name: str) -> dict[str, Any]:
        return {"Name": name, "ValueFrom": {"Fn::Sub": "${SecretArn}:" + name + "::"}}

    common = [secret("SLACK_BOT_TOKEN"), secret("IAMBOT_DB"), secret("IAMBOT_SECRET_KEY")]
    return {"Fn::If": [HTTP, [*common, secret("SLACK_SIGNING_SECRET")], [*common, secret("SLACK_APP_TOKEN")]]}


def _container(settings: Settings) -> dict[str, Any]:
    env = {
        "IAMBOT_SQS_QUEUE_URL": {"Ref": "EventQueue"},
        "IAMBOT_ALERT_CHANNEL": {"Ref": "AlertChannel"},
        "IAMBOT_APPROVERS": {"Ref": "Approvers"},
        "PORT": str(PORT),
    }
    return {
        "Name": "iambot",
        "Image": {"Ref": "Image"},
        "Essential": True,
        "Command": {"Fn::If": [HTTP, ["run", "--http"], ["run", "--socket-mode"]]},
        "Environment": [{"Name": k, "Value": v} for k, v in env.items()],
        "Secrets": _secrets(),
        "PortMappings": [{"ContainerPort": PORT, "Protocol": "tcp"}],
        "User": "10001:10001",
        "ReadonlyRootFilesystem": True,
        "MountPoints": [
            {"SourceVolume": "tmp", "ContainerPath": "/tmp"},
            {"SourceVolume": "data", "ContainerPath": "/var/lib/iambot"},
        ],
        "HealthCheck": {"Command": HEALTH_COMMAND, "Interval": 30, "Timeout": 5, "Retries": 3, "StartPeriod": 30},
        "StopTimeout": 10,  # iambot stops within 5 s of SIGTERM
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": {
                "awslogs-group": {"Ref": "LogGroup"},
                "awslogs-region": {"Ref": "AWS::Region"},
                "awslogs-stream-prefix": "iambot",
            },
        },
    }


def _execution_role() -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
            "ManagedPolicyArns": [
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}
            ],
            "Policies": [
                {
                    "PolicyName": "iambot-secret",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "secretsmanager:GetSecretValue",
                                "Resource": {"Ref": "SecretArn"},
                            }
                        ],
                    },
                }
            ],
        },
    }


def ecs(settings: Settings) -> dict[str, Any]:
    doc = template(settings)
    del doc["Parameters"]["TrustedService"]
    doc["Parameters"].update(PARAMETERS)
    doc["Description"] = "iambot on ECS Fargate: identity events to an SQS queue, and iambot reading it"
    doc["Conditions"] = {
        HTTP: {"Fn::Equals": [{"Ref": "Mode"}, "http"]},
        "Admitted": {"Fn::Not": [{"Fn::Equals": [{"Ref": "LoadBalancerSecurityGroup"}, ""]}]},
    }
    resources = doc["Resources"]
    resources["BotRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"] = [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            # only this account's tasks: no other account's ECS can act as iambot (confused deputy)
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    resources.update(
        {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {}},
            "LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
            "ExecutionRole": _execution_role(),
            "TaskDefinition": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": "iambot",
                    "RequiresCompatibilities": ["FARGATE"],
                    "NetworkMode": "awsvpc",
                    "Cpu": {"Ref": "Cpu"},
                    "Memory": {"Ref": "Memory"},
                    "TaskRoleArn": {"Fn::GetAtt": ["BotRole", "Arn"]},
                    "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
                    "Volumes": [{"Name": "tmp"}, {"Name": "data"}],
                    "ContainerDefinitions": [_container(settings)],
                },
            },
            "TaskSecurityGroup": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "iambot tasks: outbound only, port 3000 from the load balancer",
                    "VpcId": {"Ref": "VpcId"},
                },
            },
            "LoadBalancerIngress": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Condition": "Admitted",
                "Properties": {
                    "GroupId": {"Ref": "TaskSecurityGroup"},
                    "IpProtocol": "tcp",
                    "FromPort": PORT,
                    "ToPort": PORT,
                    "SourceSecurityGroupId": {"Ref": "LoadBalancerSecurityGroup"},
                },
            },
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "Cluster": {"Ref": "Cluster"},
                    "LaunchType": "FARGATE",
                    "TaskDefinition": {"Ref": "TaskDefinition"},
                    "DesiredCount": {"Ref": "DesiredCount"},
                    # a rolling deploy starts the new task before it stops an old one; a task that
                    # never turns healthy rolls the deployment back
                    "DeploymentConfiguration": {
                        "MinimumHealthyPercent": 100,
                        "MaximumPercent": 200,
                        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                    },
                    "NetworkConfiguration": {
                        "AwsvpcConfiguration": {
                            "Subnets": {"Ref": "Subnets"},
                            "SecurityGroups": [{"Ref": "TaskSecurityGroup"}],
                            "AssignPublicIp": {"Ref": "AssignPublicIp"},
                        }
                    },
                    "LoadBalancers": {
                        "Fn::If": [
                            HTTP,
                            [
                                {
                                    "ContainerName": "iambot",
                                    "ContainerPort": PORT,
                                    "TargetGroupArn": {"Ref": "TargetGroupArn"},
                                }
                            ],
                            {"Ref": "AWS::NoValue"},
                        ]
                    },
                    "HealthCheckGracePeriodSeconds": {"Fn::If": [HTTP, 60, {"Ref": "AWS::NoValue"}]},
                },
            },
        }
    )
    doc["Outputs"]["ServiceName"] = {"Value": {"Fn::GetAtt": ["Service", "Name"]}}
    return doc
