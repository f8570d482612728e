"""AWS helpers for tests: moto's permission checking, a principal holding exact actions, and what moto lacks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from moto import settings as moto_settings
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.models import iam_backends


@contextmanager
def enforced() -> Iterator[None]:
    """moto checks permissions for every call from here on (set_initial_no_auth_action_count, inline).
    moto checks action names only, not resources or conditions."""
    original = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = ActionAuthenticatorMixin.request_count
    try:
        yield
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = original


def principal_with(admin_session: boto3.Session, actions: set[str], service: str) -> Any:
    """A client of ``service`` for a new IAM user that holds exactly ``actions`` (call inside mock_aws)."""
    admin = admin_session.client("iam")
    admin.create_user(UserName="iambot")
    statement = {"Effect": "Allow", "Action": sorted(actions) or ["sts:GetCallerIdentity"], "Resource": "*"}
    admin.put_user_policy(
        UserName="iambot",
        PolicyName="iambot",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    key = admin.create_access_key(UserName="iambot")["AccessKey"]
    return boto3.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1"
    ).client(service, region_name="us-east-1")


def attempt(
    admin_session: boto3.Session,
    remediation: Any,
    setup: Callable[[boto3.Session], dict[str, Any]],
    allowed: set[str],
    snapshots: Any = None,
    plans: list[Any] | None = None,
) -> Any:
    """In a fresh moto account: ``setup`` makes the state and returns the parameters; then a principal
    holding only ``allowed`` plans and applies the remediation under permission checking (the plan is
    appended to ``plans`` when given)."""
    with mock_aws():
        params = setup(admin_session)
        client = principal_with(admin_session, allowed, remediation.service)
        rem, p = remediation(client, snapshots), remediation.parse(params)
        with enforced():
            plan = rem.plan(p)
            assert not plan.noop, plan.lines
            if plans is not None:
                plans.append(plan)
            return rem.apply(p)


def assumed(role_arn: str, by: boto3.Session | None = None, **assume: Any) -> boto3.Session:
    """A session with the credentials of ``role_arn``, assumed by ``by`` (by default a session of its
    own, so that its AssumeRole is not among iambot's calls)."""
    by = by or boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    creds = by.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="setup", **assume)["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def admin_in(account: str) -> Any:
    """An IAM client acting in ``account`` (moto: the credentials of a role assumed there)."""
    return assumed(f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole").client("iam")


def renames_server_certificates(client: Any, account_id: str = DEFAULT_ACCOUNT_ID) -> Any:
    """``client``, with UpdateServerCertificate (which moto 5.2.5 lacks) answered as IAM answers it:
    the certificate is renamed in moto's IAM backend, and moved when NewPath is given; NoSuchEntity
    when no certificate has the name, EntityAlreadyExists when another has the new one."""

    def answer(params: dict[str, Any], **_: Any) -> Any:
        body = params["body"]
        named = {cert.cert_name: cert for cert in iam_backends[account_id]["aws"].certificates.values()}
        cert = named.get(body["ServerCertificateName"])
        if cert is None:
            return _error(404, "NoSuchEntity", f"The Server Certificate with name {body['ServerCertificateName']}")
        if body["NewServerCertificateName"] in named:
            return _error(409, "EntityAlreadyExists", f"{body['NewServerCertificateName']} already exists")
        cert.cert_name = body["NewServerCertificateName"]
        cert.path = body.get("NewPath", cert.path)
        return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}

    client.meta.events.register("before-call.iam.UpdateServerCertificate", answer)
    return client


def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return AWSResponse("https://iam.amazonaws.com/", status, {}, None), parsed
