"""Named risk factors: each a pure function of the event (seen through its entry) and what iambot
knows beyond it, returning a step up or down with a reason a person can read, or None.

Generic factors apply to every event; the rest apply where a catalog entry lists them. The
policy factors are in ``policies.py``, the sign-in and history factors in ``signin.py``, the
feed's integrity in ``feed.py``.
"""

from __future__ import annotations

import fnmatch
import functools

from bot.assess.base import Factor, FactorFn, History, RiskContext, factor
from bot.assess.feed import own_feed, selectors_drop_management, trail_weakened
from bot.assess.policies import (
    admin_policy,
    aws_quarantine,
    deny_only_policy,
    federation_unscoped,
    trust_widened,
)
from bot.assess.sequences import aims_at_self, is_denied
from bot.assess.signin import network_of, new_network, repeated_failures, secret_scanner
from bot.catalog.fields import Subject
from bot.events import IamEvent

# CloudFormation's calls come from the service itself (sourceIPAddress and userAgent are its
# name, which a client cannot set); the others are known only from the user agent.
CLOUDFORMATION = "cloudformation.amazonaws.com"
IAC_AGENTS = (
    ("terraform", "Terraform"),
    ("hashicorp", "Terraform"),
    ("opentofu", "OpenTofu"),
    ("aws-cdk", "the AWS CDK"),
    ("pulumi", "Pulumi"),
)


# ------------------------------------------------------------------------------------ generic


def root_actor(s: Subject, ctx: RiskContext) -> Factor | None:
    """Any use of the root user is worth a look now (CIS AWS Foundations 1.7 and its root-usage
    alarm), so its calls are at least high; a sign-in keeps its entry's judgement (a failed one is
    somebody trying, a sign-in with MFA is routine root use), and so does a call an AWS service
    made for root (``invokedBy``), which the CIS alarm leaves out too."""
    e = s.event
    if not e.actor.is_root:
        return None
    floor = None if e.event_source == "signin.amazonaws.com" or e.actor.invoked_by else "high"
    return factor("root-actor", 1, "Done with the account's root user, which no IAM policy can restrict", floor)


def console_without_mfa(s: Subject, ctx: RiskContext) -> Factor | None:
    actor = s.event.actor
    if actor.console and actor.mfa is False and not s.event.failed:
        return factor("console-without-mfa", 1, f"{actor.name} was in a console session signed in without MFA")
    return None


def failed_call(s: Subject, ctx: RiskContext) -> Factor | None:
    code = s.event.error_code
    if code is None:
        return None
    if code == "Failure":
        return factor("failed-call", -1, "The sign-in failed: nobody got in. This was an attempt")
    outcome = "was denied" if ("AccessDenied" in code or "Unauthorized" in code) else "failed"
    return factor("failed-call", -1, f"The call {outcome} ({code}): nothing changed. This was an attempt")


def automation(s: Subject, ctx: RiskContext) -> Factor | None:
    e = s.event
    if e.source_ip == CLOUDFORMATION or e.actor.invoked_by == CLOUDFORMATION:
        return factor("automation", -1, "Made by CloudFormation from a stack: a reviewed, repeatable change")
    if ctx.automation_arns and any(fnmatch.fnmatchcase(a, p) for p in ctx.automation_arns for a in ctx.arns_of(e)):
        return factor("automation", -1, f"{e.actor.name} is a configured automation principal (automation_arns)")
    tool = iac_tool(e.user_agent)
    if tool is not None:
        reason = f"Made with {tool}, by its user agent (which the caller sets): likely a reviewed change"
        return factor("automation", -1, reason)
    return None


def generic_quiet(e: IamEvent, ctx: RiskContext) -> bool:
    """No generic factor can fire on this event: the first test of each of them, together. Most
    events pass all four, and the tests cost a third of the four calls (tests/assess/test_plan.py
    holds them to the factors: quiet means every generic factor returns None)."""
    actor = e.actor
    return (
        e.error_code is None  # failed-call
        and actor.type != "Root"  # root-actor
        and not (actor.console and actor.mfa is False)  # console-without-mfa
        and e.source_ip != CLOUDFORMATION  # automation, each of its ways
        and actor.invoked_by != CLOUDFORMATION
        and not ctx.automation_arns
        and iac_tool(e.user_agent) is None
    )


@functools.lru_cache(maxsize=1024)  # a trail's user agents repeat: each SDK, CLI and tool sends its own
def iac_tool(agent: str | None) -> str | None:
    """The infrastructure-as-code tool a user agent names, if any."""
    text = (agent or "").lower()
    for needle, tool in IAC_AGENTS:
        if needle in text:
            return tool
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
        verb = "tried to act" if s.event.failed else "acted"
        return factor("own-principal", 0, f"{actor.name} {verb} on their own user")
    note = ""
    if actor.session_name and actor.session_name == user:
        note = f" (the session is named {user}, but whoever assumes a role chooses its session name)"
    elif actor.type not in ("IAMUser", "Root"):
        kind = {"AssumedRole": "role", "FederatedUser": "federated"}.get(actor.type, actor.type)
        note = f" (a {kind} session, not IAM user {user} itself)"
    return factor("other-principal", 1, f"{actor.name} acted on IAM user {user}, not on their own user{note}")


def self_escalation(s: Subject, ctx: RiskContext) -> Factor | None:
    """A denied call aimed at the caller's own IAM user: what the sequences call a self-escalation
    attempt, named on the one event too. No step: the denial's own step down stands, and a run of
    them becomes one sequence alert."""
    e = s.event
    if not is_denied(e) or not aims_at_self(e, s.targets):
        return None
    user = s.targets.get("user") or e.actor.user_name
    return factor(
        "self-escalation",
        0,
        f"{e.actor.name} was denied {e.event_name} aimed at their own IAM user {user}: a self-escalation attempt",
    )


def root_credential(s: Subject, ctx: RiskContext) -> Factor | None:
    if s.targets.get("user") == "root":
        return factor("root-credential", 1, "The credential belongs to the root user, which AWS advises never to have")
    return None


def password_without_reset(s: Subject, ctx: RiskContext) -> Factor | None:
    if s.on_self is not False or not s.event.request_recorded:
        return None
    if s.event.request.get("passwordResetRequired") in (True, "true"):
        return None
    user = s.targets["user"]
    return factor(
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
        return factor("key-reactivated", 1, "A credential was set back to Active: something switched off works again")
    return None


def key_deactivated(s: Subject, ctx: RiskContext) -> Factor | None:
    if _status(s) == "inactive":
        return factor("key-deactivated", -1, "A credential was switched off, which is usually containment or clean-up")
    return None


GENERIC: dict[str, FactorFn] = {
    "root-actor": root_actor,
    "console-without-mfa": console_without_mfa,
    "failed-call": failed_call,
    "automation": automation,
}
LISTED: dict[str, FactorFn] = {
    "self-or-other": self_or_other,
    "self-escalation": self_escalation,
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
    "own-feed": own_feed,
    "selectors-drop-management": selectors_drop_management,
    "trail-weakened": trail_weakened,
}
FACTORS: dict[str, FactorFn] = {**GENERIC, **LISTED}
# The listed factors that read the call's request parameters and nothing else: on a call without
# any (a third of events: sign-ins, most reads and denials) none of them can fire, and a plan
# leaves them out (tests/assess/test_plan.py holds them to it).
REQUEST_ONLY = frozenset(
    {
        "aws-quarantine",
        "admin-policy",
        "deny-only-policy",
        "trust-widened",
        "federation-unscoped",
        "key-reactivated",
        "key-deactivated",
        "selectors-drop-management",
        "trail-weakened",
    }
)

__all__ = ["FACTORS", "GENERIC", "REQUEST_ONLY", "Factor", "FactorFn", "History", "RiskContext", "network_of"]
