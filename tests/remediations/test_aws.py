from __future__ import annotations

import json

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from remediations.aws import Aws
from remediations.base import RemediationError
from tests.conftest import APPROVER, REQUESTER
from tests.support.aws import admin_in
from tests.support.calls import Recorder

HOME, OTHER = "123456789012", "210987654321"  # moto's account, and another one moto keeps apart
ROLE = "arn:aws:iam::{account_id}:role/iambot-remediator"


@pytest.fixture
def assumed(aws_session):
    """The parameters of every sts:AssumeRole call made through the shared session."""
    seen: list[dict] = []

    def capture(params, **_):
        seen.append(dict(params))

    aws_session.events.register("provide-client-params.sts.AssumeRole", capture, unique_id="test-aws-assumed")
    yield seen
    aws_session.events.unregister("provide-client-params.sts.AssumeRole", unique_id="test-aws-assumed")


@pytest.fixture
def recorder(aws_session):
    rec = Recorder().attach(aws_session.events)
    yield rec
    rec.detach(aws_session.events)


def _users(iam):
    return [u["UserName"] for u in iam.list_users()["Users"]]


def test_clients_have_the_retry_configuration(aws):
    client = Aws(aws).client("sqs", region_name="eu-west-1")
    assert client.meta.region_name == "eu-west-1"
    # botocore reads max_attempts as retries after the first attempt: 6 attempts in all
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (5, 30)


def test_the_home_account_is_asked_once(aws, recorder):
    a = Aws(aws)
    assert a.home_account() == HOME and a.home_account() == HOME
    assert a.caller_arn().endswith(f"::{HOME}:user/moto")
    assert [c.action for c in recorder.calls] == ["sts:GetCallerIdentity", "sts:GetCallerIdentity"]


@pytest.mark.parametrize("account", [None, HOME])
def test_the_home_account_uses_iambots_own_credentials(aws, assumed, account):
    iam = Aws(aws, ROLE, "ext-1").iam(account)
    assert iam.meta.service_model.service_name == "iam"
    iam.create_user(UserName="here")
    assert "here" in _users(aws.client("iam"))
    assert assumed == []


def test_another_account_without_a_role_is_a_clear_refusal(aws, assumed):
    for service in ("iam", "organizations"):
        with pytest.raises(RemediationError) as info:
            Aws(aws).acting(service, OTHER)
        message = str(info.value)
        assert message.startswith(f"No role is configured for account {OTHER}: set IAMBOT_REMEDIATION_ROLE")
        assert "arn:aws:iam::{account_id}:role/iambot-remediator" in message
    assert assumed == []


def test_another_account_is_reached_through_its_role_with_the_external_id(aws, assumed):
    iam = Aws(aws, ROLE, "ext-1").iam(OTHER, session_name="iambot-R1A2B3")
    assert assumed == [
        {
            "RoleArn": f"arn:aws:iam::{OTHER}:role/iambot-remediator",
            "RoleSessionName": "iambot-R1A2B3",
            "ExternalId": "ext-1",
        }
    ]
    iam.create_user(UserName="there")  # acts in the other account, not at home
    assert "there" in _users(admin_in(OTHER))
    assert "there" not in _users(aws.client("iam"))
    assert iam.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}


def test_without_an_external_id_none_is_sent(aws, assumed):
    Aws(aws, ROLE).iam(OTHER)
    assert assumed == [{"RoleArn": f"arn:aws:iam::{OTHER}:role/iambot-remediator", "RoleSessionName": "iambot"}]


def test_session_names_are_made_valid(aws, assumed):
    Aws(aws, ROLE).iam(OTHER, session_name="iambot-report-U1:a b/" + "x" * 80)
    name = assumed[0]["RoleSessionName"]
    assert name.startswith("iambot-report-U1-a-b-") and len(name) == 64


def test_acting_in_organizations_through_the_role(aws, assumed):
    org = Aws(aws, ROLE, "ext-1").acting("organizations", OTHER, session_name="iambot-R9")
    assert org.meta.service_model.service_name == "organizations"
    assert assumed[0]["RoleArn"] == f"arn:aws:iam::{OTHER}:role/iambot-remediator"
    assert assumed[0]["RoleSessionName"] == "iambot-R9"
    # the organization is made by the other account: it is that account's management account
    assert org.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountId"] == OTHER


def test_a_refused_assume_role_is_a_clear_refusal(aws):
    from tests.support.aws import enforced

    admin = aws.client("iam")
    admin.create_user(UserName="iambot")
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}],
    }
    admin.put_user_policy(UserName="iambot", PolicyName="p", PolicyDocument=json.dumps(doc))
    key = admin.create_access_key(UserName="iambot")["AccessKey"]
    session = boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1"
    )
    a = Aws(session, ROLE)
    assert a.home_account() == HOME
    with enforced(), pytest.raises(RemediationError) as info:
        a.iam(OTHER)
    assert str(info.value).startswith(
        f"Could not assume arn:aws:iam::{OTHER}:role/iambot-remediator in account {OTHER}:"
    )
    assert "AccessDenied" in str(info.value)


def test_an_unknown_home_account_is_a_clear_refusal(aws_session):
    # STS answers with an error (registered the way botocore's Stubber answers: before the call is sent)
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

    def refuse(**_):
        body = {"Error": {"Code": "InvalidClientTokenId", "Message": "The security token is invalid."}}
        return AWSResponse("https://sts.amazonaws.com/", 403, {}, None), {
            **body,
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }

    session.events.register("before-call.sts.GetCallerIdentity", refuse)
    with pytest.raises(RemediationError, match=r"^iambot cannot tell which AWS account its credentials belong to: "):
        Aws(session, ROLE).iam(OTHER)


def test_from_settings_takes_the_role_and_the_secret_external_id(aws):
    from bot.config.settings import given

    a = Aws.from_settings(given(IAMBOT_REMEDIATION_ROLE=ROLE, IAMBOT_EXTERNAL_ID="ext-9"), aws)
    assert (a.session, a.role_template, a.external_id) == (aws, ROLE, "ext-9")
    assert a.role_for(OTHER) == f"arn:aws:iam::{OTHER}:role/iambot-remediator"
    assert Aws.from_settings(given(), aws).role_for(OTHER) is None


def test_a_request_runs_in_the_events_account_as_iambot_and_its_request_id(runtime_for, aws, assumed):
    runtime = runtime_for(IAMBOT_REMEDIATION_ROLE=ROLE, IAMBOT_EXTERNAL_ID="ext-1")
    there = admin_in(OTHER)
    there.create_user(UserName="legacy-etl")
    key = there.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    here = aws.client("iam")
    here.create_user(UserName="legacy-etl")
    home_key = here.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    params = {"user_name": "legacy-etl", "access_key_id": key}
    request = runtime.workflow.remediations.ask("deactivate-access-key", params, REQUESTER, account_id=OTHER)
    done = runtime.workflow.remediations.approve(request.id, APPROVER)
    assert done.status == "succeeded", done
    role = f"arn:aws:iam::{OTHER}:role/iambot-remediator"
    assert assumed == [
        {"RoleArn": role, "RoleSessionName": f"iambot-plan-{REQUESTER}", "ExternalId": "ext-1"},  # the dry run
        {"RoleArn": role, "RoleSessionName": f"iambot-{request.id}", "ExternalId": "ext-1"},  # the execution
    ]
    assert there.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    assert here.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"] == "Active"
    assert home_key != key
