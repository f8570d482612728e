"""The feed canary's one AWS write, the only mutating call outside remediations/: one tag on
iambot's own role (``iam:TagRole``, which the policy grants on that role alone, for the
``iambot:canary`` key alone). CloudTrail records it; bot/workflow/canary.py waits for it."""

from __future__ import annotations

from typing import Any

from bot.workflow.canary import KEY, Tag


def tagger(aws: Any) -> Tag:
    """``tag(role, key, value)`` with iambot's own IAM client (``Aws.iam()``)."""

    def tag(role: str, key: str, value: str) -> None:
        aws.iam().tag_role(RoleName=role, Tags=[{"Key": key, "Value": value}])

    return tag


def statement(resource: Any) -> dict[str, Any]:
    """TagRole on ``resource`` (the role's ARN, or a template's reference to it), that key only."""
    return {
        "Sid": "IambotCanary",
        "Effect": "Allow",
        "Action": "iam:TagRole",
        "Resource": resource,
        "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": [KEY]}},
    }
