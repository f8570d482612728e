"""The blast radius a plan carries (remediations/_impact.py): the formatters, total over any input;
the lines representative remediations' plans show against moto; and reads that fail, which say so
instead of stopping the plan."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import boto3
import pytest
import time_machine
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from remediations._impact import (
    LINE,
    MAX_LINES,
    ago,
    attached_line,
    attached_to_line,
    bounded,
    console_line,
    counted,
    key_impact,
    key_last_used_line,
    keys_line,
    mfa_line,
    principals,
    role_impact,
    role_last_used_line,
    trust_lines,
)
from remediations.deactivate_access_key import DeactivateAccessKey
from remediations.delete_oidc_provider import DeleteOidcProvider
from remediations.detach_user_policy import DetachUserPolicy
from remediations.quarantine_user import QuarantineUser
from remediations.restore_oidc_thumbprints import RestoreOidcThumbprints
from remediations.revoke_role_sessions import RevokeRoleSessions
from tests.support.aws import enforced, principal_with

ACCOUNT, OTHER = "123456789012", "210987654321"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def _trust(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(principal, action="sts:AssumeRole"):
    return {"Effect": "Allow", "Principal": principal, "Action": action}


# ---------------------------------------------------------------- formatters


def test_lists_are_counted_and_cut_after_three_names():
    assert counted("Groups", []) == "Groups: none"
    assert counted("Groups", ["admins"]) == "Groups (1): admins"
    assert counted("Groups", ["a", "b", "c", "d", "e"]) == "Groups (5): a, b, c +2 more"


def test_at_most_five_lines_of_at_most_120_characters():
    lines = bounded(["x" * 500] + ["y"] * 9)
    assert len(lines) == MAX_LINES and len(lines[0]) == LINE and lines[0].endswith("…")


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (NOW - timedelta(seconds=20), "2026-11-22 11:59 UTC (just now)"),
        (NOW - timedelta(minutes=1), "2026-11-22 11:59 UTC (1 minute ago)"),
        (NOW - timedelta(hours=5, minutes=2), "2026-11-22 06:58 UTC (5 hours ago)"),
        (NOW - timedelta(days=2, hours=1), "2026-11-20 11:00 UTC (2 days ago)"),
        (NOW + timedelta(hours=1), "2026-11-22 13:00 UTC"),  # a clock ahead of ours: no "ago"
        (datetime(2026, 11, 22, 11, 0), "2026-11-22 11:00 UTC (1 hour ago)"),  # naive: UTC
        (datetime.min.replace(tzinfo=timezone(timedelta(hours=14))), "0001-01-01T00:00:00+14:00"),  # no UTC for it
    ],
)
def test_times_are_utc_with_how_long_ago(when, shown):
    assert ago(when, NOW) == shown


def test_when_and_where_a_key_was_last_used():
    used = {"LastUsedDate": NOW - timedelta(days=3), "ServiceName": "s3", "Region": "eu-west-1"}
    assert key_last_used_line(used, NOW) == "Key last used: 2026-11-19 12:00 UTC (3 days ago), s3 in eu-west-1"
    # what IAM says of a key never used, and of one used before IAM tracked the service
    assert key_last_used_line({"ServiceName": "N/A", "Region": "N/A"}, NOW) == "Key last used: never"
    old = {"LastUsedDate": NOW - timedelta(days=900), "ServiceName": "N/A", "Region": "N/A"}
    assert key_last_used_line(old, NOW) == "Key last used: 2024-06-05 12:00 UTC (900 days ago)"


def test_admin_like_policies_are_named_first():
    arns = [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        f"arn:aws:iam::{ACCOUNT}:policy/team/PowerUserAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess",
    ]
    assert attached_line(arns) == (
        "Attached policies (3): AdministratorAccess (admin-like), PowerUserAccess (admin-like), ReadOnlyAccess"
    )
    assert attached_line([]) == "Attached policies: none"


def test_a_users_console_mfa_and_keys():
    assert console_line(None) == "Console access: no"
    assert console_line({"UserName": "u"}) == "Console access: yes"
    assert console_line({"PasswordResetRequired": True}) == (
        "Console access: yes (a new password must be chosen at next sign-in)"
    )
    assert mfa_line([]) == "MFA devices: none" and mfa_line([{}, {}]) == "MFA devices: 2"
    assert keys_line([]) == "Access keys: none"
    assert keys_line([{"Status": "Active"}, {"Status": "Inactive"}, {"Status": "Active"}]) == (
        "Access keys: 2 active, 1 inactive"
    )


def test_what_a_policy_is_attached_to():
    assert attached_to_line({"user": ["alice"], "group": [], "role": ["deploy", "ci"]}) == (
        "Attached to 1 user (alice), 2 roles (deploy, ci)"
    )
    assert attached_to_line({"user": [], "group": [], "role": []}) == "Attached to no user, group or role"


def test_who_may_assume_a_role():
    doc = _trust(
        _allow({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"], "AWS": f"arn:aws:iam::{OTHER}:root"})
    )
    assert trust_lines(doc, ACCOUNT) == [
        "Services that may assume it: ec2.amazonaws.com, lambda.amazonaws.com",
        f"AWS principals that may assume it: {OTHER} (cross-account)",
    ]
    own = _trust(_allow({"AWS": [f"arn:aws:iam::{ACCOUNT}:role/admin", ACCOUNT]}))
    assert trust_lines(own, ACCOUNT) == ["AWS principals that may assume it: this account's role/admin, this account"]
    unknown = [f"AWS principals that may assume it: {ACCOUNT} role/admin, {ACCOUNT}"]
    assert trust_lines(own) == unknown  # the role's own account unknown: nothing is marked
    federated = _trust(
        _allow({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}),
        _allow({"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/okta"}, "sts:AssumeRoleWithSAML"),
        _allow({"Federated": "cognito-identity.amazonaws.com"}),
    )
    assert trust_lines(federated, ACCOUNT) == [
        "Identity providers it trusts: OIDC token.actions.githubusercontent.com, SAML okta, "
        "cognito-identity.amazonaws.com"
    ]


def test_anyone_comes_first_and_deny_names_nobody():
    doc = _trust(_allow({"Service": "ec2.amazonaws.com"}), _allow("*"))
    assert trust_lines(doc) == ["ANYONE may assume it (Principal *)", "Services that may assume it: ec2.amazonaws.com"]
    assert trust_lines(_trust(_allow({"AWS": "*"}))) == ["ANYONE may assume it (Principal *)"]
    assert principals(_trust({"Effect": "Allow", "NotPrincipal": {"AWS": OTHER}})) == [("*", "*")]
    deny = _trust({"Effect": "Deny", "Principal": {"AWS": OTHER}, "Action": "sts:AssumeRole"})
    assert trust_lines(deny) == ["Nobody may assume it (no Allow statement names a principal)"]


def test_a_trust_policy_as_iam_sends_it_is_decoded():
    doc = _trust(_allow({"Service": "ec2.amazonaws.com"}))
    assert trust_lines(quote(json.dumps(doc))) == trust_lines(json.dumps(doc)) == trust_lines(doc)
    assert trust_lines("%7Bnot json") == ["Nobody may assume it (no Allow statement names a principal)"]


def test_a_role_with_every_kind_of_principal_keeps_its_last_use():
    doc = _trust(
        _allow("*"),
        _allow({"Service": "ec2.amazonaws.com", "AWS": OTHER, "Federated": "accounts.google.com"}),
        _allow({"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}),
    )
    role = {"AssumeRolePolicyDocument": doc, "Arn": f"arn:aws:iam::{ACCOUNT}:role/x", "RoleLastUsed": {}}
    lines = role_impact(role, NOW)
    assert len(lines) == MAX_LINES and lines[-1] == "Role last used: not in the 400 days IAM tracks"


def test_when_a_role_was_last_used():
    used = {"LastUsedDate": NOW - timedelta(days=1), "Region": "us-west-2"}
    assert role_last_used_line(used, NOW) == "Role last used: 2026-11-21 12:00 UTC (1 day ago) in us-west-2"
    assert role_last_used_line({}, NOW) == "Role last used: not in the 400 days IAM tracks"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.sampled_from(["*", "Allow", ACCOUNT]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["Statement", "Effect", "Principal", "NotPrincipal", "AWS", "Service", "Federated", "x"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)
WHEN = st.datetimes() | st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14))]))
ANYTHING = JSON | WHEN | st.text().map(quote) | st.binary(max_size=20)
ARN = st.sampled_from(
    [ACCOUNT, f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{ACCOUNT}:role/x", "arn:aws:iam::1:oidc-provider/", "arn:"]
)
PRINCIPAL = (
    st.just("*")
    | JSON
    | st.dictionaries(
        st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "x"]),
        ARN | st.text(max_size=40) | st.lists(ARN | st.text(max_size=40) | JSON, max_size=3) | JSON,
        max_size=4,
    )
)
STATEMENT = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"]) | JSON, "Principal": PRINCIPAL}, optional={"NotPrincipal": JSON}
)
TRUST = st.fixed_dictionaries({"Statement": st.lists(STATEMENT | JSON, max_size=4) | STATEMENT | JSON})
TRUST_AS_SENT = TRUST | TRUST.map(json.dumps) | TRUST.map(lambda doc: quote(json.dumps(doc))) | ANYTHING


@given(doc=TRUST_AS_SENT, own=st.none() | st.text(max_size=12) | ARN)
def test_a_trust_policy_of_any_shape_is_summarized(doc, own):
    lines = trust_lines(doc, own)
    assert lines and all(isinstance(line, str) and line for line in lines)


ROLE_KEYS = st.sampled_from(["AssumeRolePolicyDocument", "Arn", "RoleLastUsed"])


@given(role=st.dictionaries(ROLE_KEYS, TRUST_AS_SENT | ARN | st.fixed_dictionaries({"LastUsedDate": WHEN})))
def test_any_role_gives_at_most_five_short_lines(role):
    lines = role_impact(role, NOW)
    assert len(lines) <= MAX_LINES and all(isinstance(line, str) and len(line) <= LINE for line in lines)


@given(value=ANYTHING)
def test_every_formatter_of_what_iam_answered_is_total(value):
    listed = value if isinstance(value, list) else [value]
    for line in (
        key_last_used_line(value, NOW),
        role_last_used_line(value, NOW),
        console_line(value),
        keys_line(listed),
        mfa_line(listed),
        attached_line(listed),
        counted("Groups", listed),
    ):
        assert isinstance(line, str) and line


# ---------------------------------------------------------------- plans against moto


def _user(iam, name, *policies):
    iam.create_user(UserName=name)
    for policy in policies:
        arn = iam.create_policy(PolicyName=policy, PolicyDocument=ALLOW_ALL)["Policy"]["Arn"]
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    return iam.create_access_key(UserName=name)["AccessKey"]


def _key_plan(iam, user, key_id):
    return DeactivateAccessKey(iam).plan(DeactivateAccessKey.parse({"user_name": user, "access_key_id": key_id}))


def test_a_used_key_says_when_and_where_and_what_its_user_can_do(iam):
    key = _user(iam, "legacy-etl", "PowerUserAccess", "reports")
    iam.put_user_policy(UserName="legacy-etl", PolicyName="inline-s3", PolicyDocument=ALLOW_ALL)
    iam.create_group(GroupName="data")
    iam.add_user_to_group(UserName="legacy-etl", GroupName="data")
    with time_machine.travel(NOW - timedelta(days=2), tick=False):  # someone uses the key in eu-west-1
        used = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        used.client("sts", region_name="eu-west-1").get_caller_identity()
    with time_machine.travel(NOW, tick=False):
        plan = _key_plan(iam, "legacy-etl", key["AccessKeyId"])
    assert plan.impact == [
        "Key last used: 2026-11-20 12:00 UTC (2 days ago), sts in eu-west-1",
        "Attached policies (2): PowerUserAccess (admin-like), reports",
        "Inline policies (1): inline-s3",
        "Groups (1): data",
    ]
    assert "impact" not in plan.expected and plan.expected == {"status": "Active"}  # a new use is not drift


def test_a_key_never_used_of_a_user_with_nothing_attached(iam):
    key = _user(iam, "fresh")
    assert _key_plan(iam, "fresh", key["AccessKeyId"]).impact == [
        "Key last used: never",
        "Attached policies: none",
        "Inline policies: none",
        "Groups: none",
    ]


def test_a_user_with_console_access_mfa_and_keys(iam):
    _user(iam, "erin")
    second = iam.create_access_key(UserName="erin")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="erin", AccessKeyId=second, Status="Inactive")
    iam.create_login_profile(UserName="erin", Password="Example-Passw0rd!")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="erin")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="erin", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    plan = QuarantineUser(iam).plan(QuarantineUser.parse({"user_name": "erin"}))
    assert plan.impact == ["Console access: yes", "MFA devices: 1", "Access keys: 1 active, 1 inactive"]
    _user(iam, "robot")
    assert QuarantineUser(iam).plan(QuarantineUser.parse({"user_name": "robot"})).impact == [
        "Console access: no",  # GetLoginProfile's NoSuchEntity is an answer, not a failure
        "MFA devices: none",
        "Access keys: 1 active, 0 inactive",
    ]


def test_a_role_with_a_service_and_a_cross_account_principal(iam):
    trust = _trust(_allow({"Service": "ec2.amazonaws.com", "AWS": f"arn:aws:iam::{OTHER}:root"}))
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust))
    plan = RevokeRoleSessions(iam).plan(RevokeRoleSessions.parse({"role_name": "app"}))
    assert plan.impact == [
        "Services that may assume it: ec2.amazonaws.com",
        f"AWS principals that may assume it: {OTHER} (cross-account)",
        "Role last used: not in the 400 days IAM tracks",
    ]


def test_a_policy_attached_to_a_user_and_a_role(iam):
    arn = iam.create_policy(PolicyName="shared", PolicyDocument=ALLOW_ALL)["Policy"]["Arn"]
    iam.create_user(UserName="alice")
    iam.create_role(
        RoleName="deploy", AssumeRolePolicyDocument=json.dumps(_trust(_allow({"Service": "ec2.amazonaws.com"})))
    )
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    iam.attach_role_policy(RoleName="deploy", PolicyArn=arn)
    plan = DetachUserPolicy(iam).plan(DetachUserPolicy.parse({"user_name": "alice", "policy_arn": arn}))
    assert plan.impact == ["Attached to 1 user (alice), 1 role (deploy)"]


def test_an_oidc_provider_trusted_by_roles(iam):
    arn = iam.create_open_id_connect_provider(
        Url="https://token.actions.example.com", ThumbprintList=["b" * 40], ClientIDList=["sts.amazonaws.com"]
    )["OpenIDConnectProviderArn"]
    for name in ("deploy", "ci"):
        web = _allow({"Federated": arn}, "sts:AssumeRoleWithWebIdentity")
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(_trust(web)))
    iam.create_role(
        RoleName="other", AssumeRolePolicyDocument=json.dumps(_trust(_allow({"Service": "ec2.amazonaws.com"})))
    )
    restore = RestoreOidcThumbprints(iam).plan(
        RestoreOidcThumbprints.parse({"provider_arn": arn, "thumbprints": ["a" * 40]})
    )
    delete = DeleteOidcProvider(iam).plan(DeleteOidcProvider.parse({"provider_arn": arn}))
    assert restore.impact == delete.impact == ["Roles that trust it (2): ci, deploy"]


# ---------------------------------------------------------------- reads that fail


def test_a_refused_read_still_yields_a_plan_that_says_so(aws_session, aws):
    key = _user(aws_session.client("iam"), "legacy-etl")["AccessKeyId"]
    allowed = set(DeactivateAccessKey.permissions) - {"iam:GetAccessKeyLastUsed"}
    client = principal_with(aws_session, allowed, "iam")
    with enforced():
        plan = _key_plan(client, "legacy-etl", key)
    assert plan.lines == [f"Would set access key {key} of user legacy-etl to Inactive"] and not plan.noop
    assert plan.impact == [
        "Could not read when the key was last used (AccessDenied)",
        "Attached policies: none",
        "Inline policies: none",
        "Groups: none",
    ]


def test_throttling_and_a_vanished_user_are_lines_too_with_stubber(aws_session):
    iam = aws_session.client("iam", config=Config(retries={"total_max_attempts": 1}))  # no retry, no sleep
    with Stubber(iam) as stub:
        stub.add_client_error("get_access_key_last_used", "Throttling", 400)
        for operation in ("list_attached_user_policies", "list_user_policies", "list_groups_for_user"):
            stub.add_client_error(operation, "NoSuchEntity", 404)
        lines = key_impact(iam, "gone", "AKIAEXAMPLE000000001")
        stub.assert_no_pending_responses()
    assert lines == [
        "Could not read when the key was last used (Throttling)",
        "Could not read the user's attached policies (NoSuchEntity)",
        "Could not read the user's inline policies (NoSuchEntity)",
        "Could not read the user's groups (NoSuchEntity)",
    ]


class Unreachable:
    """An IAM client whose endpoint does not answer."""

    def get_access_key_last_used(self, **_):
        raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/")

    def get_paginator(self, _operation):
        raise EndpointConnectionError(endpoint_url="https://iam.amazonaws.com/")


def test_an_endpoint_that_does_not_answer_is_a_line():
    assert key_impact(Unreachable(), "u", "AKIAEXAMPLE000000001")[0] == (
        "Could not read when the key was last used (EndpointConnectionError)"
    )
