"""Each remediation's declared permissions are real IAM actions and exactly enough.

Under moto's permission checking (it checks action names, not resources or conditions), a
principal holding just the declared actions can plan and apply; with any one removed, the
remediation fails with AccessDenied.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime

import boto3
import botocore.session
import pytest
import time_machine
from botocore.exceptions import ClientError
from moto import mock_aws
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin

from bot.config import Settings
from bot.manifest import policy
from remediations import registry
from tests.test_remediations import _self_signed_pem

IAM_OPERATIONS = set(botocore.session.get_session().get_service_model("iam").operation_names)
STS_OPERATIONS = set(botocore.session.get_session().get_service_model("sts").operation_names)


@contextmanager
def enforced():
    """moto checks permissions for every call from here on (set_initial_no_auth_action_count, inline)."""
    original = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = ActionAuthenticatorMixin.request_count
    try:
        yield
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = original


def _user_with_key(iam, name="legacy-etl"):
    iam.create_user(UserName=name)
    return iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]


def _console_user(iam):
    iam.create_user(UserName="ci-admin")
    iam.create_login_profile(UserName="ci-admin", Password="Correct-Horse-9-Battery")
    return {"user_name": "ci-admin"}


def _cert(iam):
    iam.create_user(UserName="ci-admin")
    cert = iam.upload_signing_certificate(UserName="ci-admin", CertificateBody=_self_signed_pem())
    return {"user_name": "ci-admin", "certificate_id": cert["Certificate"]["CertificateId"]}


def _provider(iam):
    return iam.create_open_id_connect_provider(
        Url="https://token.actions.example.com", ThumbprintList=["b" * 40], ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]


def _stale_key(iam):
    with time_machine.travel(datetime(2025, 1, 1, tzinfo=UTC), tick=False):
        _user_with_key(iam, "old-svc")
    return {"unused_days": 90}


def _inactive_key(iam):
    key = _user_with_key(iam, "old-svc")
    iam.update_access_key(UserName="old-svc", AccessKeyId=key, Status="Inactive")
    return {}


SCENARIOS = {
    "deactivate-access-key": lambda iam: {"user_name": "legacy-etl", "access_key_id": _user_with_key(iam)},
    "delete-access-key": lambda iam: {"user_name": "legacy-etl", "access_key_id": _user_with_key(iam)},
    "quarantine-user": lambda iam: {"user_name": _user_with_key(iam) and "legacy-etl"},
    "require-password-reset": _console_user,  # moto deletes the profile here (its bug); the calls are what we check
    "disable-console-access": _console_user,
    "deactivate-signing-certificate": _cert,
    "delete-signing-certificate": _cert,
    "restore-oidc-thumbprints": lambda iam: {"provider_arn": _provider(iam), "thumbprints": ["a" * 40]},
    "delete-oidc-provider": lambda iam: {"provider_arn": _provider(iam)},
    "apply-password-policy": lambda iam: {},
    "deactivate-stale-access-keys": _stale_key,
    "delete-inactive-access-keys": _inactive_key,
}
# moto 5.2.5 has no UpdateServerCertificate; its exact calls are checked with Stubber in test_remediations.
UNCHECKABLE = {"revert-server-certificate-rename"}


def test_every_remediation_has_a_scenario():
    assert set(SCENARIOS) | UNCHECKABLE == set(registry.ids())


@pytest.mark.parametrize("rid", registry.ids())
def test_declared_permissions_are_real_iam_actions(rid):
    for perm in registry.get(rid).permissions:
        service, _, action = perm.partition(":")
        assert service == "iam" and action in IAM_OPERATIONS, perm


def test_bot_policy_names_only_real_actions():
    doc = policy(Settings(IAMBOT_REMEDIATION_ROLE="arn:aws:iam::{account_id}:role/iambot-remediator"))
    for statement in doc["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for perm in actions:
            service, _, action = perm.partition(":")
            assert action in {"iam": IAM_OPERATIONS, "sts": STS_OPERATIONS}[service], perm
    assert doc["Statement"][-1]["Resource"] == "arn:aws:iam::*:role/iambot-remediator"


def test_policy_follows_enabled_remediations():
    doc = policy(Settings(IAMBOT_REMEDIATIONS="deactivate-access-key"))
    remediation_actions = next(s for s in doc["Statement"] if s["Sid"] == "IambotRemediations")["Action"]
    assert remediation_actions == ["iam:ListAccessKeys", "iam:UpdateAccessKey"]


def _attempt(session, rid, allowed):
    cls = registry.get(rid)
    with mock_aws():
        admin = session.client("iam")
        params = SCENARIOS[rid](admin)
        admin.create_user(UserName="iambot")
        statement = {"Effect": "Allow", "Action": sorted(allowed) or ["sts:GetCallerIdentity"], "Resource": "*"}
        admin.put_user_policy(
            UserName="iambot",
            PolicyName="iambot",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        )
        key = admin.create_access_key(UserName="iambot")["AccessKey"]
        bot = boto3.Session(
            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1"
        ).client("iam")
        rem, p = cls(bot), cls.parse(params)
        with enforced():
            plan = rem.plan(p)
            assert not plan.noop, plan.lines
            return rem.apply(p)


@pytest.mark.parametrize("rid", sorted(SCENARIOS))
def test_declared_permissions_are_exactly_enough(rid, aws_session):
    perms = set(registry.get(rid).permissions)
    assert _attempt(aws_session, rid, perms).changed
    for missing in sorted(perms):
        with pytest.raises(ClientError) as info:
            _attempt(aws_session, rid, perms - {missing})
        assert info.value.response["Error"]["Code"] == "AccessDenied", (rid, missing)
