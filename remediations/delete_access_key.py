from __future__ import annotations

from typing import Annotated, Any

from botocore.exceptions import ClientError

from remediations._access_keys import key_status
from remediations._impact import key_impact
from remediations.base import (
    AccessKeyId,
    BaseParams,
    Outcome,
    Plan,
    Remediation,
    UserName,
    error_code,
)


class DeleteAccessKey(Remediation):
    id = "delete-access-key"
    title = "Delete the access key"
    permissions = (
        "iam:ListAccessKeys",
        "iam:DeleteAccessKey",
        # the blast radius (key_impact)
        "iam:GetAccessKeyLastUsed",
        "iam:ListAttachedUserPolicies",
        "iam:ListUserPolicies",
        "iam:ListGroupsForUser",
    )
    destructive = True
    undo_note = "A deleted access key cannot be restored: iambot cannot undo this"

    class Params(BaseParams):
        user_name: Annotated[str, UserName]
        access_key_id: Annotated[str, AccessKeyId]

    def plan(self, p: Any) -> Plan:
        status = key_status(self.iam, p.user_name, p.access_key_id)
        if status is None:
            return Plan(
                [f"Access key {p.access_key_id} of user {p.user_name} is already deleted"], {"exists": False}, noop=True
            )
        return Plan(
            [
                f"Would permanently delete access key {p.access_key_id} of user {p.user_name} "
                f"(now {status}); this cannot be undone"
            ],
            {"exists": True, "status": status},
            impact=key_impact(self.iam, p.user_name, p.access_key_id),
        )

    def apply(self, p: Any) -> Outcome:
        try:
            self.iam.delete_access_key(UserName=p.user_name, AccessKeyId=p.access_key_id)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            return Outcome(False, [f"Access key {p.access_key_id} was already deleted"])
        return Outcome(True, [f"Deleted access key {p.access_key_id} of user {p.user_name}"])
