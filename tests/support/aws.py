"""AWS helpers for tests: moto's permission checking, and a principal holding exact actions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin


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


def admin_in(account: str) -> Any:
    """An IAM client acting in ``account`` (moto: the credentials of a role assumed there), made
    through a session of its own so that its AssumeRole is not among iambot's calls."""
    setup = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    creds = setup.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="setup"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    ).client("iam")
