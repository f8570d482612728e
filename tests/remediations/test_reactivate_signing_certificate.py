from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli.demo import self_signed_certificate
from remediations import registry
from remediations.base import RemediationError, Undo
from remediations.reactivate_signing_certificate import ReactivateSigningCertificate

MISSING = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _cert(iam, user="ci-admin", status="Inactive"):
    iam.create_user(UserName=user)
    cert_id = iam.upload_signing_certificate(UserName=user, CertificateBody=self_signed_certificate()[0])[
        "Certificate"
    ]["CertificateId"]
    iam.update_signing_certificate(UserName=user, CertificateId=cert_id, Status=status)
    return cert_id


def _statuses(iam, user="ci-admin"):
    return {c["CertificateId"]: c["Status"] for c in iam.list_signing_certificates(UserName=user)["Certificates"]}


def test_registered():
    assert registry.get("reactivate-signing-certificate") is ReactivateSigningCertificate
    assert ReactivateSigningCertificate.destructive is False


def test_sets_the_certificate_active(iam, run):
    cert_id = _cert(iam)
    ran = run(ReactivateSigningCertificate, iam, {"user_name": "ci-admin", "certificate_id": cert_id})
    assert ran.plan.lines == [
        f"Would set signing certificate {cert_id} of user ci-admin to Active",
        "Whoever holds its private key can sign requests with it again",
    ]
    assert ran.plan.expected == {"status": "Inactive"}
    assert ran.outcome.lines == [f"Set signing certificate {cert_id} of user ci-admin to Active"]
    assert _statuses(iam) == {cert_id: "Active"}
    assert ran.after.lines == [f"Signing certificate {cert_id} of user ci-admin is already Active"]
    assert ran.after.expected == {"status": "Active"}


def test_an_active_certificate_is_a_noop(iam):
    cert_id = _cert(iam, status="Active")
    p = ReactivateSigningCertificate.parse({"user_name": "ci-admin", "certificate_id": cert_id})
    assert ReactivateSigningCertificate(iam).plan(p).noop


def test_missing_certificate_or_user_is_a_clear_refusal(iam):
    _cert(iam)
    rem = ReactivateSigningCertificate(iam)
    with pytest.raises(RemediationError, match=rf"^User ci-admin has no signing certificate {MISSING}$"):
        rem.plan(ReactivateSigningCertificate.parse({"user_name": "ci-admin", "certificate_id": MISSING}))
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        rem.plan(ReactivateSigningCertificate.parse({"user_name": "ghost", "certificate_id": MISSING}))


@pytest.mark.parametrize(
    "params",
    [
        {"user_name": "ci-admin", "certificate_id": "TOOSHORT"},
        {"user_name": "ci-admin", "certificate_id": "ABCDEFGHIJKLMNOPQRSTUVWX-"},
        {"user_name": "ci-admin", "certificate_id": MISSING, "status": "Active"},
    ],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        ReactivateSigningCertificate.parse(params)


def test_undo_is_deactivate_signing_certificate():
    params = {"user_name": "ci-admin", "certificate_id": MISSING}
    assert ReactivateSigningCertificate.undo(params, {"status": "Inactive"}) == Undo(
        "deactivate-signing-certificate", params
    )
    assert ReactivateSigningCertificate.undo(params, {"status": "Active"}) is None


def test_undo_round_trip_makes_the_certificate_inactive_again(iam, round_trip):
    cert_id = _cert(iam)
    done = round_trip(ReactivateSigningCertificate, iam, {"user_name": "ci-admin", "certificate_id": cert_id})
    assert done.undo.remediation_id == "deactivate-signing-certificate"
    assert _statuses(iam) == {cert_id: "Inactive"}


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        return {"user_name": "ci-admin", "certificate_id": _cert(session.client("iam"))}

    exactly_enough(ReactivateSigningCertificate, setup)
