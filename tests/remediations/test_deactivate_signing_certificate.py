from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli.demo import self_signed_certificate
from remediations import registry
from remediations.base import RemediationError, Undo
from remediations.deactivate_signing_certificate import DeactivateSigningCertificate

MISSING = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _cert(iam, user="ci-admin"):
    iam.create_user(UserName=user)
    cert = iam.upload_signing_certificate(UserName=user, CertificateBody=self_signed_certificate()[0])
    return cert["Certificate"]["CertificateId"]


def _statuses(iam, user="ci-admin"):
    return {c["CertificateId"]: c["Status"] for c in iam.list_signing_certificates(UserName=user)["Certificates"]}


def test_registered():
    assert registry.get("deactivate-signing-certificate") is DeactivateSigningCertificate
    assert DeactivateSigningCertificate.destructive is False


def test_sets_the_certificate_inactive(iam, run):
    cert_id = _cert(iam)
    ran = run(DeactivateSigningCertificate, iam, {"user_name": "ci-admin", "certificate_id": cert_id})
    assert ran.plan.lines == [f"Would set signing certificate {cert_id} of user ci-admin to Inactive"]
    assert ran.plan.expected == {"status": "Active"}
    assert ran.outcome.lines == [f"Set signing certificate {cert_id} of user ci-admin to Inactive"]
    assert _statuses(iam) == {cert_id: "Inactive"}
    assert ran.after.lines == [f"Signing certificate {cert_id} of user ci-admin is already Inactive"]


def test_missing_certificate_or_user_is_a_clear_refusal(iam):
    _cert(iam)
    rem = DeactivateSigningCertificate(iam)
    with pytest.raises(RemediationError, match=rf"^User ci-admin has no signing certificate {MISSING}$"):
        rem.plan(DeactivateSigningCertificate.parse({"user_name": "ci-admin", "certificate_id": MISSING}))
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        rem.plan(DeactivateSigningCertificate.parse({"user_name": "ghost", "certificate_id": MISSING}))


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
        DeactivateSigningCertificate.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        return {"user_name": "ci-admin", "certificate_id": _cert(session.client("iam"))}

    exactly_enough(DeactivateSigningCertificate, setup)


def test_undo_is_reactivate_signing_certificate():
    params = {"user_name": "ci-admin", "certificate_id": MISSING}
    assert DeactivateSigningCertificate.undo(params, {"status": "Active"}) == Undo(
        "reactivate-signing-certificate", params
    )
    assert DeactivateSigningCertificate.undo(params, {"status": "Inactive"}) is None


def test_undo_round_trip_makes_the_certificate_active_again(iam, round_trip):
    cert_id = _cert(iam)
    done = round_trip(DeactivateSigningCertificate, iam, {"user_name": "ci-admin", "certificate_id": cert_id})
    assert done.undo.remediation_id == "reactivate-signing-certificate"
    assert _statuses(iam) == {cert_id: "Active"}
