from __future__ import annotations

from typing import Annotated

from remediations._policies import DeleteInlinePolicy
from remediations.base import BaseParams, PolicyName, UserName


class DeleteUserPolicy(DeleteInlinePolicy):
    id = "delete-user-policy"
    title = "Delete the user's inline policy (its document is kept)"
    permissions = ("iam:ListUserPolicies", "iam:GetUserPolicy", "iam:DeleteUserPolicy")
    kind = "user"

    class Params(BaseParams):
        user_name: Annotated[str, UserName]
        policy_name: Annotated[str, PolicyName]
