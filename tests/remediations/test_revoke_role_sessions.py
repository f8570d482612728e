from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pydantic import ValidationError

from remediations import registry
from remediations.base import RemediationError
from remediations.revoke_role_sessions import POLICY_NAME, RevokeRoleSessions, cutoff

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
REQUESTED = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)
EXECUTED = datetime(2026, 11, 20, 9, 43, 48, 85000, tzinfo=UTC)  # approved 43 minutes later


def _revocation(iam, role="deploy"):
    return iam.get_role_policy(RoleName=role, PolicyName=POLICY_NAME)["PolicyDocument"]


def _console_policy(when: str):
    """The policy as the IAM user guide shows it (Statement an object, Action and Resource strings)."""
    return {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": when}},
        },
    }


@pytest.fixture
def role(iam):
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=TRUST)
    return "deploy"


def test_registered():
    assert registry.get("revoke-role-sessions") is RevokeRoleSessions
    assert RevokeRoleSessions.destructive is False


def test_denies_sessions_issued_before_the_execution_not_the_request(iam, run, role):
    with time_machine.travel(REQUESTED, tick=False):
        params = RevokeRoleSessions.parse({"role_name": role}).model_dump()  # as the runner keeps a request
    assert params == {"role_name": "deploy", "requested_at": "2026-11-20T09:00:00.000Z"}
    with time_machine.travel(EXECUTED, tick=False):
        ran = run(RevokeRoleSessions, iam, params)
    assert _revocation(iam) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-11-20T09:43:48.085Z"}},
            }
        ],
    }
    assert ran.plan.lines[0].startswith(
        "Would put inline policy AWSRevokeOlderSessions on role deploy, denying every action to every session "
        "of the role issued before the moment this runs"
    )
    assert "sessions already denied cannot be restored" in ran.plan.lines[-1]
    assert ran.plan.expected == {"revoked_before": None, "policy_sha256": None}
    assert ran.outcome.lines[0].startswith(
        "Put AWSRevokeOlderSessions on role deploy: every session issued before 2026-11-20T09:43:48.085Z is now denied"
    )
    assert not ran.again.changed  # applying again does not move the time
    assert ran.after.expected["revoked_before"] == "2026-11-20T09:43:48.085Z"
    assert ran.after.lines == [
        "Sessions of role deploy issued before the request (2026-11-20T09:00:00.000Z) are already denied: "
        "AWSRevokeOlderSessions denies every session issued before 2026-11-20T09:43:48.085Z"
    ]
    assert [p for p in iam.list_role_policies(RoleName=role)["PolicyNames"]] == [POLICY_NAME]


def test_an_older_revocation_is_refreshed(iam, run, role):
    iam.put_role_policy(
        RoleName=role, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(_console_policy("2014-05-07T23:47:00Z"))
    )
    with time_machine.travel(EXECUTED, tick=False):
        ran = run(RevokeRoleSessions, iam, {"role_name": role})
    assert ran.plan.lines[1] == (
        "It replaces the current AWSRevokeOlderSessions, which denies sessions issued before 2014-05-07T23:47:00.000Z"
    )
    assert ran.plan.expected["revoked_before"] == "2014-05-07T23:47:00.000Z"
    assert cutoff(_revocation(iam)) == EXECUTED


def test_a_revocation_after_the_request_is_a_noop(iam, role):
    iam.put_role_policy(
        RoleName=role, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(_console_policy("2026-11-20T09:30:00Z"))
    )
    rem = RevokeRoleSessions(iam)
    p = RevokeRoleSessions.parse({"role_name": role, "requested_at": "2026-11-20T09:00:00Z"})
    assert rem.plan(p).noop
    assert not rem.apply(p).changed
    assert cutoff(_revocation(iam)) == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    later = RevokeRoleSessions.parse({"role_name": role, "requested_at": "2026-11-20T10:00:00Z"})
    assert not rem.plan(later).noop


def test_a_policy_of_that_name_in_another_form_is_replaced(iam, run, role):
    other = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName=role, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(other))
    ran = run(RevokeRoleSessions, iam, {"role_name": role})
    assert (
        ran.plan.lines[1]
        == "It replaces the current inline policy AWSRevokeOlderSessions, which is not in the console's form"
    )
    assert ran.plan.expected["revoked_before"] is None and ran.plan.expected["policy_sha256"]


def test_missing_role_is_a_clear_refusal(iam):
    rem, p = RevokeRoleSessions(iam), RevokeRoleSessions.parse({"role_name": "ghost"})
    for step in (rem.plan, rem.apply):
        with pytest.raises(RemediationError, match=r"^Role ghost does not exist$"):
            step(p)


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/aws-service-role/elasticbeanstalk.amazonaws.com/", "service-linked role"),
        ("/aws-reserved/sso.amazonaws.com/eu-west-1/", "IAM Identity Center"),
    ],
)
def test_roles_iam_cannot_change_are_refused(iam, path, reason):
    iam.create_role(RoleName="special", AssumeRolePolicyDocument=TRUST, Path=path)
    rem, p = RevokeRoleSessions(iam), RevokeRoleSessions.parse({"role_name": "special"})
    for step in (rem.plan, rem.apply):
        with pytest.raises(RemediationError, match=reason):
            step(p)
    assert iam.list_role_policies(RoleName="special")["PolicyNames"] == []


def test_a_revocation_by_someone_else_is_drift(iam, role):
    rem, p = RevokeRoleSessions(iam), RevokeRoleSessions.parse({"role_name": role})
    approved = rem.plan(p).expected
    iam.put_role_policy(
        RoleName=role, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(_console_policy("2014-05-07T23:47:00Z"))
    )
    assert rem.plan(p).expected != approved


def test_cutoff_reads_only_a_revocation():
    assert cutoff(_console_policy("2024-10-10T09:43:48.085Z")) == datetime(2024, 10, 10, 9, 43, 48, 85000, tzinfo=UTC)
    assert cutoff(None) is None
    assert cutoff(_console_policy("not a time")) is None
    allow = _console_policy("2024-10-10T09:43:48Z")
    allow["Statement"]["Effect"] = "Allow"
    assert cutoff(allow) is None
    narrower = _console_policy("2024-10-10T09:43:48Z")
    narrower["Statement"]["Action"] = "s3:*"
    assert cutoff(narrower) is None


def test_requested_at_is_kept_in_utc_to_the_millisecond():
    p = RevokeRoleSessions.parse({"role_name": "deploy", "requested_at": "2026-11-20T10:00:00.123456+01:00"})
    assert p.requested_at == datetime(2026, 11, 20, 9, 0, 0, 123000, tzinfo=UTC)
    naive = RevokeRoleSessions.parse({"role_name": "deploy", "requested_at": "2026-11-20T09:00:00"})
    assert naive.requested_at == datetime(2026, 11, 20, 9, tzinfo=UTC)
    assert RevokeRoleSessions.parse(p.model_dump()) == p
    fresh = RevokeRoleSessions.parse({"role_name": "deploy"}).requested_at
    assert abs(datetime.now(UTC) - fresh) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "params",
    [
        {"role_name": "a/b"},
        {"role_name": "r" * 65},
        {"role_name": "deploy", "requested_at": "yesterday"},
        {"role_name": "deploy", "issued_before": "2026-11-20T09:00:00Z"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        RevokeRoleSessions.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        session.client("iam").create_role(RoleName="deploy", AssumeRolePolicyDocument=TRUST)
        return {"role_name": "deploy"}

    exactly_enough(RevokeRoleSessions, setup)
