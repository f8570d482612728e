from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from remediations.base import RemediationError, error_code


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
