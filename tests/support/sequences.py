"""Records of one principal's sequences: denied IAM writes and identity reads, built on published
and API-reference records (tests/fixtures/cloudtrail), at times a test chooses."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.records import load

ACCOUNT = "111122223333"
START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
# The measured case: a tool trying twelve ways to raise its own permissions within four
# minutes; the first four aim at the caller's own user (IAM names it "user NAME" in the denial).
ESCALATION_TOOL = (
    ("AttachUserPolicy", True),
    ("PutUserPolicy", True),
    ("CreateAccessKey", True),
    ("CreateLoginProfile", True),
    ("CreatePolicyVersion", False),
    ("SetDefaultPolicyVersion", False),
    ("AddUserToGroup", False),
    ("AttachGroupPolicy", False),
    ("PutGroupPolicy", False),
    ("AttachRolePolicy", False),
    ("PutRolePolicy", False),
    ("UpdateAssumeRolePolicy", False),
)
# What an enumeration tool lists first (each a read of IAM's API reference)
ENUMERATION_TOOL = (
    "ListUsers",
    "ListRoles",
    "ListGroups",
    "ListPolicies",
    "ListAttachedUserPolicies",
    "ListUserPolicies",
    "ListGroupsForUser",
    "ListAccessKeys",
    "GetUser",
    "GetPolicy",
    "GetPolicyVersion",
)


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def identity(user: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDACKCEVSQ6C2EXAMPLE",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "userName": user,
    }


def denied(name: str, at: datetime, n: int, user: str = "mallory-dev", target: str | None = None) -> dict[str, Any]:
    """A denied IAM write as IAM records it (requestParameters null; the refused resource only in
    errorMessage), on the API-reference record of a denied UpdateLoginProfile."""
    record = copy.deepcopy(load("UpdateLoginProfile__authored__2.json"))
    action = f"iam:{name}"
    on = f" on resource: user {target}" if target else ""
    record.update(
        eventName=name,
        eventTime=stamp(at),
        eventID=f"0e1a7c52-5b0b-4d0e-9a51-{user[:4]}{n:08d}",
        userIdentity=identity(user),
        errorMessage=f"User: arn:aws:iam::{ACCOUNT}:user/{user} is not authorized to perform: {action}{on}"
        f" because no identity-based policy allows the {action} action",
    )
    return record


def read(name: str, at: datetime, n: int, user: str = "mallory-dev") -> dict[str, Any]:
    """An identity read that succeeded, on Panther's published ListAccessKeys record."""
    record = copy.deepcopy(load("ListAccessKeys__panther__1.json"))
    record.update(
        eventName=name, eventTime=stamp(at), eventID=f"read-{user}-{n}", userIdentity=identity(user),
        recipientAccountId=ACCOUNT,
    )
    return record


def escalation_attempt(user: str = "mallory-dev", start: datetime = START, every: int = 20) -> list[dict[str, Any]]:
    """The twelve denied writes, one every ``every`` seconds (within four minutes by default)."""
    return [
        denied(name, start + timedelta(seconds=i * every), i, user, target=user if own else None)
        for i, (name, own) in enumerate(ESCALATION_TOOL)
    ]


def enumeration(
    user: str = "recon", start: datetime = START, names: tuple[str, ...] = ENUMERATION_TOOL
) -> list[dict[str, Any]]:
    return [read(name, start + timedelta(seconds=10 * i), i, user) for i, name in enumerate(names)]
