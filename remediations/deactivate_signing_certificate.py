from __future__ import annotations

from remediations._signing_certs import SetSigningCertificateStatus


class DeactivateSigningCertificate(SetSigningCertificateStatus):
    """Undone by reactivate-signing-certificate (the certificate was Active before)."""

    id = "deactivate-signing-certificate"
    title = "Deactivate the signing certificate"
    status = "Inactive"
    before = "Active"
    inverse = "reactivate-signing-certificate"
