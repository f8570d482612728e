from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from remediations._signing_certs import cert_status
from remediations.base import BaseParams, Outcome, Plan, Remediation, RemediationError, UserName


class DeactivateSigningCertificate(Remediation):
    id = "deactivate-signing-certificate"
    title = "Deactivate the signing certificate"
    permissions = ("iam:ListSigningCertificates", "iam:UpdateSigningCertificate")
    destructive = False

    class Params(BaseParams):
        user_name: Annotated[str, UserName]
        certificate_id: str = Field(min_length=24, max_length=128, pattern=r"^[\w]+$")

    def plan(self, p: Any) -> Plan:
        status = cert_status(self.iam, p.user_name, p.certificate_id)
        if status is None:
            raise RemediationError(f"User {p.user_name} has no signing certificate {p.certificate_id}")
        if status == "Inactive":
            return Plan(
                [f"Signing certificate {p.certificate_id} of user {p.user_name} is already Inactive"],
                {"status": status},
                noop=True,
            )
        return Plan(
            [f"Would set signing certificate {p.certificate_id} of user {p.user_name} to Inactive"], {"status": status}
        )

    def apply(self, p: Any) -> Outcome:
        self.iam.update_signing_certificate(UserName=p.user_name, CertificateId=p.certificate_id, Status="Inactive")
        return Outcome(True, [f"Set signing certificate {p.certificate_id} of user {p.user_name} to Inactive"])
