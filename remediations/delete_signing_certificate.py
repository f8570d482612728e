from __future__ import annotations

from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import Field

from remediations._signing_certs import cert_status
from remediations.base import BaseParams, Outcome, Plan, Remediation, UserName, error_code


class DeleteSigningCertificate(Remediation):
    id = "delete-signing-certificate"
    title = "Delete the signing certificate"
    permissions = ("iam:ListSigningCertificates", "iam:DeleteSigningCertificate")
    destructive = True
    undo_note = (
        "A deleted signing certificate cannot be restored: iambot cannot undo this (its owner can upload it again)"
    )

    class Params(BaseParams):
        user_name: Annotated[str, UserName]
        certificate_id: str = Field(min_length=24, max_length=128, pattern=r"^[\w]+$")

    def plan(self, p: Any) -> Plan:
        status = cert_status(self.iam, p.user_name, p.certificate_id)
        if status is None:
            return Plan(
                [f"Signing certificate {p.certificate_id} of user {p.user_name} is already deleted"],
                {"exists": False},
                noop=True,
            )
        return Plan(
            [f"Would permanently delete signing certificate {p.certificate_id} of user {p.user_name} (now {status})"],
            {"exists": True, "status": status},
        )

    def apply(self, p: Any) -> Outcome:
        try:
            self.iam.delete_signing_certificate(UserName=p.user_name, CertificateId=p.certificate_id)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            return Outcome(False, [f"Signing certificate {p.certificate_id} was already deleted"])
        return Outcome(True, [f"Deleted signing certificate {p.certificate_id} of user {p.user_name}"])
