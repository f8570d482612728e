from __future__ import annotations

from typing import Annotated

from remediations._policies import DeleteInlinePolicy
from remediations.base import BaseParams, PolicyName, RoleName


class DeleteRolePolicy(DeleteInlinePolicy):
    id = "delete-role-policy"
    title = "Delete the role's inline policy (its document is kept)"
    permissions = ("iam:ListRolePolicies", "iam:GetRolePolicy", "iam:DeleteRolePolicy")
    kind = "role"

    class Params(BaseParams):
        role_name: Annotated[str, RoleName]
        policy_name: Annotated[str, PolicyName]
