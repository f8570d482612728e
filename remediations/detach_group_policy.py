from __future__ import annotations

from typing import Annotated

from remediations._policies import DetachManagedPolicy
from remediations.base import BaseParams, GroupName, PolicyArn


class DetachGroupPolicy(DetachManagedPolicy):
    id = "detach-group-policy"
    title = "Detach the managed policy from the group"
    permissions = ("iam:ListAttachedGroupPolicies", "iam:DetachGroupPolicy", "iam:ListEntitiesForPolicy")
    kind = "group"

    class Params(BaseParams):
        group_name: Annotated[str, GroupName]
        policy_arn: Annotated[str, PolicyArn]
