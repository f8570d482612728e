from __future__ import annotations

from remediations._signing_certs import SetSigningCertificateStatus


class ReactivateSigningCertificate(SetSigningCertificateStatus):
    """The undo of deactivate-signing-certificate (and undone by it in turn)."""

    id = "reactivate-signing-certificate"
    title = "Re-activate the signing certificate"
    undo_only = True
    status = "Active"
    before = "Inactive"
    inverse = "deactivate-signing-certificate"
    note = "Whoever holds its private key can sign requests with it again"
