"""Contextual severity: the catalog's base severity moved by named factors.

Each factor is a pure function of the event that returns a :class:`Factor` (a step up or
down and a reason a person can read) or None. Generic factors apply to every event; the
rest apply where a catalog entry lists them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import orjson

from bot.catalog import SEVERITIES, Entry
from bot.events import IamEvent


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    delta: int
    reason: str


@dataclass(frozen=True, slots=True)
class RiskContext:
    """What risk scoring knows beyond the event: the bot's own principals (ARN globs)."""

    self_arns: tuple[str, ...] = ()

    def is_self(self, event: IamEvent) -> bool:
        arns = [event.actor.arn or ""]
        issuer = ((event.raw.get("userIdentity") or {}).get("sessionContext") or {}).get("sessionIssuer") or {}
        if isinstance(issuer, dict) and isinstance(issuer.get("arn"), str):
            arns.append(issuer["arn"])
        return any(fnmatch.fnmatchcase(arn, pattern) for pattern in self.self_arns for arn in arns if arn)


@dataclass(frozen=True, slots=True)
class Risk:
    severity: str
    base: str
    factors: tuple[Factor, ...]
    is_self: bool = False

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.factors]


ADMIN_POLICIES = ("/AdministratorAccess", "/IAMFullAccess", "/PowerUserAccess")


def _target_user(event: IamEvent) -> str:
    return event.target.get("user") or event.target.get("principal") or "another principal"


def root_actor(event: IamEvent) -> Factor | None:
    if event.actor.is_root:
        return Factor("root-actor", 1, "Done with the account's root user, which no IAM policy can restrict")
    return None


def console_without_mfa(event: IamEvent) -> Factor | None:
    if event.actor.console and event.actor.mfa is False:
        return Factor("console-without-mfa", 1, f"{event.actor.name} was in a console session signed in without MFA")
    return None


def failed_call(event: IamEvent) -> Factor | None:
    if not event.failed:
        return None
    code = event.error_code or "error"
    if "AccessDenied" in code or "Unauthorized" in code:
        what = f"The call was denied ({code}): nothing changed. This was an attempt"
    else:
        what = f"The call failed ({code}): nothing changed. This was an attempt"
    return Factor("failed-call", -1, what)


def other_principal(event: IamEvent) -> Factor | None:
    if event.acts_on_caller or not (event.target.get("user") or event.target.get("principal")):
        return None
    return Factor(
        "other-principal",
        1,
        f"{event.actor.name} acted on the credentials of {_target_user(event)}, not their own",
    )


def key_reactivated(event: IamEvent) -> Factor | None:
    if str(event.request.get("status", "")).lower() == "active":
        return Factor("key-reactivated", 1, "A credential was set back to Active: something switched off works again")
    return None


def key_deactivated(event: IamEvent) -> Factor | None:
    if str(event.request.get("status", "")).lower() == "inactive":
        return Factor("key-deactivated", -1, "A credential was switched off, which is usually containment or clean-up")
    return None


def password_without_reset(event: IamEvent) -> Factor | None:
    if event.acts_on_caller or "user" not in event.target:
        return None
    if event.request.get("passwordResetRequired") in (True, "true"):
        return None
    user = event.target["user"]
    return Factor(
        "password-without-reset",
        1,
        f"{event.actor.name} set the console password of {user} without requiring a reset at next "
        f"sign-in, so whoever chose it can sign in as {user}",
    )


def _listed(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _statements(document: object) -> list[dict]:
    """The statements of a policy document (a JSON string, as CloudTrail records it, or a dict)."""
    if isinstance(document, str):
        try:
            document = orjson.loads(document)
        except orjson.JSONDecodeError:
            return []
    if not isinstance(document, dict):
        return []
    return [st for st in _listed(document.get("Statement")) if isinstance(st, dict)]


def _policy_allows_everything(document: object) -> bool:
    return any(
        st.get("Effect") == "Allow"
        and any(a in ("*", "iam:*") for a in _listed(st.get("Action")))
        and "*" in _listed(st.get("Resource"))
        for st in _statements(document)
    )


def admin_policy(event: IamEvent) -> Factor | None:
    arn = str(event.request.get("policyArn") or "")
    if arn.endswith(ADMIN_POLICIES):
        return Factor("admin-policy", 1, f"The policy granted is {arn.rsplit('/', 1)[-1]}: full control")
    if _policy_allows_everything(event.request.get("policyDocument")):
        return Factor("admin-policy", 1, "The inline policy allows every action on every resource")
    return None


def deny_only_policy(event: IamEvent) -> Factor | None:
    statements = _statements(event.request.get("policyDocument"))
    if statements and all(st.get("Effect") == "Deny" for st in statements):
        return Factor("deny-only-policy", -1, "The policy only denies: it takes access away (often a quarantine)")
    return None


def _trusted_principals(document: object) -> list[str]:
    found: list[str] = []
    for st in _statements(document):
        if st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        if principal == "*":
            found.append("*")
        elif isinstance(principal, dict):
            found.extend(a for a in _listed(principal.get("AWS")) if isinstance(a, str))
    return found


def trust_widened(event: IamEvent) -> Factor | None:
    document = event.request.get("policyDocument") or event.request.get("assumeRolePolicyDocument")
    for principal in _trusted_principals(document):
        if principal == "*" or principal.endswith(":*"):
            return Factor("trust-widened", 1, "The trust policy lets any AWS principal assume the role")
        account = principal.split(":")[4] if principal.startswith("arn:") and principal.count(":") >= 5 else principal
        if account.isdigit() and event.account_id and account != event.account_id:
            return Factor("trust-widened", 1, f"The trust policy lets AWS account {account} assume the role")
    return None


def root_credential(event: IamEvent) -> Factor | None:
    if event.target.get("user") == "root":
        return Factor("root-credential", 1, "The credential belongs to the root user, which AWS advises never to have")
    return None


FACTORS: dict[str, Callable[[IamEvent], Factor | None]] = {
    "root-actor": root_actor,
    "console-without-mfa": console_without_mfa,
    "failed-call": failed_call,
    "other-principal": other_principal,
    "key-reactivated": key_reactivated,
    "key-deactivated": key_deactivated,
    "password-without-reset": password_without_reset,
    "admin-policy": admin_policy,
    "deny-only-policy": deny_only_policy,
    "trust-widened": trust_widened,
    "root-credential": root_credential,
}
GENERIC = ("root-actor", "console-without-mfa", "failed-call")


def step(severity: str, delta: int) -> str:
    index = SEVERITIES.index(severity) + delta
    return SEVERITIES[max(0, min(len(SEVERITIES) - 1, index))]


def score(event: IamEvent, entry: Entry, context: RiskContext | None = None) -> Risk:
    """Severity for one event: base plus factors; the bot's own calls are info, never threats."""
    context = context or RiskContext()
    if context.is_self(event):
        reason = Factor("bot-principal", 0, "Made by iambot's own principal: a remediation, not a threat")
        return Risk("info", entry.base_severity, (reason,), is_self=True)
    names: Iterable[str] = (*GENERIC, *entry.factors)
    found = tuple(f for f in (FACTORS[n](event) for n in names) if f is not None)
    severity = step(entry.base_severity, sum(f.delta for f in found))
    return Risk(severity, entry.base_severity, found)
