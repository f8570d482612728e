"""moto 5.2.5's update_login_profile without a password deletes the login profile (real IAM keeps it
and only sets PasswordResetRequired), so the effect is checked with botocore's Stubber, which
also checks the exact parameters: no Password argument."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError
from remediations.require_password_reset import RequirePasswordReset

WHEN = datetime(2026, 11, 20, tzinfo=UTC)


def _profile(required):
    return {"LoginProfile": {"UserName": "ci-admin", "CreateDate": WHEN, "PasswordResetRequired": required}}


def test_registered():
    assert registry.get("require-password-reset") is RequirePasswordReset
    assert RequirePasswordReset.destructive is False


def test_requires_a_reset_without_touching_the_password_with_stubber(aws_session):
    iam = aws_session.client("iam")
    p = RequirePasswordReset.parse({"user_name": "ci-admin"})
    who = {"UserName": "ci-admin"}
    with Stubber(iam) as stub:
        stub.add_response("get_login_profile", _profile(False), who)
        stub.add_response("list_mfa_devices", {"MFADevices": []}, who)  # the blast radius
        stub.add_response("list_access_keys", {"AccessKeyMetadata": []}, who)
        stub.add_response("update_login_profile", {}, {"UserName": "ci-admin", "PasswordResetRequired": True})
        stub.add_response("get_login_profile", _profile(True), who)
        stub.add_client_error("get_login_profile", "NoSuchEntity", http_status_code=404, expected_params=who)
        rem = RequirePasswordReset(iam)
        plan = rem.plan(p)
        assert plan.lines == ["Would require user ci-admin to choose a new console password at next sign-in"]
        assert plan.expected == {"reset_required": False}
        assert plan.impact == ["Console access: yes", "MFA devices: none", "Access keys: none"]
        outcome = rem.apply(p)  # no Password argument: the stub checks the exact parameters
        assert outcome.changed
        assert outcome.lines == ["User ci-admin must choose a new console password at next sign-in"]
        after = rem.plan(p)
        assert after.noop and after.expected == {"reset_required": True}
        assert after.lines == ["User ci-admin must already reset their password at next sign-in"]
        with pytest.raises(RemediationError, match=r"^User ci-admin has no console password to reset$"):
            rem.plan(p)
        stub.assert_no_pending_responses()


def test_plan_reads_the_login_profile_in_moto(iam):
    iam.create_user(UserName="ci-admin")
    iam.create_login_profile(UserName="ci-admin", Password="Example-Passw0rd!")
    # (moto leaves PasswordResetRequired out of GetLoginProfile; the no-op is checked with Stubber above)
    plan = RequirePasswordReset(iam).plan(RequirePasswordReset.parse({"user_name": "ci-admin"}))
    assert not plan.noop and plan.expected == {"reset_required": False}
    assert plan.impact == ["Console access: yes", "MFA devices: none", "Access keys: none"]


def test_a_user_without_console_password_is_a_clear_refusal(iam):
    iam.create_user(UserName="svc")
    for name in ("svc", "ghost"):
        with pytest.raises(RemediationError, match=rf"^User {name} has no console password to reset$"):
            RequirePasswordReset(iam).plan(RequirePasswordReset.parse({"user_name": name}))


@pytest.mark.parametrize("params", [{}, {"user_name": "ci admin"}, {"user_name": "ci-admin", "password": "x"}])
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        RequirePasswordReset.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    # moto drops the profile on UpdateLoginProfile (its bug, see above); the calls are what is checked here
    def setup(session, _store):
        iam = session.client("iam")
        iam.create_user(UserName="ci-admin")
        iam.create_login_profile(UserName="ci-admin", Password="Correct-Horse-9-Battery")
        return {"user_name": "ci-admin"}

    exactly_enough(RequirePasswordReset, setup, impact={"iam:ListMFADevices", "iam:ListAccessKeys"})
