"""`iambot template --ecs`: cfn-lint clean; deployed with moto's CloudFormation, the task runs as
iambot's role (exactly `iambot policy` plus the queue, trusted by this account's ECS tasks), reads
its secrets from Secrets Manager by reference only, runs Socket Mode or HTTP as asked, non-root on
a read-only root filesystem, with the Dockerfile's health check."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.aws.canary import statement as canary_statement
from bot.aws.ecs import ecs
from bot.aws.policy import policy
from bot.config.settings import given
from tests.support.cfn import deploy, lint
from tests.support.dockerfile import Dockerfile

TOKEN = "xoxb-not-a-real-token"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy")


def test_the_ecs_template_passes_cfn_lint(tmp_path):
    doc = ecs(given())
    result = lint(doc, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = json.loads(json.dumps(doc))
    broken["Resources"]["TaskDefinition"]["Properties"]["NetworkMode"] = "telepathy"
    assert lint(broken, tmp_path, "broken.json").returncode != 0


@pytest.fixture
def account():
    with mock_aws():
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
        ec2 = session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        secret = session.client("secretsmanager").create_secret(
            Name="iambot", SecretString=json.dumps({"SLACK_BOT_TOKEN": TOKEN})
        )["ARN"]
        yield session, {"VpcId": vpc, "Subnets": subnet, "SecretArn": secret}


def launch(session: boto3.Session, net: dict[str, str], settings: Any, **extra: str) -> dict[str, Any]:
    params = {"Image": "registry.example.com/iambot:1.0", "AlertChannel": "C0ALERTS", "Approvers": "U0AAAAAAA"}
    deploy(session.client("cloudformation"), ecs(settings), "iambot", **params, **net, **extra)
    [container] = session.client("ecs").describe_task_definition(taskDefinition="iambot")["taskDefinition"][
        "containerDefinitions"
    ]
    return dict(container)


def physical(session: boto3.Session, logical: str) -> str:
    """The name the stack gave a resource (moto cannot describe one resource of a stack that holds a
    resource type it does not support, such as the queue policy)."""
    listed = session.client("cloudformation").list_stack_resources(StackName="iambot")["StackResourceSummaries"]
    [found] = [r["PhysicalResourceId"] for r in listed if r["LogicalResourceId"] == logical]
    return str(found).rsplit("/", 1)[-1]


def test_socket_mode_runs_as_iambots_role_with_secrets_by_reference(account):
    session, net = account
    settings = given(IAMBOT_REMEDIATIONS="deactivate-access-key")
    container = launch(session, net, settings)
    assert container["command"] == ["run", "--socket-mode"]
    assert container["user"] == "10001:10001" and container["readonlyRootFilesystem"] is True
    assert {m["containerPath"] for m in container["mountPoints"]} == {"/tmp", "/var/lib/iambot"}
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    names = ("SLACK_BOT_TOKEN", "IAMBOT_DB", "IAMBOT_SECRET_KEY", "SLACK_APP_TOKEN")
    assert secrets == {k: f"{net['SecretArn']}:{k}::" for k in names}
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["IAMBOT_SQS_QUEUE_URL"].startswith("https://sqs.us-east-1.amazonaws.com/")
    assert (env["IAMBOT_ALERT_CHANNEL"], env["PORT"]) == ("C0ALERTS", "3000")
    assert TOKEN not in json.dumps(container)  # the value stays in Secrets Manager
    # the container's health check is the Dockerfile's, word for word
    dockerfile = Dockerfile.parse((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    assert container["healthCheck"]["command"] == ["CMD", *dockerfile.final.last("HEALTHCHECK").exec_form()]

    # moto's ECS keeps no task role: the template names it, the stack made it
    properties = ecs(settings)["Resources"]["TaskDefinition"]["Properties"]
    assert properties["TaskRoleArn"] == {"Fn::GetAtt": ["BotRole", "Arn"]}
    iam = session.client("iam")
    role = iam.get_role(RoleName=physical(session, "BotRole"))["Role"]
    names = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    assert sorted(names) == ["iambot", "iambot-canary"]

    def held(name: str) -> list[dict]:
        document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)["PolicyDocument"]
        return (ast.literal_eval(document) if isinstance(document, str) else document)["Statement"]  # moto: a repr

    assert [s for s in held("iambot") if s["Sid"] != "IambotQueue"] == policy(settings)["Statement"]
    # the feed canary's one write: TagRole on this role alone, for the iambot:canary key alone
    assert held("iambot-canary") == [canary_statement(role["Arn"])]

    execution = physical(session, "ExecutionRole")
    [name] = iam.list_role_policies(RoleName=execution)["PolicyNames"]
    document = iam.get_role_policy(RoleName=execution, PolicyName=name)["PolicyDocument"]
    [read] = (ast.literal_eval(document) if isinstance(document, str) else document)["Statement"]
    assert (read["Action"], read["Resource"]) == ("secretsmanager:GetSecretValue", net["SecretArn"])


def test_http_mode_takes_the_signing_secret_and_registers_with_the_target_group(account):
    session, net = account
    elb = session.client("elbv2")
    group = elb.create_target_group(Name="iambot", Protocol="HTTP", Port=3000, VpcId=net["VpcId"], TargetType="ip")
    arn = group["TargetGroups"][0]["TargetGroupArn"]
    container = launch(session, net, given(), Mode="http", TargetGroupArn=arn)
    assert container["command"] == ["run", "--http"]
    assert {s["name"] for s in container["secrets"]} == {
        "SLACK_BOT_TOKEN",
        "IAMBOT_DB",
        "IAMBOT_SECRET_KEY",
        "SLACK_SIGNING_SECRET",
    }
    # moto's CloudFormation drops a service's load balancers: the template says where the tasks go
    service = ecs(given())["Resources"]["Service"]["Properties"]
    when_http, otherwise = service["LoadBalancers"]["Fn::If"][1:]
    target = {"ContainerName": "iambot", "ContainerPort": 3000, "TargetGroupArn": {"Ref": "TargetGroupArn"}}
    assert when_http == [target]
    assert otherwise == {"Ref": "AWS::NoValue"}
    # a rolling deploy never drops below the desired count, and rolls back a task that stays unhealthy
    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 100
    assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
