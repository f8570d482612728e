from __future__ import annotations

from typing import Annotated, Any

from botocore.exceptions import ClientError

from remediations.base import (
    BaseParams,
    GroupName,
    Outcome,
    Plan,
    Remediation,
    RemediationError,
    UserName,
    error_code,
)


def groups_of(iam: Any, user_name: str) -> list[str]:
    """Names of the groups the user belongs to. Raises if the user is gone."""
    names: list[str] = []
    try:
        for page in iam.get_paginator("list_groups_for_user").paginate(UserName=user_name):
            names.extend(group["GroupName"] for group in page["Groups"])
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            raise RemediationError(f"User {user_name} does not exist") from exc
        raise
    return names


class RemoveUserFromGroup(Remediation):
    id = "remove-user-from-group"
    title = "Remove the user from the group"
    permissions = ("iam:ListGroupsForUser", "iam:RemoveUserFromGroup")
    destructive = False
    undo_note = "iambot cannot undo this: add the user to the group again in IAM"

    class Params(BaseParams):
        user_name: Annotated[str, UserName]
        group_name: Annotated[str, GroupName]

    def plan(self, p: Any) -> Plan:
        if p.group_name not in groups_of(self.iam, p.user_name):
            return Plan([f"User {p.user_name} is not a member of group {p.group_name}"], {"member": False}, noop=True)
        return Plan(
            [
                f"Would remove user {p.user_name} from group {p.group_name}: the user loses what the group's "
                "policies grant",
                "Adding the user to the group again undoes this",
            ],
            {"member": True},
        )

    def apply(self, p: Any) -> Outcome:
        try:
            self.iam.remove_user_from_group(UserName=p.user_name, GroupName=p.group_name)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            groups_of(self.iam, p.user_name)  # a user that is gone is a refusal
            return Outcome(False, [f"User {p.user_name} was not a member of group {p.group_name}"])
        return Outcome(True, [f"Removed user {p.user_name} from group {p.group_name}"])
