from __future__ import annotations

import json
from typing import Annotated, Any

from botocore.exceptions import ClientError

from remediations._impact import user_impact
from remediations.base import (
    BaseParams,
    Outcome,
    Plan,
    Remediation,
    RemediationError,
    Undo,
    UserName,
    as_dict,
    error_code,
)

POLICY_NAME = "iambot-quarantine-deny-all"
DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "IambotQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*"}],
}


class QuarantineUser(Remediation):
    """An explicit deny beats every allow: the user's keys, password and certificates stop
    working for every AWS action at once, and removing the inline policy undoes it."""

    id = "quarantine-user"
    title = "Quarantine the user (deny all)"
    permissions = (
        "iam:GetUser",
        "iam:GetUserPolicy",
        "iam:PutUserPolicy",
        # the blast radius (user_impact)
        "iam:GetLoginProfile",
        "iam:ListMFADevices",
        "iam:ListAccessKeys",
    )
    destructive = False

    class Params(BaseParams):
        user_name: Annotated[str, UserName]

    def plan(self, p: Any) -> Plan:
        try:
            self.iam.get_user(UserName=p.user_name)
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                raise RemediationError(f"User {p.user_name} does not exist") from exc
            raise
        try:
            current = self.iam.get_user_policy(UserName=p.user_name, PolicyName=POLICY_NAME)["PolicyDocument"]
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            current = None
        if isinstance(current, str):
            current = json.loads(current)
        if current == DENY_ALL:
            return Plan([f"User {p.user_name} is already quarantined"], {"quarantined": True}, noop=True)
        return Plan(
            [
                f"Would attach inline policy {POLICY_NAME} denying every action to user {p.user_name}; "
                f"delete the policy to undo"
            ],
            {"quarantined": False},
            impact=user_impact(self.iam, p.user_name),
        )

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        """delete-user-policy of the quarantine policy (which stores its document first), when the
        plan read the user not quarantined."""
        p = cls.parsed(params)
        if p is None or as_dict(expected).get("quarantined") is not False:
            return None
        return Undo("delete-user-policy", {"user_name": p.user_name, "policy_name": POLICY_NAME})

    def apply(self, p: Any) -> Outcome:
        self.iam.put_user_policy(UserName=p.user_name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(DENY_ALL))
        return Outcome(True, [f"Attached {POLICY_NAME} to user {p.user_name}: every action is now denied"])
