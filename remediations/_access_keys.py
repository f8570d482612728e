"""Shared code for the access-key remediations: a key's status, and setting it (deactivate-access-key
and reactivate-access-key, each the other's undo)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from botocore.exceptions import ClientError

from remediations._impact import key_impact
from remediations.base import (
    AccessKeyId,
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


class SetAccessKeyStatus(Remediation):
    """Set one access key of a user to ``status``. Its undo is ``inverse`` (the remediation that sets
    the other status), offered only when the plan read the key in that other status (``before``).
    A key that is gone is a refusal: neither status brings it back. The plan shows the key's use and
    what its user can do (key_impact)."""

    status: ClassVar[str]
    before: ClassVar[str]
    inverse: ClassVar[str]
    note: ClassVar[str | None] = None  # a second plan line, when there is one
    permissions = (
        "iam:ListAccessKeys",
        "iam:UpdateAccessKey",
        # the blast radius (key_impact)
        "iam:GetAccessKeyLastUsed",
        "iam:ListAttachedUserPolicies",
        "iam:ListUserPolicies",
        "iam:ListGroupsForUser",
    )
    destructive = False

    class Params(BaseParams):
        user_name: Annotated[str, UserName]
        access_key_id: Annotated[str, AccessKeyId]

    def plan(self, p: Any) -> Plan:
        status = key_status(self.iam, p.user_name, p.access_key_id)
        if status is None:
            raise RemediationError(f"User {p.user_name} has no access key {p.access_key_id}")
        if status == self.status:
            return Plan(
                [f"Access key {p.access_key_id} of user {p.user_name} is already {status}"],
                {"status": status},
                noop=True,
            )
        return Plan(
            [f"Would set access key {p.access_key_id} of user {p.user_name} to {self.status}"]
            + ([self.note] if self.note else []),
            {"status": status},
            impact=key_impact(self.iam, p.user_name, p.access_key_id),
        )

    def apply(self, p: Any) -> Outcome:
        self.iam.update_access_key(UserName=p.user_name, AccessKeyId=p.access_key_id, Status=self.status)
        return Outcome(True, [f"Set access key {p.access_key_id} of user {p.user_name} to {self.status}"])

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        p = cls.parsed(params)
        if p is None or as_dict(expected).get("status") != cls.before:
            return None
        return Undo(cls.inverse, {"user_name": p.user_name, "access_key_id": p.access_key_id})
