from __future__ import annotations

from typing import Annotated

from remediations._policies import DetachManagedPolicy
from remediations.base import BaseParams, PolicyArn, UserName


class DetachUserPolicy(DetachManagedPolicy):
    id = "detach-user-policy"
    title = "Detach the managed policy from the user"
    permissions = ("iam:ListAttachedUserPolicies", "iam:DetachUserPolicy", "iam:ListEntitiesForPolicy")
    kind = "user"

    class Params(BaseParams):
        user_name: Annotated[str, UserName]
        policy_arn: Annotated[str, PolicyArn]
