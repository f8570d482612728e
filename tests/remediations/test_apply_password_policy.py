from __future__ import annotations

import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from bot.config.settings import given
from remediations import registry
from remediations.apply_password_policy import ApplyPasswordPolicy

STRONG = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "MaxPasswordAge": 90,
    "PasswordReusePrevention": 24,
    "HardExpiry": False,
}


def _policy(iam):
    return iam.get_account_password_policy()["PasswordPolicy"]


def test_registered():
    assert registry.get("apply-password-policy") is ApplyPasswordPolicy
    assert ApplyPasswordPolicy.destructive is False


def test_creates_the_strong_policy(iam, run):
    ran = run(ApplyPasswordPolicy, iam, {})
    assert ran.plan.lines == [
        "Would create the account password policy:",
        "• minimum password length: unset → 14",
        "• require symbols: unset → True",
        "• require numbers: unset → True",
        "• require uppercase characters: unset → True",
        "• require lowercase characters: unset → True",
        "• allow users to change password: unset → True",
        "• max password age: unset → 90",
        "• password reuse prevention: unset → 24",
        "• hard expiry: unset → False",
    ]
    assert ran.plan.expected == {"policy": None}
    assert ran.outcome.lines == ["Applied the account password policy"]
    policy = _policy(iam)
    assert {k: policy.get(k) for k in STRONG} == STRONG
    assert ran.after.lines == ["The account password policy already matches"]


def test_changes_only_what_differs(iam, run):
    ApplyPasswordPolicy(iam).apply(ApplyPasswordPolicy.parse({}))
    ran = run(ApplyPasswordPolicy, iam, {"minimum_password_length": 20})
    assert ran.plan.lines == ["Would change the account password policy:", "• minimum password length: 14 → 20"]
    assert _policy(iam)["MinimumPasswordLength"] == 20 and _policy(iam)["PasswordReusePrevention"] == 24


def test_a_weaker_existing_policy_is_shown_before_and_after(iam):
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireSymbols=False, MaxPasswordAge=365)
    plan = ApplyPasswordPolicy(iam).plan(ApplyPasswordPolicy.parse({}))
    assert plan.lines[0] == "Would change the account password policy:"
    assert "• minimum password length: 8 → 14" in plan.lines
    assert "• require symbols: False → True" in plan.lines
    assert "• max password age: 365 → 90" in plan.lines
    assert plan.expected["policy"]["minimum_password_length"] == 8


def test_policy_without_expiry_reads_as_unset_with_stubber(aws_session):
    # IAM leaves MaxPasswordAge and PasswordReusePrevention out when they are not set
    iam = aws_session.client("iam")
    partial = {k: v for k, v in STRONG.items() if k not in ("MaxPasswordAge", "PasswordReusePrevention")}
    with Stubber(iam) as stub:
        stub.add_response("get_account_password_policy", {"PasswordPolicy": {**partial, "ExpirePasswords": False}}, {})
        plan = ApplyPasswordPolicy(iam).plan(ApplyPasswordPolicy.parse({}))
        stub.assert_no_pending_responses()
    assert plan.lines == [
        "Would change the account password policy:",
        "• max password age: unset → 90",
        "• password reuse prevention: unset → 24",
    ]


def test_defaults_come_from_the_settings():
    settings = given(password_policy={"minimum_password_length": 20, "max_password_age": 180})
    assert ApplyPasswordPolicy.defaults(settings) == {"minimum_password_length": 20, "max_password_age": 180}
    assert ApplyPasswordPolicy.defaults(given()) == {}
    # a request's own values win over the configured ones (the runner merges them in this order)
    p = ApplyPasswordPolicy.parse({**ApplyPasswordPolicy.defaults(settings), "minimum_password_length": 16})
    assert (p.minimum_password_length, p.max_password_age, p.password_reuse_prevention) == (16, 180, 24)


def test_defaults_is_a_copy():
    settings = given(password_policy={"minimum_password_length": 20})
    ApplyPasswordPolicy.defaults(settings)["minimum_password_length"] = 8
    assert settings.password_policy == {"minimum_password_length": 20}


@pytest.mark.parametrize(
    "params",
    [
        {"minimum_password_length": 7},
        {"minimum_password_length": 129},
        {"max_password_age": 0},
        {"password_reuse_prevention": 25},
        {"require_symbols": "sometimes"},
        {"minimum_length": 14},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        ApplyPasswordPolicy.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    exactly_enough(ApplyPasswordPolicy, lambda session, _store: {})
