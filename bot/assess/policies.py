"""Factors about policy documents and what a call grants: admin grants, deny-only documents,
AWS's compromised-key quarantine, widened or unscoped trust."""

from __future__ import annotations

from typing import Any

from bot.assess.base import Factor, RiskContext, factor
from bot.catalog.documents import document, statements, trusted_principals
from bot.catalog.fields import Subject

ADMIN_POLICIES = ("/AdministratorAccess", "/IAMFullAccess", "/PowerUserAccess", "/AWSOrganizationsFullAccess")
QUARANTINE_POLICIES = ("AWSCompromisedKeyQuarantine", "AWSExposedCredentialPolicy_DO_NOT_REMOVE")


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


_QUARANTINE = tuple(q.lower() for q in QUARANTINE_POLICIES)


def quarantined(s: Subject) -> bool:
    r = s.event.request
    for name in (r.get("policyArn"), r.get("policyName")):
        if isinstance(name, str):
            text = name.lower()
            if any(q in text for q in _QUARANTINE):
                return True
    return False


def aws_quarantine(s: Subject, ctx: RiskContext) -> Factor | None:
    if not quarantined(s) or s.event.failed:
        return None
    if s.on_self:  # AWS's own call is recorded under the user whose key it found
        reason = (
            "AWS attached its compromised-key quarantine policy: AWS found this user's access key exposed "
            "in public (a code repository, a paste). The key still works for everything the policy does not "
            "deny; whoever holds it is not necessarily the user"
        )
    else:
        reason = (
            f"{s.event.actor.name} attached AWS's compromised-key quarantine policy by hand: someone believes "
            "this user's access key leaked"
        )
    return factor("aws-quarantine", 0, reason, at_least="high")


def _policy_arns(request: dict[str, Any]) -> list[str]:
    boundary = request.get("permissionsBoundary")
    found = [request.get("policyArn"), request.get("managedPolicyArn"), boundary]
    if isinstance(boundary, dict):
        found.append(boundary.get("managedPolicyArn"))
    return [a for a in found if isinstance(a, str)]


def admin_policy(s: Subject, ctx: RiskContext) -> Factor | None:
    for arn in _policy_arns(s.event.request):
        if arn.endswith(ADMIN_POLICIES):
            return factor("admin-policy", 1, f"The policy granted is {arn.rsplit('/', 1)[-1]}: full control")
    for st in statements(document(s.event.request)):
        actions = _listed(st.get("Action"))
        if (
            st.get("Effect") == "Allow"
            and any(a in ("*", "iam:*") for a in actions)
            and "*" in _listed(st.get("Resource"))
        ):
            return factor("admin-policy", 1, "The policy allows every action on every resource")
    return None


def deny_only_policy(s: Subject, ctx: RiskContext) -> Factor | None:
    found = statements(document(s.event.request))
    if found and not quarantined(s) and all(st.get("Effect") == "Deny" for st in found):
        return factor("deny-only-policy", -1, "The policy only denies: it takes access away (often a quarantine)")
    return None


def trust_widened(s: Subject, ctx: RiskContext) -> Factor | None:
    for principal in trusted_principals(document(s.event.request), ("AWS",)):
        if principal == "*" or principal.endswith(":*"):
            return factor("trust-widened", 1, "The trust policy lets any AWS principal assume the role")
        account = principal.split(":")[4] if principal.startswith("arn:") and principal.count(":") >= 5 else principal
        if account.isascii() and account.isdigit() and s.event.account_id and account != s.event.account_id:
            return factor("trust-widened", 1, f"The trust policy lets AWS account {account} assume the role")
    return None


def federation_unscoped(s: Subject, ctx: RiskContext) -> Factor | None:
    """A web-identity trust without a condition on the token's subject lets every identity the
    provider issues tokens for (every GitHub repository, every service account) assume the role."""
    for st in statements(document(s.event.request)):
        principal = st.get("Principal")
        principal = principal if isinstance(principal, dict) else {}
        federated = [p for p in _listed(principal.get("Federated")) if isinstance(p, str) and "oidc-provider/" in p]
        actions = [str(a) for a in _listed(st.get("Action"))]
        if st.get("Effect") != "Allow" or not federated or not any("AssumeRoleWithWebIdentity" in a for a in actions):
            continue
        condition = str(st.get("Condition") or "")
        if ":sub" not in condition:
            provider = federated[0].rsplit("oidc-provider/", 1)[-1]
            return factor(
                "federation-unscoped",
                1,
                f"The trust policy lets any identity of {provider} assume the role: no condition on the token's sub",
            )
    return None
