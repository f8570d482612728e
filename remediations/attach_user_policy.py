from __future__ import annotations

from typing import Annotated

from remediations._policies import AttachManagedPolicy
from remediations.base import BaseParams, PolicyArn, UserName


class AttachUserPolicy(AttachManagedPolicy):
    """The undo of detach-user-policy (and undone by it in turn)."""

    id = "attach-user-policy"
    title = "Re-attach the managed policy to the user"
    undo_only = True
    permissions = ("iam:ListAttachedUserPolicies", "iam:AttachUserPolicy", "iam:ListEntitiesForPolicy")
    kind = "user"

    class Params(BaseParams):
        user_name: Annotated[str, UserName]
        policy_arn: Annotated[str, PolicyArn]
