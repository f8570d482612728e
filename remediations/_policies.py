"""Shared code for the policy remediations: managed-policy attachments, inline policy documents
(decoded, compared as JSON, hashed), and the two shapes the per-principal remediations share.

IAM names its calls alike for users, groups and roles (``list_attached_user_policies``,
``detach_group_policy``, ``get_role_policy`` …), so one implementation serves all three; each
remediation module only says which kind of principal it acts on and declares its own actions.
Detaching and attaching a managed policy undo each other.

Before iambot deletes an inline policy it stores the document as a snapshot of kind
``inline-policy`` under ``<kind>/<principal name>/<policy name>``; ``restore-inline-policy`` puts
the latest one back.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, Literal
from urllib.parse import unquote

from botocore.exceptions import ClientError

from remediations._impact import policy_impact
from remediations.base import Outcome, Plan, Remediation, RemediationError, Undo, as_dict, error_code

PrincipalType = Literal["user", "group", "role"]
SNAPSHOT = "inline-policy"

_ARG = {"user": "UserName", "group": "GroupName", "role": "RoleName"}


def label(kind: str, name: str) -> str:
    """The principal, in the middle of a sentence: user alice."""
    return f"{kind} {name}"


def sentence(kind: str, name: str) -> str:
    """The principal, to start a sentence: User alice."""
    return f"{kind.capitalize()} {name}"


def missing(kind: str, name: str) -> RemediationError:
    return RemediationError(f"{sentence(kind, name)} does not exist")


def snapshot_key(kind: str, name: str, policy_name: str) -> str:
    return f"{kind}/{name}/{policy_name}"


def decode(document: Any) -> Any:
    """A policy document as JSON data. botocore already decodes IAM's URL-encoded JSON; a string
    still arriving here (a stub, another client) is decoded the same way."""
    if isinstance(document, bytes):
        document = document.decode()
    if isinstance(document, str):
        text = document.strip()
        return json.loads(text if text.startswith("{") else unquote(text))
    return document


def canonical(document: Any) -> str:
    """The document as JSON text that is the same for equal documents (keys sorted, no spaces)."""
    return json.dumps(decode(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def document_hash(document: Any) -> str:
    return hashlib.sha256(canonical(document).encode()).hexdigest()


def same_document(a: Any, b: Any) -> bool:
    return canonical(a) == canonical(b)


def attached_policy_arns(iam: Any, kind: str, name: str) -> list[str]:
    """ARNs of the managed policies attached to the principal. Raises if the principal is gone."""
    arns: list[str] = []
    try:
        for page in iam.get_paginator(f"list_attached_{kind}_policies").paginate(**{_ARG[kind]: name}):
            arns.extend(item["PolicyArn"] for item in page["AttachedPolicies"])
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            raise missing(kind, name) from exc
        raise
    return arns


def inline_policy_names(iam: Any, kind: str, name: str) -> list[str]:
    """Names of the principal's inline policies. Raises if the principal is gone."""
    names: list[str] = []
    try:
        for page in iam.get_paginator(f"list_{kind}_policies").paginate(**{_ARG[kind]: name}):
            names.extend(page["PolicyNames"])
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            raise missing(kind, name) from exc
        raise
    return names


def inline_document(iam: Any, kind: str, name: str, policy_name: str) -> Any:
    """The inline policy's document as JSON data, or None when the principal has no such policy.
    Raises if the principal is gone (the listing tells the two apart; GetUserPolicy does not)."""
    if policy_name not in inline_policy_names(iam, kind, name):
        return None
    try:
        response = getattr(iam, f"get_{kind}_policy")(**{_ARG[kind]: name, "PolicyName": policy_name})
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":  # deleted between the list and the get
            return None
        raise
    return decode(response["PolicyDocument"])


def put_inline(iam: Any, kind: str, name: str, policy_name: str, document: Any) -> None:
    try:
        getattr(iam, f"put_{kind}_policy")(
            **{_ARG[kind]: name, "PolicyName": policy_name, "PolicyDocument": canonical(document)}
        )
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            raise missing(kind, name) from exc
        raise


class _OfPrincipal(Remediation):
    """A change to one user, group or role (``kind``), named by the ``<kind>_name`` parameter."""

    kind: ClassVar[PrincipalType]
    destructive = False

    def principal(self, p: Any) -> str:
        return str(getattr(p, f"{self.kind}_name"))

    @classmethod
    def _managed_undo(cls, inverse: str, params: dict[str, Any], expected: dict[str, Any], was: bool) -> Undo | None:
        """``<inverse>-<kind>-policy`` for the same principal and policy, when the plan read the policy
        attached (``was``) or not."""
        p = cls.parsed(params)
        if p is None or as_dict(expected).get("attached") is not was:
            return None
        name = f"{cls.kind}_name"
        return Undo(f"{inverse}-{cls.kind}-policy", {name: getattr(p, name), "policy_arn": p.policy_arn})


class DetachManagedPolicy(_OfPrincipal):
    """Detach a managed policy from a user, group or role (``kind``); re-attaching undoes it. The
    plan shows what else the policy is attached to (iam:ListEntitiesForPolicy)."""

    def plan(self, p: Any) -> Plan:
        name = self.principal(p)
        who = label(self.kind, name)
        if p.policy_arn not in attached_policy_arns(self.iam, self.kind, name):
            return Plan([f"Policy {p.policy_arn} is not attached to {who}"], {"attached": False}, noop=True)
        return Plan(
            [
                f"Would detach managed policy {p.policy_arn} from {who}",
                "The policy itself is kept; attaching it again undoes this",
            ],
            {"attached": True},
            impact=policy_impact(self.iam, p.policy_arn),
        )

    def apply(self, p: Any) -> Outcome:
        name = self.principal(p)
        who = label(self.kind, name)
        try:
            getattr(self.iam, f"detach_{self.kind}_policy")(**{_ARG[self.kind]: name, "PolicyArn": p.policy_arn})
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            attached_policy_arns(self.iam, self.kind, name)  # a principal that is gone is a refusal
            return Outcome(False, [f"Policy {p.policy_arn} was already detached from {who}"])
        return Outcome(True, [f"Detached policy {p.policy_arn} from {who}"])

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        return cls._managed_undo("attach", params, expected, was=True)


class AttachManagedPolicy(_OfPrincipal):
    """Attach a managed policy to a user, group or role (``kind``): the undo of detaching it, and
    undone by detaching it again. A policy that does not exist is a refusal. The plan shows what else
    the policy is attached to (iam:ListEntitiesForPolicy)."""

    def plan(self, p: Any) -> Plan:
        name = self.principal(p)
        who = label(self.kind, name)
        if p.policy_arn in attached_policy_arns(self.iam, self.kind, name):
            return Plan([f"Policy {p.policy_arn} is already attached to {who}"], {"attached": True}, noop=True)
        return Plan(
            [f"Would attach managed policy {p.policy_arn} to {who}", f"The {self.kind} gets what the policy allows"],
            {"attached": False},
            impact=policy_impact(self.iam, p.policy_arn),
        )

    def apply(self, p: Any) -> Outcome:
        name = self.principal(p)
        who = label(self.kind, name)
        if p.policy_arn in attached_policy_arns(self.iam, self.kind, name):
            return Outcome(False, [f"Policy {p.policy_arn} was already attached to {who}"])
        try:
            getattr(self.iam, f"attach_{self.kind}_policy")(**{_ARG[self.kind]: name, "PolicyArn": p.policy_arn})
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            attached_policy_arns(self.iam, self.kind, name)  # a principal that is gone is a refusal
            raise RemediationError(f"Policy {p.policy_arn} does not exist") from exc
        return Outcome(True, [f"Attached policy {p.policy_arn} to {who}"])

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        return cls._managed_undo("detach", params, expected, was=False)


class DeleteInlinePolicy(_OfPrincipal):
    """Delete an inline policy of a user, group or role (``kind``) after storing its document, so
    that ``restore-inline-policy`` can put it back (hence not destructive). The plan expects the
    document's hash: a change between approval and execution is drift."""

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        """restore-inline-policy, which puts back the document apply stored (the latest one iambot
        holds for that policy), when the plan read a document (its hash)."""
        p = cls.parsed(params)
        if p is None or not isinstance(as_dict(expected).get("document_sha256"), str):
            return None
        name = getattr(p, f"{cls.kind}_name")
        return Undo(
            "restore-inline-policy", {"principal_type": cls.kind, "principal_name": name, "policy_name": p.policy_name}
        )

    def plan(self, p: Any) -> Plan:
        name = self.principal(p)
        who = label(self.kind, name)
        document = inline_document(self.iam, self.kind, name, p.policy_name)
        if document is None:
            return Plan(
                [f"{sentence(self.kind, name)} has no inline policy {p.policy_name}"],
                {"document_sha256": None},
                noop=True,
            )
        digest = document_hash(document)
        statements = document.get("Statement", []) if isinstance(document, dict) else []
        count = len(statements) if isinstance(statements, list) else 1
        return Plan(
            [
                f"Would delete inline policy {p.policy_name} of {who} ({count} statement(s), "
                f"document sha256 {digest[:12]})",
                "iambot stores the document first; restore-inline-policy puts it back",
            ],
            {"document_sha256": digest},
        )

    def apply(self, p: Any) -> Outcome:
        name = self.principal(p)
        who = label(self.kind, name)
        if self.snapshots is None:
            raise RemediationError(
                f"iambot has nowhere to store the document of inline policy {p.policy_name} of {who}, "
                "so it will not delete it (no snapshot store)"
            )
        gone = f"{sentence(self.kind, name)} had no inline policy {p.policy_name} (already deleted)"
        document = inline_document(self.iam, self.kind, name, p.policy_name)
        if document is None:
            return Outcome(False, [gone])
        self.snapshots.record(
            SNAPSHOT,
            snapshot_key(self.kind, name, p.policy_name),
            {"document": document, "principal_type": self.kind, "principal_name": name, "policy_name": p.policy_name},
        )
        try:
            getattr(self.iam, f"delete_{self.kind}_policy")(**{_ARG[self.kind]: name, "PolicyName": p.policy_name})
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            inline_policy_names(self.iam, self.kind, name)  # a principal that is gone is a refusal
            return Outcome(False, [gone])
        return Outcome(
            True,
            [
                f"Deleted inline policy {p.policy_name} of {who}; its document is stored",
                f"To put it back: `/iam remediate restore-inline-policy principal_type={self.kind} "
                f"principal_name={name} policy_name={p.policy_name}`",
            ],
        )
