from __future__ import annotations

from typing import Annotated

from remediations._policies import AttachManagedPolicy
from remediations.base import BaseParams, PolicyArn, RoleName


class AttachRolePolicy(AttachManagedPolicy):
    """The undo of detach-role-policy (and undone by it in turn)."""

    id = "attach-role-policy"
    title = "Re-attach the managed policy to the role"
    undo_only = True
    permissions = ("iam:ListAttachedRolePolicies", "iam:AttachRolePolicy", "iam:ListEntitiesForPolicy")
    kind = "role"

    class Params(BaseParams):
        role_name: Annotated[str, RoleName]
        policy_arn: Annotated[str, PolicyArn]
