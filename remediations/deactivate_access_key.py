from __future__ import annotations

from typing import Annotated, Any

from remediations._access_keys import key_status
from remediations._impact import key_impact
from remediations.base import (
    AccessKeyId,
    BaseParams,
    Outcome,
    Plan,
    Remediation,
    RemediationError,
    UserName,
)


class DeactivateAccessKey(Remediation):
    id = "deactivate-access-key"
    title = "Deactivate the access key"
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
        if status == "Inactive":
            return Plan(
                [f"Access key {p.access_key_id} of user {p.user_name} is already Inactive"],
                {"status": status},
                noop=True,
            )
        return Plan(
            [f"Would set access key {p.access_key_id} of user {p.user_name} to Inactive"],
            {"status": status},
            impact=key_impact(self.iam, p.user_name, p.access_key_id),
        )

    def apply(self, p: Any) -> Outcome:
        self.iam.update_access_key(UserName=p.user_name, AccessKeyId=p.access_key_id, Status="Inactive")
        return Outcome(True, [f"Set access key {p.access_key_id} of user {p.user_name} to Inactive"])
