from __future__ import annotations

from typing import Annotated

from remediations._policies import DeleteInlinePolicy
from remediations.base import BaseParams, GroupName, PolicyName


class DeleteGroupPolicy(DeleteInlinePolicy):
    id = "delete-group-policy"
    title = "Delete the group's inline policy (its document is kept)"
    permissions = ("iam:ListGroupPolicies", "iam:GetGroupPolicy", "iam:DeleteGroupPolicy")
    kind = "group"

    class Params(BaseParams):
        group_name: Annotated[str, GroupName]
        policy_name: Annotated[str, PolicyName]
