from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli.demo import self_signed_certificate
from remediations import registry
from remediations.base import RemediationError
from remediations.delete_signing_certificate import DeleteSigningCertificate


def _cert(iam, user="ci-admin"):
    iam.create_user(UserName=user)
    cert = iam.upload_signing_certificate(UserName=user, CertificateBody=self_signed_certificate()[0])
    return cert["Certificate"]["CertificateId"]


def test_registered():
    assert registry.get("delete-signing-certificate") is DeleteSigningCertificate
    assert DeleteSigningCertificate.destructive is True


def test_deletes_the_certificate(iam, run):
    cert_id = _cert(iam)
    ran = run(DeleteSigningCertificate, iam, {"user_name": "ci-admin", "certificate_id": cert_id})
    assert ran.plan.lines == [f"Would permanently delete signing certificate {cert_id} of user ci-admin (now Active)"]
    assert ran.plan.expected == {"exists": True, "status": "Active"}
    assert ran.outcome.lines == [f"Deleted signing certificate {cert_id} of user ci-admin"]
    assert iam.list_signing_certificates(UserName="ci-admin")["Certificates"] == []
    assert not ran.again.changed and ran.again.lines == [f"Signing certificate {cert_id} was already deleted"]
    assert ran.after.lines == [f"Signing certificate {cert_id} of user ci-admin is already deleted"]
    assert ran.after.expected == {"exists": False}


def test_after_deactivation_it_deletes_the_inactive_certificate(iam):
    cert_id = _cert(iam)
    iam.update_signing_certificate(UserName="ci-admin", CertificateId=cert_id, Status="Inactive")
    p = DeleteSigningCertificate.parse({"user_name": "ci-admin", "certificate_id": cert_id})
    assert "(now Inactive)" in DeleteSigningCertificate(iam).plan(p).lines[0]


def test_missing_user_is_a_clear_refusal(iam):
    p = DeleteSigningCertificate.parse({"user_name": "ghost", "certificate_id": "A" * 32})
    with pytest.raises(RemediationError, match=r"^User ghost does not exist$"):
        DeleteSigningCertificate(iam).plan(p)


@pytest.mark.parametrize(
    "params",
    [{"user_name": "ci-admin", "certificate_id": "A" * 23}, {"user_name": "ci-admin", "certificate_id": "A" * 129}],
)
def test_bad_parameters_are_rejected(params):
    with pytest.raises(ValidationError):
        DeleteSigningCertificate.parse(params)


def test_declared_permissions_are_exactly_enough(exactly_enough):
    def setup(session, _store):
        return {"user_name": "ci-admin", "certificate_id": _cert(session.client("iam"))}

    exactly_enough(DeleteSigningCertificate, setup)
