"""Shared code for the signing-certificate remediations: a certificate's status, and setting it
(deactivate-signing-certificate and reactivate-signing-certificate, each the other's undo)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from botocore.exceptions import ClientError
from pydantic import Field

from remediations.base import (
    BaseParams,
    Outcome,
    Plan,
    Remediation,
    RemediationError,
    Undo,
    UserName,
    as_dict,
    error_code,
)

CertificateId = Field(min_length=24, max_length=128, pattern=r"^[\w]+$")


def cert_status(iam: Any, user_name: str, certificate_id: str) -> str | None:
    try:
        pages = iam.get_paginator("list_signing_certificates").paginate(UserName=user_name)
        for page in pages:
            for cert in page["Certificates"]:
                if cert["CertificateId"] == certificate_id:
                    return str(cert["Status"])
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            raise RemediationError(f"User {user_name} does not exist") from exc
        raise
    return None


class SetSigningCertificateStatus(Remediation):
    """Set one signing certificate of a user to ``status``. Its undo is ``inverse``, offered only when
    the plan read the certificate in the other status (``before``). A certificate that is gone is a
    refusal."""

    status: ClassVar[str]
    before: ClassVar[str]
    inverse: ClassVar[str]
    note: ClassVar[str | None] = None  # a second plan line, when there is one
    permissions = ("iam:ListSigningCertificates", "iam:UpdateSigningCertificate")
    destructive = False

    class Params(BaseParams):
        user_name: Annotated[str, UserName]
        certificate_id: Annotated[str, CertificateId]

    def plan(self, p: Any) -> Plan:
        status = cert_status(self.iam, p.user_name, p.certificate_id)
        if status is None:
            raise RemediationError(f"User {p.user_name} has no signing certificate {p.certificate_id}")
        if status == self.status:
            return Plan(
                [f"Signing certificate {p.certificate_id} of user {p.user_name} is already {status}"],
                {"status": status},
                noop=True,
            )
        return Plan(
            [f"Would set signing certificate {p.certificate_id} of user {p.user_name} to {self.status}"]
            + ([self.note] if self.note else []),
            {"status": status},
        )

    def apply(self, p: Any) -> Outcome:
        self.iam.update_signing_certificate(UserName=p.user_name, CertificateId=p.certificate_id, Status=self.status)
        return Outcome(True, [f"Set signing certificate {p.certificate_id} of user {p.user_name} to {self.status}"])

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        p = cls.parsed(params)
        if p is None or as_dict(expected).get("status") != cls.before:
            return None
        return Undo(cls.inverse, {"user_name": p.user_name, "certificate_id": p.certificate_id})
