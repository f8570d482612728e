"""Shared reads for the access-key remediations."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from remediations.base import RemediationError, error_code


def key_status(iam: Any, user_name: str, access_key_id: str) -> str | None:
    """The key's status, or None when the user has no such key. Raises if the user is gone."""
    try:
        pages = iam.get_paginator("list_access_keys").paginate(UserName=user_name)
        for page in pages:
            for key in page["AccessKeyMetadata"]:
                if key["AccessKeyId"] == access_key_id:
                    return str(key["Status"])
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            raise RemediationError(f"User {user_name} does not exist") from exc
        raise
    return None
