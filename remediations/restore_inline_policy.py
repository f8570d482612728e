from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from remediations._policies import (
    SNAPSHOT,
    PrincipalType,
    document_hash,
    inline_document,
    label,
    put_inline,
    same_document,
    snapshot_key,
)
from remediations.base import BaseParams, Outcome, Plan, PolicyName, Remediation, RemediationError, Undo, as_dict

# user and role names are at most 64 characters, group names 128
PrincipalName = Field(min_length=1, max_length=128, pattern=r"^[\w+=,.@-]+$")


class RestoreInlinePolicy(Remediation):
    """Puts back the inline policy document iambot stored when it deleted the policy
    (delete-user-policy, delete-group-policy, delete-role-policy), the latest one it holds."""

    id = "restore-inline-policy"
    title = "Restore the deleted inline policy"
    permissions = (
        "iam:ListUserPolicies",
        "iam:GetUserPolicy",
        "iam:PutUserPolicy",
        "iam:ListGroupPolicies",
        "iam:GetGroupPolicy",
        "iam:PutGroupPolicy",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
    )
    destructive = False

    class Params(BaseParams):
        principal_type: PrincipalType
        principal_name: Annotated[str, PrincipalName]
        policy_name: Annotated[str, PolicyName]

        @model_validator(mode="after")
        def _name_length(self) -> RestoreInlinePolicy.Params:
            if self.principal_type != "group" and len(self.principal_name) > 64:
                raise ValueError(f"a {self.principal_type} name is at most 64 characters")
            return self

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        """delete-<kind>-policy (which stores the document again), when the plan found no policy of
        that name; none when it replaced a document, which iambot did not keep."""
        p = cls.parsed(params)
        state = as_dict(expected)
        put_back = "current_sha256" in state and state["current_sha256"] is None  # there was no such policy
        if p is None or not put_back or not isinstance(state.get("restore_sha256"), str):
            return None
        kind = p.principal_type
        return Undo(f"delete-{kind}-policy", {f"{kind}_name": p.principal_name, "policy_name": p.policy_name})

    def stored(self, p: Any) -> Any:
        """The document iambot stored for this policy; refuses when it holds none."""
        who = label(p.principal_type, p.principal_name)
        value = None
        if self.snapshots is not None:
            value = self.snapshots.latest(SNAPSHOT, snapshot_key(p.principal_type, p.principal_name, p.policy_name))
        if not isinstance(value, dict) or not value.get("document"):
            raise RemediationError(
                f"iambot has no stored document for inline policy {p.policy_name} of {who}, so it cannot say "
                "what to restore. It keeps one only when it deletes the policy itself "
                f"(delete-{p.principal_type}-policy)."
            )
        return value["document"]

    def plan(self, p: Any) -> Plan:
        who = label(p.principal_type, p.principal_name)
        document = self.stored(p)
        current = inline_document(self.iam, p.principal_type, p.principal_name, p.policy_name)
        current_hash = None if current is None else document_hash(current)
        restore_hash = document_hash(document)
        expected = {"current_sha256": current_hash, "restore_sha256": restore_hash}
        if current is not None and same_document(current, document):
            return Plan(
                [f"Inline policy {p.policy_name} of {who} already has the stored document"], expected, noop=True
            )
        if current_hash is None:
            line = (
                f"Would put back inline policy {p.policy_name} on {who} with the stored document "
                f"(sha256 {restore_hash[:12]})"
            )
        else:
            line = (
                f"Would replace the document of inline policy {p.policy_name} of {who} "
                f"(sha256 {current_hash[:12]}) with the stored one (sha256 {restore_hash[:12]})"
            )
        return Plan([line], expected)

    def apply(self, p: Any) -> Outcome:
        who = label(p.principal_type, p.principal_name)
        document = self.stored(p)
        current = inline_document(self.iam, p.principal_type, p.principal_name, p.policy_name)
        if current is not None and same_document(current, document):
            return Outcome(False, [f"Inline policy {p.policy_name} of {who} already had the stored document"])
        put_inline(self.iam, p.principal_type, p.principal_name, p.policy_name, document)
        return Outcome(True, [f"Restored inline policy {p.policy_name} of {who}"])
