from __future__ import annotations

from typing import Annotated

from remediations._policies import DetachManagedPolicy
from remediations.base import BaseParams, PolicyArn, RoleName


class DetachRolePolicy(DetachManagedPolicy):
    id = "detach-role-policy"
    title = "Detach the managed policy from the role"
    permissions = ("iam:ListAttachedRolePolicies", "iam:DetachRolePolicy", "iam:ListEntitiesForPolicy")
    kind = "role"

    class Params(BaseParams):
        role_name: Annotated[str, RoleName]
        policy_arn: Annotated[str, PolicyArn]
