"""Every IAM fixture record: the expected event name, actor, target and severity.

The severities were reviewed by hand against the catalog and factors; a change to either that
moves one of these is a product decision and should change this table on purpose.
"""

from __future__ import annotations

import pytest

from bot.catalog import load as load_catalog
from bot.events import normalize
from bot.risk import RiskContext, score, step
from bot.triage import Assessor
from tests.conftest import load

EXPECTED = [
    (
        "AttachRolePolicy__panther__1.json",
        "AttachRolePolicy",
        "example-role/example-user",
        {"role": "LambdaFunctionRole-1111"},
        "low",
    ),
    (
        "AttachRolePolicy__stratus__1.json",
        "AttachRolePolicy",
        "christophe",
        {"role": "stratus-red-team-malicious-iam-role"},
        "high",
    ),
    ("AttachUserPolicy__panther__1.json", "AttachUserPolicy", "tester", {"user": "new-user"}, "high"),
    ("AttachUserPolicy__panther__2.json", "AttachUserPolicy", "root", {"user": "tracy_stone"}, "high"),
    ("AttachUserPolicy__stratus__1.json", "AttachUserPolicy", "christophe", {"user": "malicious-iam-user"}, "high"),
    ("ChangePassword__panther__1.json", "ChangePassword", "test_user", {"user": "test_user"}, "low"),
    ("ChangePassword__panther__2.json", "ChangePassword", "test_user", {"user": "test_user"}, "info"),
    ("CreateAccessKey__panther__1.json", "CreateAccessKey", "user1", {"user": "user1"}, "medium"),
    ("CreateAccessKey__panther__2.json", "CreateAccessKey", "user1", {"user": "user2"}, "high"),
    ("CreateAccessKey__panther__3.json", "CreateAccessKey", "some_iam_user", {"user": "some_iam_user"}, "low"),
    ("CreateAccessKey__panther__4.json", "CreateAccessKey", "root", {"user": "root"}, "critical"),
    ("CreateAccessKey__panther__5.json", "CreateAccessKey", "root", {"user": "example-user"}, "critical"),
    ("CreateAccessKey__panther__6.json", "CreateAccessKey", "root", {"user": "root"}, "critical"),
    (
        "CreateAccessKey__stratus__1.json",
        "CreateAccessKey",
        "christophe",
        {"user": "stratus-red-team-backdoor-u-user"},
        "high",
    ),
    ("CreateAccessKey__stratus__2.json", "CreateAccessKey", "christophe", {"user": "malicious-iam-user"}, "high"),
    (
        "CreateLoginProfile__stratus__1.json",
        "CreateLoginProfile",
        "christophe",
        {"user": "stratus-red-team-login-profile-user"},
        "high",
    ),
    (
        "CreateRole__stratus__1.json",
        "CreateRole",
        "christophe",
        {"role": "stratus-red-team-malicious-iam-role"},
        "medium",
    ),
    ("CreateServiceLinkedRole__panther__1.json", "CreateServiceLinkedRole", "tester", {}, "info"),
    ("CreateUser__panther__1.json", "CreateUser", "tester", {"user": "new-user"}, "low"),
    ("CreateUser__panther__2.json", "CreateUser", "tester", {"user": "user"}, "info"),
    ("CreateUser__panther__3.json", "CreateUser", "root", {"user": "tracy_stone"}, "medium"),
    ("CreateUser__stratus__1.json", "CreateUser", "christophe", {"user": "malicious-iam-user"}, "low"),
    ("CreateVirtualMFADevice__panther__1.json", "CreateVirtualMFADevice", "test_user", {}, "low"),
    ("DeleteGroupPolicy__panther__1.json", "DeleteGroupPolicy", "tester", {"group": "group"}, "low"),
    (
        "DeleteLoginProfile__stratus__1.json",
        "DeleteLoginProfile",
        "christophe",
        {"user": "stratus-red-team-login-profile-user"},
        "low",
    ),
    ("GetRole__panther__1.json", "GetRole", "tester", {"role": "FooBar"}, "info"),
    ("GetRole__panther__2.json", "GetRole", "tester", {"role": "FooBar"}, "info"),
    ("ListAccessKeys__panther__1.json", "ListAccessKeys", "root", {"user": "root"}, "low"),
    ("PutUserPolicy__panther__1.json", "PutUserPolicy", "compromised_user", {"user": "compromised_user"}, "low"),
    ("PutUserPolicy__panther__2.json", "PutUserPolicy", "a-role/user.name", {"user": "test-user"}, "medium"),
    ("UpdateAssumeRolePolicy__panther__1.json", "UpdateAssumeRolePolicy", "tester", {}, "critical"),
    (
        "UpdateAssumeRolePolicy__stratus__1.json",
        "UpdateAssumeRolePolicy",
        "christophe",
        {"role": "stratus-red-team-backdoor-r-role"},
        "critical",
    ),
    ("UpdateLoginProfile__panther__1.json", "UpdateLoginProfile", "IAM/alice", {"user": "alice"}, "low"),
    ("UpdateLoginProfile__panther__2.json", "UpdateLoginProfile", "IAM/alice", {"user": "bob"}, "high"),
    ("UpdateLoginProfile__panther__3.json", "UpdateLoginProfile", "IAM/alice", {"user": "bob"}, "medium"),
    (
        "UpdateLoginProfile__stratus__1.json",
        "UpdateLoginProfile",
        "christophe",
        {"user": "stratus-red-team-update-login-profile-user"},
        "high",
    ),
    ("UpdateAccessKey__authored__1.json", "UpdateAccessKey", "erin@example.com", {"user": "legacy-etl"}, "critical"),
    ("UpdateAccessKey__authored__2.json", "UpdateAccessKey", "ops-alice", {"user": "ops-alice"}, "info"),
    ("UpdateAccessKey__authored__3.json", "UpdateAccessKey", "mallory-dev", {"user": "break-glass"}, "low"),
    ("UpdateLoginProfile__authored__1.json", "UpdateLoginProfile", "mallory-dev", {"user": "ci-admin"}, "high"),
    (
        "UpdateOpenIDConnectProviderThumbprint__authored__1.json",
        "UpdateOpenIDConnectProviderThumbprint",
        "mallory-dev",
        {"oidc_provider": "arn:aws:iam::111122223333:oidc-provider/token.actions.example.com"},
        "high",
    ),
    (
        "UpdateServerCertificate__authored__1.json",
        "UpdateServerCertificate",
        "dan@example.com",
        {"server_certificate": "www-example-com-2026"},
        "high",
    ),
    (
        "UploadSigningCertificate__authored__1.json",
        "UploadSigningCertificate",
        "mallory-dev",
        {"user": "ci-admin"},
        "critical",
    ),
]


@pytest.mark.parametrize(("name", "event_name", "actor", "target", "severity"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_fixture_expectations(assessor, name, event_name, actor, target, severity):
    alert = assessor(normalize(load(name)))
    assert alert.event.event_name == event_name
    assert alert.event.actor.name == actor
    for key, value in target.items():
        assert alert.event.target[key] == value
    assert alert.severity == severity, alert.risk.reasons


def factors(alert):
    return [f.name for f in alert.risk.factors]


def test_reactivated_key_for_someone_else_without_mfa_is_critical(assessor):
    alert = assessor(normalize(load("UpdateAccessKey__authored__1.json")))
    assert alert.risk.base == "low"
    assert factors(alert) == ["console-without-mfa", "other-principal", "key-reactivated"]
    assert alert.summary == "erin@example.com re-activated access key AKIA…Y001 of user legacy-etl"
    assert [o.id for o in alert.offers] == ["deactivate-access-key", "delete-access-key", "quarantine-user"]
    assert alert.offers[0].params == {"user_name": "legacy-etl", "access_key_id": "AKIAEXAMPLELEGACY001"}


def test_own_key_deactivation_is_info_and_offers_nothing(assessor):
    alert = assessor(normalize(load("UpdateAccessKey__authored__2.json")))
    assert factors(alert) == ["key-deactivated"]
    assert alert.offers == ()


def test_denied_call_is_reported_as_an_attempt(assessor):
    alert = assessor(normalize(load("UpdateAccessKey__authored__3.json")))
    assert "failed-call" in factors(alert)
    assert "attempt" in alert.risk.reasons[0]
    assert alert.summary.startswith("mallory-dev tried to")
    assert alert.summary.endswith("(AccessDenied)")
    assert alert.offers == ()  # nothing changed, nothing to undo


def test_password_reset_required_removes_the_factor(assessor):
    without = assessor(normalize(load("UpdateLoginProfile__panther__2.json")))
    with_reset = assessor(normalize(load("UpdateLoginProfile__panther__3.json")))
    assert "password-without-reset" in factors(without)
    assert "password-without-reset" not in factors(with_reset)
    assert step(with_reset.severity, 1) == without.severity


def test_own_password_via_role_session_is_not_someone_else(assessor):
    alert = assessor(normalize(load("UpdateLoginProfile__panther__1.json")))
    assert factors(alert) == []
    assert alert.severity == "low"


def test_root_actor_factor(assessor):
    alert = assessor(normalize(load("CreateUser__panther__3.json")))
    assert factors(alert) == ["root-actor"]
    assert alert.risk.reasons == ["Done with the account's root user, which no IAM policy can restrict"]


def test_first_class_signing_certificate_offers_use_response_ids(assessor):
    alert = assessor(normalize(load("UploadSigningCertificate__authored__1.json")))
    assert alert.severity == "critical"
    assert alert.offers[0].params == {"user_name": "ci-admin", "certificate_id": "TA7SMP42TDN5Z26OBPJE7EXAMPLE"}


def test_server_certificate_revert_params(assessor):
    alert = assessor(normalize(load("UpdateServerCertificate__authored__1.json")))
    assert alert.offers[0].params == {
        "current_name": "www-example-com-2026-old",
        "original_name": "www-example-com-2026",
    }


def test_bots_own_principal_is_never_a_threat():
    record = load("UpdateAccessKey__authored__1.json")
    ctx = RiskContext(("arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin*",))
    alert = Assessor(context=ctx)(normalize(record))
    assert alert.severity == "info"
    assert alert.risk.is_self
    assert factors(alert) == ["bot-principal"]
    assert alert.offers == ()


def test_unknown_iam_event_gets_a_generic_alert(assessor):
    record = dict(load("CreateUser__stratus__1.json"), eventName="TagUser")
    alert = assessor(normalize(record))
    assert alert.entry.generic
    assert alert.severity == "low"
    assert alert.summary == "christophe called TagUser"


def test_score_clamps_to_the_scale():
    catalog = load_catalog()
    e = normalize(load("CreateAccessKey__panther__4.json"))
    risk = score(e, catalog.get("CreateAccessKey"))
    assert risk.severity == "critical"
    assert step("info", -3) == "info" and step("critical", 2) == "critical"
