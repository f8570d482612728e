"""What the IAM console's "Revoke active sessions" does, as the IAM user guide describes it
("Revoke IAM role temporary security credentials"): put the inline policy AWSRevokeOlderSessions
on the role, denying every action to credentials whose aws:TokenIssueTime is before now. Sessions
issued later are not affected; doing it again moves the time forward.

The time written is the moment of execution (``apply``), never the moment of the request, so that
sessions started while the request waited for approval are cut as well. The request time is kept
in the parameters (``requested_at``, filled in when the request is parsed) only to tell whether a
revocation already covers the request: then the plan is a no-op and ``apply`` does nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import Field, field_serializer, field_validator

from remediations._impact import role_impact
from remediations._policies import decode, document_hash
from remediations.base import (
    BaseParams,
    Outcome,
    Plan,
    Remediation,
    RemediationError,
    RoleName,
    error_code,
)

POLICY_NAME = "AWSRevokeOlderSessions"
CONDITION_KEY = "aws:TokenIssueTime"
SERVICE_LINKED_PATH = "/aws-service-role/"
IDENTITY_CENTER_PATH = "/aws-reserved/sso.amazonaws.com/"
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}


def to_millis(when: datetime) -> datetime:
    """``when`` in UTC, to the millisecond (the precision the policy's time is written with)."""
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def iso(when: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as the console writes it: 2026-11-20T09:43:48.085Z."""
    when = to_millis(when)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def revoke_policy(issued_before: datetime) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {CONDITION_KEY: iso(issued_before)}},
            }
        ],
    }


def cutoff(document: Any) -> datetime | None:
    """The time before which the document denies every session, or None when it does not read as
    a revocation (a Deny of every action on every resource under DateLessThan aws:TokenIssueTime)."""
    if not isinstance(document, dict):
        return None
    statements = document.get("Statement", [])
    found: list[datetime] = []
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Deny" or set(st) - _STATEMENT_KEYS:
            continue
        if _as_list(st.get("Action")) != ["*"] or _as_list(st.get("Resource")) != ["*"]:
            continue
        condition = st.get("Condition")
        if not isinstance(condition, dict) or set(condition) != {"DateLessThan"}:
            continue
        values = _as_list((condition["DateLessThan"] or {}).get(CONDITION_KEY))
        if len(values) != 1 or not isinstance(values[0], str):
            continue
        try:
            found.append(to_millis(datetime.fromisoformat(values[0])))
        except ValueError:
            continue
    return max(found) if found else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class RevokeRoleSessions(Remediation):
    """Not destructive: deleting the inline policy lifts the deny. But the sessions it cuts are not
    given back: what they were doing when denied has failed, and their users must assume the role
    again."""

    id = "revoke-role-sessions"
    title = "Revoke the role's active sessions"
    permissions = ("iam:GetRole", "iam:GetRolePolicy", "iam:PutRolePolicy")
    destructive = False
    undo_note = (
        "Sessions already denied cannot be given back: iambot cannot undo this (deleting the "
        "inline policy AWSRevokeOlderSessions lifts the deny)"
    )

    class Params(BaseParams):
        role_name: Annotated[str, RoleName]
        # when the request was made (filled in on parsing, kept with the request); see the module
        requested_at: datetime = Field(default_factory=lambda: to_millis(datetime.now(UTC)))

        @field_validator("requested_at")
        @classmethod
        def _utc(cls, value: datetime) -> datetime:
            return to_millis(value)

        @field_serializer("requested_at")
        def _iso(self, value: datetime) -> str:
            return iso(value)

    def _role(self, role_name: str) -> dict[str, Any]:
        try:
            role = dict(self.iam.get_role(RoleName=role_name)["Role"])
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                raise RemediationError(f"Role {role_name} does not exist") from exc
            raise
        path = str(role.get("Path") or "/")
        if path.startswith(SERVICE_LINKED_PATH):
            raise RemediationError(
                f"Role {role_name} is a service-linked role: AWS does not allow revoking its sessions"
            )
        if path.startswith(IDENTITY_CENTER_PATH):
            raise RemediationError(
                f"Role {role_name} was made by IAM Identity Center and cannot be changed in IAM: revoke its "
                "sessions in IAM Identity Center instead"
            )
        return role

    def _current(self, role_name: str) -> Any:
        try:
            return decode(self.iam.get_role_policy(RoleName=role_name, PolicyName=POLICY_NAME)["PolicyDocument"])
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise

    def plan(self, p: Any) -> Plan:
        role = self._role(p.role_name)
        current = self._current(p.role_name)
        before = cutoff(current)
        expected = {
            "revoked_before": None if before is None else iso(before),
            "policy_sha256": None if current is None else document_hash(current),
        }
        if before is not None and before >= p.requested_at:
            return Plan(
                [
                    f"Sessions of role {p.role_name} issued before the request ({iso(p.requested_at)}) are already "
                    f"denied: {POLICY_NAME} denies every session issued before {iso(before)}"
                ],
                expected,
                noop=True,
            )
        lines = [
            f"Would put inline policy {POLICY_NAME} on role {p.role_name}, denying every action to every session "
            "of the role issued before the moment this runs (what the IAM console's “Revoke active sessions” does); "
            "sessions issued later are not affected",
        ]
        if before is not None:
            lines.append(f"It replaces the current {POLICY_NAME}, which denies sessions issued before {iso(before)}")
        elif current is not None:
            lines.append(f"It replaces the current inline policy {POLICY_NAME}, which is not in the console's form")
        lines.append(
            "Deleting the policy lifts the deny, but sessions already denied cannot be restored: what they were "
            "doing fails, and their users must assume the role again (the AWS CLI keeps cached credentials until "
            "they expire)"
        )
        return Plan(lines, expected, impact=role_impact(role))  # from GetRole: no read of its own

    def apply(self, p: Any) -> Outcome:
        self._role(p.role_name)
        before = cutoff(self._current(p.role_name))
        if before is not None and before >= p.requested_at:
            return Outcome(False, [f"Sessions of role {p.role_name} issued before {iso(before)} were already denied"])
        now = to_millis(datetime.now(UTC))  # the execution time, not the request time
        try:
            self.iam.put_role_policy(
                RoleName=p.role_name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(revoke_policy(now))
            )
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                raise RemediationError(f"Role {p.role_name} does not exist") from exc
            raise
        return Outcome(
            True,
            [
                f"Put {POLICY_NAME} on role {p.role_name}: every session issued before {iso(now)} is now denied "
                "(IAM can take a few minutes to apply it everywhere)",
                f"Delete the inline policy {POLICY_NAME} to lift the deny",
            ],
        )
