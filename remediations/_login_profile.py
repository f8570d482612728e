from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from remediations.base import error_code


def login_profile(iam: Any, user_name: str) -> dict[str, Any] | None:
    """The user's login profile, or None when the user has no console password."""
    try:
        return dict(iam.get_login_profile(UserName=user_name)["LoginProfile"])
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return None
        raise
