"""moto 5.2.5 has no UpdateServerCertificate, so the rename is checked with botocore's Stubber, which
plays IAM's answers and checks the exact parameters of each call."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from pydantic import ValidationError

from bot.cli.demo import self_signed_certificate
from remediations import registry
from remediations.base import RemediationError, Undo
from remediations.revert_server_certificate_rename import RevertServerCertificateRename
from tests.support.aws import enforced, principal_with, renames_server_certificates
from tests.support.calls import Recorder

ACCOUNT = "123456789012"
PARAMS = {"current_name": "www-2026-old", "original_name": "www-2026"}


def _found(name, cid, path="/"):
    return {
        "ServerCertificate": {
            "ServerCertificateMetadata": {
                "Path": path,
                "ServerCertificateName": name,
                "ServerCertificateId": cid,
                "Arn": f"arn:aws:iam::{ACCOUNT}:server-certificate{path}{name}",
            },
            "CertificateBody": "x",
        }
    }


def _get(stub, name, cid=None, path="/"):
    if cid is None:
        stub.add_client_error(
            "get_server_certificate",
            "NoSuchEntity",
            http_status_code=404,
            expected_params={"ServerCertificateName": name},
        )
    else:
        stub.add_response("get_server_certificate", _found(name, cid, path), {"ServerCertificateName": name})


def test_registered():
    assert registry.get("revert-server-certificate-rename") is RevertServerCertificateRename
    assert RevertServerCertificateRename.destructive is False


def test_renames_the_certificate_back_with_stubber(aws_session):
    iam = aws_session.client("iam")
    p = RevertServerCertificateRename.parse(PARAMS)
    rem = RevertServerCertificateRename(iam)
    with Stubber(iam) as stub:
        _get(stub, "www-2026-old", "ASCAEXAMPLEEXAMPLE01")
        _get(stub, "www-2026")
        stub.add_response(
            "update_server_certificate",
            {},
            {"ServerCertificateName": "www-2026-old", "NewServerCertificateName": "www-2026"},
        )
        _get(stub, "www-2026-old")
        _get(stub, "www-2026", "ASCAEXAMPLEEXAMPLE01")
        plan = rem.plan(p)
        assert plan.lines == ["Would rename server certificate www-2026-old back to www-2026"]
        assert plan.expected == {"current": "ASCAEXAMPLEEXAMPLE01", "path": "/"}
        outcome = rem.apply(p)  # no NewPath: CloudTrail does not record the old path
        assert outcome.changed and outcome.lines == ["Renamed server certificate www-2026-old back to www-2026"]
        after = rem.plan(p)
        assert after.noop and after.lines == ["Server certificate www-2026 already has its original name"]
        assert after.expected == {"current": None, "original_path": "/"}
        stub.assert_no_pending_responses()


def test_the_original_path_is_restored_when_given_with_stubber(aws_session):
    iam = aws_session.client("iam")
    p = RevertServerCertificateRename.parse({**PARAMS, "original_path": "/cloudfront/"})
    rem = RevertServerCertificateRename(iam)
    with Stubber(iam) as stub:
        _get(stub, "www-2026-old", "ASCAEXAMPLEEXAMPLE01")
        _get(stub, "www-2026")
        stub.add_response(
            "update_server_certificate",
            {},
            {
                "ServerCertificateName": "www-2026-old",
                "NewServerCertificateName": "www-2026",
                "NewPath": "/cloudfront/",
            },
        )
        assert rem.plan(p).lines == [
            "Would rename server certificate www-2026-old back to www-2026 at path /cloudfront/"
        ]
        assert rem.apply(p).changed
        stub.assert_no_pending_responses()


def test_another_certificate_with_the_old_name_is_a_refusal_with_stubber(aws_session):
    iam = aws_session.client("iam")
    rem = RevertServerCertificateRename(iam)
    with Stubber(iam) as stub:
        # someone took the old name in the meantime: refuse
        _get(stub, "www-2026-old", "ASCAEXAMPLEEXAMPLE01")
        _get(stub, "www-2026", "ASCAEXAMPLEEXAMPLE02")
        with pytest.raises(RemediationError, match="Another server certificate is now named www-2026") as info:
            rem.plan(RevertServerCertificateRename.parse(PARAMS))
        assert "ASCAEXAMPLEEXAMPLE02" in str(info.value)
        stub.assert_no_pending_responses()


def test_no_certificate_by_either_name_is_a_refusal(iam):
    with pytest.raises(RemediationError, match=r"^No server certificate is named www-2026-old or www-2026$"):
        RevertServerCertificateRename(iam).plan(RevertServerCertificateRename.parse(PARAMS))


def test_a_certificate_gone_before_apply_is_no_change_with_stubber(aws_session):
    iam = aws_session.client("iam")
    with Stubber(iam) as stub:
        stub.add_client_error("update_server_certificate", "NoSuchEntity", http_status_code=404)
        outcome = RevertServerCertificateRename(iam).apply(RevertServerCertificateRename.parse(PARAMS))
        stub.assert_no_pending_responses()
    assert not outcome.changed
    assert outcome.lines == ["Server certificate www-2026-old no longer exists under that name"]


def test_plan_reads_moto(iam):
    pem, key = self_signed_certificate()
    iam.upload_server_certificate(ServerCertificateName="www-2026-old", CertificateBody=pem, PrivateKey=key)
    plan = RevertServerCertificateRename(iam).plan(RevertServerCertificateRename.parse(PARAMS))
    assert not plan.noop and plan.expected["path"] == "/"


@pytest.mark.parametrize(
    "params",
    [
        {"current_name": "www 2026", "original_name": "www-2026"},
        {"current_name": "www-2026-old"},
        {**PARAMS, "original_path": "no-slashes"},
        {**PARAMS, "original_path": "/a/b"},
        {**PARAMS, "certificate_id": "ASCAEXAMPLEEXAMPLE01"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        RevertServerCertificateRename.parse(params)


def test_declared_permissions_are_exactly_the_calls_it_makes_with_stubber(aws_session):
    # moto cannot run UpdateServerCertificate under permission checking; the calls of a whole plan
    # and apply, named as IAM actions, are the declared permissions, no more and no fewer.
    iam = aws_session.client("iam")
    recorder = Recorder().attach(iam.meta.events)
    with Stubber(iam) as stub:
        _get(stub, "www-2026-old", "ASCAEXAMPLEEXAMPLE01")
        _get(stub, "www-2026")
        stub.add_response("update_server_certificate", {}, None)
        rem, p = RevertServerCertificateRename(iam), RevertServerCertificateRename.parse(PARAMS)
        rem.plan(p)
        rem.apply(p)
    assert recorder.actions == set(RevertServerCertificateRename.permissions)


def test_the_plan_needs_get_server_certificate(aws_session):
    # what moto can check under permission checking: the dry run (the request's plan)
    p = RevertServerCertificateRename.parse(PARAMS)
    with mock_aws():
        pem, key = self_signed_certificate()
        aws_session.client("iam").upload_server_certificate(
            ServerCertificateName="www-2026-old", CertificateBody=pem, PrivateKey=key
        )
        client = principal_with(aws_session, set(RevertServerCertificateRename.permissions), "iam")
        with enforced():
            assert not RevertServerCertificateRename(client).plan(p).noop
    with mock_aws():
        aws_session.client("iam").upload_server_certificate(
            ServerCertificateName="www-2026-old", CertificateBody=pem, PrivateKey=key
        )
        client = principal_with(aws_session, {"iam:UpdateServerCertificate"}, "iam")
        with enforced(), pytest.raises(ClientError) as info:
            RevertServerCertificateRename(client).plan(p)
    assert info.value.response["Error"]["Code"] == "AccessDenied"


def _names(iam):
    listed = iam.list_server_certificates()["ServerCertificateMetadataList"]
    return {c["ServerCertificateName"]: c["Path"] for c in listed}


def test_undo_swaps_the_names_and_moves_it_back_only_when_it_moved():
    found = {"current": "ASCAEXAMPLEEXAMPLE01", "path": "/cloudfront/"}
    back = {"current_name": "www-2026", "original_name": "www-2026-old"}
    assert RevertServerCertificateRename.undo(PARAMS, found) == Undo("revert-server-certificate-rename", back)
    moved = {**PARAMS, "original_path": "/"}
    assert RevertServerCertificateRename.undo(moved, found) == Undo(
        "revert-server-certificate-rename", {**back, "original_path": "/cloudfront/"}
    )
    assert RevertServerCertificateRename.undo(moved, {"current": "ASCAEXAMPLEEXAMPLE01"}) is None  # where was it?
    # the plan found it already renamed back (a no-op): nothing to undo
    assert RevertServerCertificateRename.undo(PARAMS, {"current": None, "original_path": "/"}) is None


def test_undo_round_trip_renames_and_moves_it_back(iam, round_trip):
    pem, key = self_signed_certificate()
    iam.upload_server_certificate(
        ServerCertificateName="www-2026-old", CertificateBody=pem, PrivateKey=key, Path="/cloudfront/"
    )
    renames_server_certificates(iam)
    done = round_trip(RevertServerCertificateRename, iam, {**PARAMS, "original_path": "/"})
    assert done.undo == Undo(
        "revert-server-certificate-rename",
        {"current_name": "www-2026", "original_name": "www-2026-old", "original_path": "/cloudfront/"},
    )
    assert done.plan.lines == ["Would rename server certificate www-2026 back to www-2026-old at path /cloudfront/"]
    assert _names(iam) == {"www-2026-old": "/cloudfront/"}
