"""The generic factors and those about principals and credentials: when each applies, its step
and its reason."""

from __future__ import annotations

import pytest

from bot.assess import FACTORS, GENERIC, RiskContext
from bot.assess import factors as f
from tests.support.records import load as load_record
from tests.support.subjects import subject

KEY_EVENT = "UpdateAccessKey__authored__2.json"  # IAM user ops-alice, on her own key, Inactive
CTX = RiskContext()


def test_factor_tables():
    assert set(GENERIC) == {"root-actor", "console-without-mfa", "failed-call", "automation"}
    assert set(FACTORS) == set(GENERIC) | set(f.LISTED)
    assert not set(GENERIC) & set(f.LISTED)
    assert "self-or-other" in FACTORS and "other-principal" not in FACTORS  # listed by its entry name


# ---------------------------------------------------------------------------------- generic


def test_root_actor():
    found = f.root_actor(subject("CreateUser__panther__3.json"), CTX)
    reason = "Done with the account's root user, which no IAM policy can restrict"
    assert found == f.Factor("root-actor", 1, reason, "high")  # any root use: at least high
    assert f.root_actor(subject(KEY_EVENT), CTX) is None


def test_root_actor_leaves_sign_ins_and_calls_a_service_made_for_root_to_their_entries():
    reason = "Done with the account's root user, which no IAM policy can restrict"
    assert f.root_actor(subject("ConsoleLogin__awsdocs__6.json"), CTX) == f.Factor("root-actor", 1, reason)
    record = load_record("CreateUser__panther__3.json")
    helped = subject(record, userIdentity={**record["userIdentity"], "invokedBy": "support.amazonaws.com"})
    assert f.root_actor(helped, CTX) == f.Factor("root-actor", 1, reason)


def test_console_without_mfa_for_iam_users_and_root():
    login = subject("ConsoleLogin__awsdocs__1.json")  # IAM user, MFAUsed No
    assert f.console_without_mfa(login, CTX) == f.Factor(
        "console-without-mfa", 1, "anaya was in a console session signed in without MFA"
    )
    assert f.console_without_mfa(subject("ConsoleLogin__awsdocs__4.json"), CTX).delta == 1  # root
    assert f.console_without_mfa(subject("ConsoleLogin__awsdocs__2.json"), CTX) is None  # with MFA
    assert f.console_without_mfa(subject("ConsoleLogin__awsdocs__6.json"), CTX) is None  # failed: nobody got in


def test_console_without_mfa_never_for_role_sessions():
    """Changed on purpose: IAM Identity Center and SAML sessions never say mfaAuthenticated true."""
    sso = subject("UpdateAccessKey__authored__1.json")
    assert sso.event.actor.console and sso.event.raw["userIdentity"]["sessionContext"]["attributes"][
        "mfaAuthenticated"] == "false"
    assert f.console_without_mfa(sso, CTX) is None
    assert f.console_without_mfa(subject("ConsoleLogin__awscli__1.json"), CTX) is None


def test_console_without_mfa_needs_a_console_session():
    record = load_record(KEY_EVENT)
    record["userIdentity"]["sessionContext"] = {"attributes": {"mfaAuthenticated": "false"}}
    assert f.console_without_mfa(subject(record), CTX) is None  # an SDK call
    assert f.console_without_mfa(subject(record, sessionCredentialFromConsole="true"), CTX).delta == 1


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("AccessDenied", "The call was denied (AccessDenied): nothing changed. This was an attempt"),
        ("Client.UnauthorizedOperation", "The call was denied (Client.UnauthorizedOperation): nothing changed."),
        ("NoSuchEntity", "The call failed (NoSuchEntity): nothing changed."),
    ],
)
def test_failed_call(code, reason):
    found = f.failed_call(subject(KEY_EVENT, errorCode=code), CTX)
    assert found.name == "failed-call" and found.delta == -1
    assert found.reason.startswith(reason)


def test_failed_sign_in():
    found = f.failed_call(subject("ConsoleLogin__awsdocs__3.json"), CTX)
    assert found == f.Factor("failed-call", -1, "The sign-in failed: nobody got in. This was an attempt")
    assert f.failed_call(subject(KEY_EVENT), CTX) is None


def test_automation_cloudformation():
    s = subject(KEY_EVENT, sourceIPAddress="cloudformation.amazonaws.com")
    assert f.automation(s, CTX) == f.Factor(
        "automation", -1, "Made by CloudFormation from a stack: a reviewed, repeatable change"
    )
    invoked = load_record(KEY_EVENT)
    invoked["userIdentity"]["invokedBy"] = "cloudformation.amazonaws.com"
    assert f.automation(subject(invoked), CTX).delta == -1


def test_automation_principals_are_globs():
    ctx = RiskContext(automation_arns=("arn:aws:iam::111122223333:user/ops-*",))
    found = f.automation(subject(KEY_EVENT), ctx)
    assert found.reason == "ops-alice is a configured automation principal (automation_arns)"
    sso = subject("UpdateAccessKey__authored__1.json")
    by_role = RiskContext(automation_arns=("arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*",))
    assert f.automation(sso, by_role).delta == -1  # the session's role matches
    assert f.automation(subject(KEY_EVENT), RiskContext(automation_arns=("arn:aws:iam::*:user/ci",))) is None


@pytest.mark.parametrize(
    ("agent", "tool"),
    [
        ("APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io)", "Terraform"),
        ("opentofu/1.6", "OpenTofu"),
        ("aws-sdk-js/2 aws-cdk/2.100", "the AWS CDK"),
        ("pulumi/3.0", "Pulumi"),
    ],
)
def test_automation_by_user_agent(agent, tool):
    found = f.automation(subject(KEY_EVENT, userAgent=agent), CTX)
    assert found.delta == -1 and f"Made with {tool}, by its user agent (which the caller sets)" in found.reason
    assert f.automation(subject(KEY_EVENT, userAgent="aws-cli/2.15"), CTX) is None


# ------------------------------------------------------------------------------- principals


def test_self_or_other_on_own_user():
    found = f.self_or_other(subject(KEY_EVENT), CTX)
    assert found == f.Factor("own-principal", 0, "ops-alice acted on their own user")


def test_self_or_other_on_another_user():
    found = f.self_or_other(subject("UpdateAccessKey__authored__3.json"), CTX)
    assert found == f.Factor("other-principal", 1, "mallory-dev acted on IAM user break-glass, not on their own user")


def test_role_session_named_like_the_user_is_another_principal():
    """Changed on purpose: the session name is the caller's choice and proves nothing."""
    found = f.self_or_other(subject("UpdateLoginProfile__panther__1.json"), CTX)
    assert found.name == "other-principal" and found.delta == 1
    assert found.reason.endswith("(the session is named alice, but whoever assumes a role chooses its session name)")
    sso = f.self_or_other(subject("UpdateAccessKey__authored__1.json"), CTX)
    assert sso.reason.endswith("(a role session, not IAM user legacy-etl itself)")


def test_self_or_other_unknown_target():
    assert f.self_or_other(subject(KEY_EVENT, targets={}), CTX) is None


def test_root_credential():
    assert f.root_credential(subject("CreateAccessKey__panther__6.json"), CTX).delta == 1
    assert f.root_credential(subject(KEY_EVENT), CTX) is None


def test_password_without_reset():
    found = f.password_without_reset(subject("UpdateLoginProfile__panther__2.json"), CTX)
    assert found.delta == 1
    assert found.reason == (
        "IAM/alice set the console password of bob without requiring a reset at next sign-in, "
        "so whoever chose it can sign in as bob"
    )
    assert f.password_without_reset(subject("UpdateLoginProfile__panther__3.json"), CTX) is None  # reset required
    assert f.password_without_reset(subject("UpdateLoginProfile__authored__3.json"), CTX) is None  # own password
    record = load_record("UpdateLoginProfile__panther__2.json")
    record["requestParameters"]["passwordResetRequired"] = "true"
    assert f.password_without_reset(subject(record), CTX) is None
    record["requestParameters"] = None  # not recorded: nothing can be said
    assert f.password_without_reset(subject(record, targets={"user": "bob"}), CTX) is None


def test_key_status():
    active = subject("UpdateAccessKey__authored__1.json")
    inactive = subject(KEY_EVENT)
    assert f.key_reactivated(active, CTX).delta == 1 and f.key_deactivated(active, CTX) is None
    assert f.key_deactivated(inactive, CTX).delta == -1 and f.key_reactivated(inactive, CTX) is None
    record = load_record(KEY_EVENT)
    record["requestParameters"]["status"] = "ACTIVE"
    assert f.key_reactivated(subject(record), CTX).name == "key-reactivated"
    record["requestParameters"]["status"] = 1
    assert f.key_reactivated(subject(record), CTX) is None


def test_factors_are_pure():
    s = subject("UpdateLoginProfile__panther__2.json")
    assert [FACTORS[n](s, CTX) for n in FACTORS] == [FACTORS[n](s, CTX) for n in FACTORS]
    assert s.event.raw == load_record("UpdateLoginProfile__panther__2.json")


# ----------------------------------------------------------------------------- self-escalation

ALICE = load_record(KEY_EVENT)["userIdentity"]  # IAM user ops-alice
ALICE_ARN = ALICE["arn"]


def denied_attach(user_name: str | None, message: str | None = None) -> dict:
    """AttachUserPolicy (AdministratorAccess) by ops-alice, refused; with null requestParameters
    when ``user_name`` is None, as most denials are recorded."""
    record = load_record("AttachUserPolicy__panther__1.json")
    record["userIdentity"] = ALICE
    record["errorCode"] = "AccessDenied"
    record["errorMessage"] = message or (
        f"User: {ALICE_ARN} is not authorized to perform: iam:AttachUserPolicy on resource: "
        f"user {user_name or 'ops-alice'} because no identity-based policy allows the iam:AttachUserPolicy action"
    )
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    record["requestParameters"] = None if user_name is None else {"userName": user_name, "policyArn": admin}
    return record


def test_a_denied_grant_to_ones_own_user_is_a_self_escalation_attempt():
    found = f.self_escalation(subject(denied_attach("ops-alice")), CTX)
    assert found == f.Factor(
        "self-escalation",
        0,
        "ops-alice was denied AttachUserPolicy aimed at their own IAM user ops-alice: a self-escalation attempt",
    )


def test_self_escalation_reads_the_denial_when_the_request_was_not_recorded():
    assert f.self_escalation(subject(denied_attach(None)), CTX).name == "self-escalation"


def test_no_self_escalation_on_someone_else_a_success_or_a_role_session():
    assert f.self_escalation(subject(denied_attach("bob")), CTX) is None
    allowed = denied_attach("ops-alice")
    del allowed["errorCode"], allowed["errorMessage"]
    assert f.self_escalation(subject(allowed), CTX) is None
    throttled = {**denied_attach("ops-alice"), "errorCode": "Throttling"}
    assert f.self_escalation(subject(throttled), CTX) is None
    # a role session has no IAM user of its own, whatever it is named
    assert f.self_escalation(subject("AttachUserPolicy__panther__1.json", errorCode="AccessDenied"), CTX) is None


def test_the_same_words_as_the_sequence_and_both_on_one_alert():
    """AttachUserPolicy lists the factor, CreateAccessKey too (beside self-or-other, which says
    the caller tried, not acted): a denied call on one's own user reads the same on both, and the
    sequence of such denials is titled a self-escalation attempt."""
    from bot.assess import Assessor
    from bot.assess.sequences import title
    from bot.events import normalize

    attach = Assessor()(normalize(denied_attach("ops-alice")))
    assert "self-escalation" in [x.name for x in attach.risk.factors]
    key = load_record("CreateAccessKey__panther__1.json")
    own = {**key, "userIdentity": ALICE, "requestParameters": {"userName": "ops-alice"}, "errorCode": "AccessDenied",
           "errorMessage": "not authorized", "responseElements": None}
    alert = Assessor()(normalize(own))
    reasons = {x.name: x.reason for x in alert.risk.factors}
    assert reasons["own-principal"] == "ops-alice tried to act on their own user"
    assert reasons["self-escalation"].endswith("a self-escalation attempt")
    assert title("escalation", self_escalation=True) == "Self-escalation attempt"
