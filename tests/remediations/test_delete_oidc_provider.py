from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from botocore.handlers import json_decode_policies
from botocore.stub import Stubber
from pydantic import ValidationError

from remediations import registry
from remediations._impact import roles_trusting
from remediations.delete_oidc_provider import DeleteOidcProvider

ACCOUNT = "123456789012"


def _provider(iam, url="https://token.actions.example.com"):
    return iam.create_open_id_connect_provider(Url=url, ThumbprintList=["b" * 40], ClientIDList=["sts.amazonaws.com"])[
        "OpenIDConnectProviderArn"
    ]


def _trust(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _federated(arn):
    return {"Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity"}


EC2 = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}


def test_registered():
    assert registry.get("delete-oidc-provider") is DeleteOidcProvider
    assert DeleteOidcProvider.destructive is True


def test_deletes_the_provider_and_names_the_roles_that_trust_it(iam, run):
    arn = _provider(iam)
    other = _provider(iam, "https://accounts.example.org")
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=_trust(_federated(arn)))
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=_trust(EC2))
    iam.create_role(RoleName="elsewhere", AssumeRolePolicyDocument=_trust(_federated(other)))
    ran = run(DeleteOidcProvider, iam, {"provider_arn": arn})
    assert ran.plan.lines == [
        f"Would delete OIDC provider {arn}",
        "1 role(s) trust it and could no longer be assumed through it",
    ]
    assert ran.plan.impact == ["Roles that trust it (1): deploy"]  # the names, in the blast radius
    assert ran.plan.expected == {"exists": True, "trusting_roles": ["deploy"]}
    assert ran.outcome.lines == [f"Deleted OIDC provider {arn}"]
    providers = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"] for p in providers] == [other]
    # (moto deletes a missing provider without complaint; IAM's NoSuchEntity is checked with Stubber below)
    assert ran.after.lines == [f"OIDC provider {arn} is already deleted"]
    assert ran.after.expected == {"exists": False}


def test_a_provider_already_gone_is_no_change_with_stubber(aws_session):
    iam = aws_session.client("iam")
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.example.com"
    with Stubber(iam) as stub:
        stub.add_client_error(
            "delete_open_id_connect_provider", "NoSuchEntity", 404, expected_params={"OpenIDConnectProviderArn": arn}
        )
        outcome = DeleteOidcProvider(iam).apply(DeleteOidcProvider.parse({"provider_arn": arn}))
        stub.assert_no_pending_responses()
    assert not outcome.changed and outcome.lines == [f"OIDC provider {arn} was already deleted"]


def test_no_trusting_role_is_said(iam):
    arn = _provider(iam)
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=_trust(EC2))
    plan = DeleteOidcProvider(iam).plan(DeleteOidcProvider.parse({"provider_arn": arn}))
    assert plan.lines == [f"Would delete OIDC provider {arn}"] and plan.expected["trusting_roles"] == []
    assert plan.impact == ["Roles that trust it: none"]


def test_trust_policies_in_every_shape_are_read(iam):
    arn = _provider(iam)
    iam.create_role(
        RoleName="b-list", AssumeRolePolicyDocument=_trust(EC2, _federated([arn, "arn:aws:iam::1:saml-provider/x"]))
    )
    iam.create_role(
        RoleName="a-single",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": _federated(arn)}),
    )
    iam.create_role(
        RoleName="c-star",
        AssumeRolePolicyDocument=_trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}),
    )
    assert roles_trusting(iam, arn) == ["a-single", "b-list"]


def test_url_encoded_trust_policies_are_decoded_with_stubber(aws_session):
    # a client without botocore's json_decode_policies hands the document over as IAM sends it
    # (URL-encoded JSON)
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.example.com"
    iam = aws_session.client("iam")
    iam.meta.events.unregister("after-call.iam", json_decode_policies)
    role = {
        "Path": "/",
        "RoleName": "deploy",
        "RoleId": "AROAEXAMPLEEXAMPLE01",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/deploy",
        "CreateDate": "2026-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": quote(_trust(_federated(arn))),
    }
    with Stubber(iam) as stub:
        stub.add_response("list_roles", {"Roles": [role], "IsTruncated": False}, {})
        stub.add_response("list_roles", {"Roles": [role], "IsTruncated": False}, {})
        assert isinstance(iam.list_roles()["Roles"][0]["AssumeRolePolicyDocument"], str)  # still encoded
        assert roles_trusting(iam, arn) == ["deploy"]
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "params",
    [
        {"provider_arn": "token.actions.example.com"},
        {"provider_arn": f"arn:aws:iam::{ACCOUNT}:role/deploy"},
        {"provider_arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/x", "force": True},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DeleteOidcProvider.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        iam = session.client("iam")
        arn = _provider(iam)
        iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=_trust(_federated(arn)))
        return {"provider_arn": arn}

    exactly_enough(DeleteOidcProvider, setup)
