"""Named risk factors: each a pure function of the event (seen through its entry) and what iambot
knows beyond it, returning a step up or down with a reason a person can read, or None.

Generic factors apply to every event; the rest apply where a catalog entry lists them.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.catalog.fields import Subject, document, statements
from bot.events import IamEvent


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    delta: int
    reason: str
    at_least: str | None = None  # a floor: the event is at least this severe


class History(Protocol):
    """What the store remembers of earlier events, for the new-network and repeated-failures factors."""

    def sign_in_sources(self, actor: str, source: str, before: datetime) -> tuple[set[str], set[str]]:
        """(IPs, networks) this actor signed in from before ``before``; empty when unknown."""
        ...

    def failures(self, actor: str | None, source_ip: str | None, source: str, since: datetime, before: datetime) -> int:
        """Failed events of ``source`` by this actor, or from this address, in [since, before)."""
        ...


@dataclass(frozen=True, slots=True)
class RiskContext:
    """What risk scoring knows beyond the event: iambot's own principals and the automation
    principals (ARN globs), and the store's history of sign-ins."""

    self_arns: tuple[str, ...] = ()
    automation_arns: tuple[str, ...] = ()
    history: History | None = None

    def arns_of(self, event: IamEvent) -> list[str]:
        return [a for a in (event.actor.arn, event.actor.issuer_arn) if a]

    def is_self(self, event: IamEvent) -> bool:
        return any(fnmatch.fnmatchcase(a, p) for p in self.self_arns for a in self.arns_of(event))


FactorFn = Callable[[Subject, RiskContext], Factor | None]

ADMIN_POLICIES = ("/AdministratorAccess", "/IAMFullAccess", "/PowerUserAccess", "/AWSOrganizationsFullAccess")
QUARANTINE_POLICIES = ("AWSCompromisedKeyQuarantine", "AWSExposedCredentialPolicy_DO_NOT_REMOVE")
# CloudFormation's calls come from the service itself (sourceIPAddress and userAgent are its
# name, which a client cannot set); the others are known only from the user agent.
IAC_AGENTS = (
    ("terraform", "Terraform"),
    ("hashicorp", "Terraform"),
    ("opentofu", "OpenTofu"),
    ("aws-cdk", "the AWS CDK"),
    ("pulumi", "Pulumi"),
)
# User agents of secret scanners that verify AWS keys by calling STS: TruffleHog sends
# "TruffleHog" (pkg/common/http.go). Gitleaks does not verify keys; GitGuardian's checks run on
# its own servers with an unpublished agent: neither is listed without evidence.
SECRET_SCANNERS = (("trufflehog", "TruffleHog"),)
REPEATED_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


# ------------------------------------------------------------------------------------ generic


def root_actor(s: Subject, ctx: RiskContext) -> Factor | None:
    if s.event.actor.is_root:
        return Factor("root-actor", 1, "Done with the account's root user, which no IAM policy can restrict")
    return None


def console_without_mfa(s: Subject, ctx: RiskContext) -> Factor | None:
    actor = s.event.actor
    if actor.console and actor.mfa is False and not s.event.failed:
        return Factor("console-without-mfa", 1, f"{actor.name} was in a console session signed in without MFA")
    return None


def failed_call(s: Subject, ctx: RiskContext) -> Factor | None:
    code = s.event.error_code
    if code is None:
        return None
    if code == "Failure":
        return Factor("failed-call", -1, "The sign-in failed: nobody got in. This was an attempt")
    kind = "denied" if ("AccessDenied" in code or "Unauthorized" in code) else "failed"
    return Factor("failed-call", -1, f"The call was {kind} ({code}): nothing changed. This was an attempt")


def automation(s: Subject, ctx: RiskContext) -> Factor | None:
    e = s.event
    if "cloudformation.amazonaws.com" in (e.source_ip, e.actor.invoked_by):
        return Factor("automation", -1, "Made by CloudFormation from a stack: a reviewed, repeatable change")
    if any(fnmatch.fnmatchcase(a, p) for p in ctx.automation_arns for a in ctx.arns_of(e)):
        return Factor("automation", -1, f"{e.actor.name} is a configured automation principal (automation_arns)")
    agent = (e.user_agent or "").lower()
    for needle, tool in IAC_AGENTS:
        if needle in agent:
            return Factor(
                "automation", -1, f"Made with {tool}, by its user agent (which the caller sets): likely a reviewed change"
            )
    return None


# ------------------------------------------------------------------------------ principals


def self_or_other(s: Subject, ctx: RiskContext) -> Factor | None:
    """Acting on one's own credentials or login is routine; on someone else's it is how access
    is taken over or kept."""
    user = s.targets.get("user")
    if user is None:
        return None
    actor = s.event.actor
    if s.on_self:
        return Factor("own-principal", 0, f"{actor.name} acted on their own user")
    note = ""
    if actor.session_name and actor.session_name == user:
        note = f" (the session is named {user}, but whoever assumes a role chooses its session name)"
    elif actor.type not in ("IAMUser", "Root"):
        note = f" (a {actor.type} session, not IAM user {user} itself)"
    return Factor("other-principal", 1, f"{actor.name} acted on IAM user {user}, not on their own user{note}")


def root_credential(s: Subject, ctx: RiskContext) -> Factor | None:
    if s.targets.get("user") == "root":
        return Factor("root-credential", 1, "The credential belongs to the root user, which AWS advises never to have")
    return None


def password_without_reset(s: Subject, ctx: RiskContext) -> Factor | None:
    if s.on_self is not False or not s.event.request_recorded:
        return None
    if s.event.request.get("passwordResetRequired") in (True, "true"):
        return None
    user = s.targets["user"]
    return Factor(
        "password-without-reset",
        1,
        f"{s.event.actor.name} set the console password of {user} without requiring a reset at next "
        f"sign-in, so whoever chose it can sign in as {user}",
    )


def _status(s: Subject) -> str:
    value = s.event.request.get("status")
    return value.lower() if isinstance(value, str) else ""


def key_reactivated(s: Subject, ctx: RiskContext) -> Factor | None:
    if _status(s) == "active":
        return Factor("key-reactivated", 1, "A credential was set back to Active: something switched off works again")
    return None


def key_deactivated(s: Subject, ctx: RiskContext) -> Factor | None:
    if _status(s) == "inactive":
        return Factor("key-deactivated", -1, "A credential was switched off, which is usually containment or clean-up")
    return None


# -------------------------------------------------------------------------------- policies


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def quarantined(s: Subject) -> bool:
    r = s.event.request
    names = (r.get("policyArn"), r.get("policyName"))
    wanted = [q.lower() for q in QUARANTINE_POLICIES]
    return any(isinstance(n, str) and any(q in n.lower() for q in wanted) for n in names)


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
    return Factor("aws-quarantine", 0, reason, at_least="high")


def _policy_arns(request: dict[str, Any]) -> list[str]:
    boundary = request.get("permissionsBoundary")
    found = [request.get("policyArn"), request.get("managedPolicyArn"), boundary]
    if isinstance(boundary, dict):
        found.append(boundary.get("managedPolicyArn"))
    return [a for a in found if isinstance(a, str)]


def admin_policy(s: Subject, ctx: RiskContext) -> Factor | None:
    for arn in _policy_arns(s.event.request):
        if arn.endswith(ADMIN_POLICIES):
            return Factor("admin-policy", 1, f"The policy granted is {arn.rsplit('/', 1)[-1]}: full control")
    for st in statements(document(s.event.request)):
        actions = _listed(st.get("Action"))
        if st.get("Effect") == "Allow" and any(a in ("*", "iam:*") for a in actions) and "*" in _listed(st.get("Resource")):
            return Factor("admin-policy", 1, "The policy allows every action on every resource")
    return None


def deny_only_policy(s: Subject, ctx: RiskContext) -> Factor | None:
    found = statements(document(s.event.request))
    if found and not quarantined(s) and all(st.get("Effect") == "Deny" for st in found):
        return Factor("deny-only-policy", -1, "The policy only denies: it takes access away (often a quarantine)")
    return None


def _trusted(doc: object) -> list[str]:
    found: list[str] = []
    for st in statements(doc):
        if st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        if principal == "*":
            found.append("*")
        elif isinstance(principal, dict):
            found.extend(a for a in _listed(principal.get("AWS")) if isinstance(a, str))
    return found


def trust_widened(s: Subject, ctx: RiskContext) -> Factor | None:
    for principal in _trusted(document(s.event.request)):
        if principal == "*" or principal.endswith(":*"):
            return Factor("trust-widened", 1, "The trust policy lets any AWS principal assume the role")
        account = principal.split(":")[4] if principal.startswith("arn:") and principal.count(":") >= 5 else principal
        if account.isdigit() and s.event.account_id and account != s.event.account_id:
            return Factor("trust-widened", 1, f"The trust policy lets AWS account {account} assume the role")
    return None


# --------------------------------------------------------------------------------- sign-in


def network_of(ip: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) an address belongs to; None for "AWS Internal" and names."""
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def new_network(s: Subject, ctx: RiskContext) -> Factor | None:
    e = s.event
    net = network_of(e.source_ip)
    who = e.actor.arn or e.actor.name
    if ctx.history is None or net is None or e.failed:
        return None
    ips, nets = ctx.history.sign_in_sources(who, e.event_source, e.event_time)
    if not ips or e.source_ip in ips:
        return None  # no history to compare with, or a known address
    if net in nets:
        return Factor("new-network", 0, f"First sign-in of {e.actor.name} from {e.source_ip}, in a network seen before")
    return Factor(
        "new-network",
        1,
        f"{e.actor.name} signed in from {e.source_ip}, a network iambot has not seen for them "
        f"(seen before: {len(nets)} network(s))",
    )


def federation_unscoped(s: Subject, ctx: RiskContext) -> Factor | None:
    """A web-identity trust without a condition on the token's subject lets every identity the
    provider issues tokens for (every GitHub repository, every service account) assume the role."""
    for st in statements(document(s.event.request)):
        principal = st.get("Principal") if isinstance(st.get("Principal"), dict) else {}
        federated = [p for p in _listed(principal.get("Federated")) if isinstance(p, str) and "oidc-provider/" in p]
        actions = [str(a) for a in _listed(st.get("Action"))]
        if st.get("Effect") != "Allow" or not federated or not any("AssumeRoleWithWebIdentity" in a for a in actions):
            continue
        condition = str(st.get("Condition") or "")
        if ":sub" not in condition:
            provider = federated[0].rsplit("oidc-provider/", 1)[-1]
            return Factor(
                "federation-unscoped",
                1,
                f"The trust policy lets any identity of {provider} assume the role: no condition on the token's sub",
            )
    return None


def repeated_failures(s: Subject, ctx: RiskContext) -> Factor | None:
    e = s.event
    if ctx.history is None or not e.failed:
        return None
    count = ctx.history.failures(e.actor.arn, e.source_ip, e.event_source, e.event_time - FAILURE_WINDOW, e.event_time)
    if count + 1 < REPEATED_FAILURES:
        return None
    who = e.actor.name if e.actor.arn else f"from {e.source_ip}"
    return Factor(
        "repeated-failures",
        1,
        f"{count + 1} failures {who} in 15 minutes: guessing, or a tool retrying a credential that no longer works",
        at_least="medium",
    )


def secret_scanner(s: Subject, ctx: RiskContext) -> Factor | None:
    agent = (s.event.user_agent or "").lower()
    for needle, tool in SECRET_SCANNERS:
        if needle in agent:
            return Factor(
                "secret-scanner",
                2,
                f"The user agent is {tool}, a secret scanner: someone is checking whether the access key "
                f"{s.event.actor.access_key_id or ''} works, which usually means it was found somewhere it should not be",
                at_least="high",
            )
    return None


GENERIC: dict[str, FactorFn] = {
    "root-actor": root_actor,
    "console-without-mfa": console_without_mfa,
    "failed-call": failed_call,
    "automation": automation,
}
LISTED: dict[str, FactorFn] = {
    "self-or-other": self_or_other,
    "root-credential": root_credential,
    "password-without-reset": password_without_reset,
    "key-reactivated": key_reactivated,
    "key-deactivated": key_deactivated,
    "aws-quarantine": aws_quarantine,
    "admin-policy": admin_policy,
    "deny-only-policy": deny_only_policy,
    "trust-widened": trust_widened,
    "new-network": new_network,
    "repeated-failures": repeated_failures,
    "federation-unscoped": federation_unscoped,
    "secret-scanner": secret_scanner,
}
FACTORS: dict[str, FactorFn] = {**GENERIC, **LISTED}
