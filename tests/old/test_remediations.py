"""Each remediation against moto: plan, apply, the effect, and idempotency (plan says noop).

moto 5.2.5 lacks update_server_certificate, and its update_login_profile without a password
deletes the profile (real IAM keeps it): those calls are checked with botocore's Stubber.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from botocore.stub import Stubber

from remediations import registry
from remediations.base import RemediationError

ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def iam(aws):  # conftest: one long-lived boto3 Session under mock_aws
    return aws.client("iam")


def run(rid, iam, **params):
    cls = registry.get(rid)
    rem, p = cls(iam), cls.parse(params)
    plan = rem.plan(p)
    assert not plan.noop, plan.lines
    assert plan.lines[0].startswith("Would ")
    outcome = rem.apply(p)
    again = rem.plan(p)
    assert again.noop, again.lines  # idempotent: nothing left to do
    return plan, outcome


def test_deactivate_and_delete_access_key(iam):
    iam.create_user(UserName="legacy-etl")
    key = iam.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
    plan, _ = run("deactivate-access-key", iam, user_name="legacy-etl", access_key_id=key)
    assert plan.lines == [f"Would set access key {key} of user legacy-etl to Inactive"]
    assert iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    run("delete-access-key", iam, user_name="legacy-etl", access_key_id=key)
    assert iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"] == []
    # applying again is harmless
    cls = registry.get("delete-access-key")
    out = cls(iam).apply(cls.parse({"user_name": "legacy-etl", "access_key_id": key}))
    assert out.changed is False


def test_missing_key_or_user_is_a_clear_refusal(iam):
    cls = registry.get("deactivate-access-key")
    with pytest.raises(RemediationError, match="does not exist"):
        cls(iam).plan(cls.parse({"user_name": "ghost", "access_key_id": "AKIAEXAMPLE000000001"}))


def test_quarantine_user(iam):
    iam.create_user(UserName="mallory-dev")
    run("quarantine-user", iam, user_name="mallory-dev")
    doc = iam.get_user_policy(UserName="mallory-dev", PolicyName="iambot-quarantine-deny-all")["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"][0] == {"Sid": "IambotQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*"}


def test_disable_console_access(iam):
    iam.create_user(UserName="ci-admin")
    iam.create_login_profile(UserName="ci-admin", Password="Example-Passw0rd!")
    run("disable-console-access", iam, user_name="ci-admin")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_login_profile(UserName="ci-admin")


def test_require_password_reset_with_stubber(aws_session):
    iam = aws_session.client("iam")
    cls = registry.get("require-password-reset")
    p = cls.parse({"user_name": "ci-admin"})
    when = datetime(2026, 11, 20, tzinfo=UTC)
    with Stubber(iam) as stub:
        stub.add_response(
            "get_login_profile",
            {"LoginProfile": {"UserName": "ci-admin", "CreateDate": when, "PasswordResetRequired": False}},
            {"UserName": "ci-admin"},
        )
        stub.add_response("update_login_profile", {}, {"UserName": "ci-admin", "PasswordResetRequired": True})
        stub.add_response(
            "get_login_profile",
            {"LoginProfile": {"UserName": "ci-admin", "CreateDate": when, "PasswordResetRequired": True}},
            {"UserName": "ci-admin"},
        )
        stub.add_client_error("get_login_profile", "NoSuchEntity", http_status_code=404)
        rem = cls(iam)
        assert rem.plan(p).lines == ["Would require user ci-admin to choose a new console password at next sign-in"]
        rem.apply(p)  # no Password argument: the stub checks the exact parameters
        assert rem.plan(p).noop
        with pytest.raises(RemediationError, match="no console password"):
            rem.plan(p)
        stub.assert_no_pending_responses()


def test_signing_certificate_remediations(iam):
    iam.create_user(UserName="ci-admin")
    body = _self_signed_pem()
    cert_id = iam.upload_signing_certificate(UserName="ci-admin", CertificateBody=body)["Certificate"]["CertificateId"]
    run("deactivate-signing-certificate", iam, user_name="ci-admin", certificate_id=cert_id)
    assert iam.list_signing_certificates(UserName="ci-admin")["Certificates"][0]["Status"] == "Inactive"
    run("delete-signing-certificate", iam, user_name="ci-admin", certificate_id=cert_id)
    assert iam.list_signing_certificates(UserName="ci-admin")["Certificates"] == []


def test_revert_server_certificate_rename_with_stubber(aws_session):
    iam = aws_session.client("iam")
    cls = registry.get("revert-server-certificate-rename")
    p = cls.parse({"current_name": "www-2026-old", "original_name": "www-2026"})

    def meta(name, cid):
        return {
            "ServerCertificate": {
                "ServerCertificateMetadata": {
                    "Path": "/",
                    "ServerCertificateName": name,
                    "ServerCertificateId": cid,
                    "Arn": f"arn:aws:iam::{ACCOUNT}:server-certificate/{name}",
                },
                "CertificateBody": "x",
            }
        }

    with Stubber(iam) as stub:
        stub.add_response(
            "get_server_certificate",
            meta("www-2026-old", "ASCAEXAMPLEEXAMPLE01"),
            {"ServerCertificateName": "www-2026-old"},
        )
        stub.add_client_error(
            "get_server_certificate", "NoSuchEntity", 404, expected_params={"ServerCertificateName": "www-2026"}
        )
        stub.add_response(
            "update_server_certificate",
            {},
            {"ServerCertificateName": "www-2026-old", "NewServerCertificateName": "www-2026"},
        )
        rem = cls(iam)
        assert rem.plan(p).lines == ["Would rename server certificate www-2026-old back to www-2026"]
        assert rem.apply(p).changed
        # someone took the old name in the meantime: refuse
        stub.add_response(
            "get_server_certificate",
            meta("www-2026-old", "ASCAEXAMPLEEXAMPLE01"),
            {"ServerCertificateName": "www-2026-old"},
        )
        stub.add_response(
            "get_server_certificate", meta("www-2026", "ASCAEXAMPLEEXAMPLE02"), {"ServerCertificateName": "www-2026"}
        )
        with pytest.raises(RemediationError, match="Another server certificate is now named www-2026"):
            rem.plan(p)
        stub.assert_no_pending_responses()


def test_oidc_restore_and_delete(iam):
    old, new = "a" * 40, "b" * 40
    arn = iam.create_open_id_connect_provider(
        Url="https://token.actions.example.com", ThumbprintList=[new], ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity"}],
    }
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_role(
        RoleName="other",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    plan, _ = run("restore-oidc-thumbprints", iam, provider_arn=arn, thumbprints=old.upper())
    assert f"{new} → {old}" in plan.lines[0]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [old]
    plan, _ = run("delete-oidc-provider", iam, provider_arn=arn)
    assert plan.lines[1] == "1 role(s) trust it and could no longer be assumed through it: deploy"
    assert plan.expected == {"exists": True, "trusting_roles": ["deploy"]}
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_apply_password_policy(iam):
    plan, _ = run("apply-password-policy", iam)
    assert plan.lines[0] == "Would create the account password policy:"
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14 and policy["PasswordReusePrevention"] == 24
    plan, _ = run("apply-password-policy", iam, minimum_password_length=20)
    assert "• minimum password length: 14 → 20" in plan.lines


def test_stale_and_inactive_keys(iam):
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        iam.create_user(UserName="old-svc")
        old = iam.create_access_key(UserName="old-svc")["AccessKey"]["AccessKeyId"]
    with time_machine.travel(datetime(2026, 11, 20, tzinfo=UTC), tick=False):
        iam.create_user(UserName="new-svc")
        iam.create_access_key(UserName="new-svc")
        plan, out = run("deactivate-stale-access-keys", iam, unused_days=90)
        assert plan.expected == {"keys": [f"old-svc/{old}"]}
        assert out.lines[0] == "Deactivated 1 stale access key(s)"
        assert re.search(r"never used in \d+ days", plan.lines[1])
        run("delete-inactive-access-keys", iam)
        assert iam.list_access_keys(UserName="old-svc")["AccessKeyMetadata"] == []
        assert len(iam.list_access_keys(UserName="new-svc")["AccessKeyMetadata"]) == 1


@pytest.mark.parametrize("rid", registry.ids())
def test_declared_permissions_are_iam_actions(rid):
    cls = registry.get(rid)
    assert cls.permissions and all(re.fullmatch(r"iam:[A-Z][A-Za-z]+", p) for p in cls.permissions)
    with pytest.raises(Exception, match="Extra inputs"):
        cls.parse({"unexpected": "x"})


def _self_signed_pem() -> str:
    from bot.demo import self_signed_certificate

    return self_signed_certificate()[0]
