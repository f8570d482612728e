from __future__ import annotations

from typing import Annotated

from remediations._policies import AttachManagedPolicy
from remediations.base import BaseParams, GroupName, PolicyArn


class AttachGroupPolicy(AttachManagedPolicy):
    """The undo of detach-group-policy (and undone by it in turn)."""

    id = "attach-group-policy"
    title = "Re-attach the managed policy to the group"
    undo_only = True
    permissions = ("iam:ListAttachedGroupPolicies", "iam:AttachGroupPolicy", "iam:ListEntitiesForPolicy")
    kind = "group"

    class Params(BaseParams):
        group_name: Annotated[str, GroupName]
        policy_arn: Annotated[str, PolicyArn]
