"""Blast radius: a few short lines a plan carries (``Plan.impact``) about what its target can do and
who depends on it, read before anyone approves.

Each line comes from one read that the remediation showing it declares in its ``permissions``, so
the least-privilege test covers it. A read that fails (refused, throttled, the thing gone) never
stops the plan: its line says what could not be read, and why. The formatters are pure functions of
what IAM answered, and total: a trust policy document is whatever its author wrote. Impact is not
part of ``Plan.expected``: a key used again between approval and execution is not drift.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import unquote

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as EndpointUnreachable

from remediations._login_profile import login_profile
from remediations.base import error_code

log = logging.getLogger(__name__)

MAX_LINES = 5
LINE = 120  # characters a line is clipped to
SHOWN = 3  # names shown before "+N more"
ADMIN_LIKE = frozenset({"AdministratorAccess", "IAMFullAccess", "PowerUserAccess"})

T = TypeVar("T")


# ---------------------------------------------------------------- formatting (pure, total)


def clip(text: str, limit: int = LINE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bounded(lines: Iterable[str]) -> list[str]:
    """At most MAX_LINES lines, each at most LINE characters."""
    return [clip(line) for line in lines][:MAX_LINES]


def names(items: Iterable[Any], shown: int = SHOWN) -> str:
    """a, b, c +2 more"""
    listed = [str(i) for i in items]
    head = ", ".join(listed[:shown])
    return head + (f" +{len(listed) - shown} more" if len(listed) > shown else "")


def counted(label: str, items: Iterable[Any]) -> str:
    """Groups (2): admins, devs — or Groups: none"""
    listed = list(items)
    return f"{label} ({len(listed)}): {names(listed)}" if listed else f"{label}: none"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def ago(when: datetime, now: datetime) -> str:
    """2026-11-20 14:03 UTC (2 days ago)"""
    try:
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        seconds = (now.replace(tzinfo=now.tzinfo or UTC) - when).total_seconds()
    except OverflowError:  # a time at the very edge of what datetime holds
        return when.isoformat()
    stamp = when.strftime("%Y-%m-%d %H:%M UTC")
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            return f"{stamp} ({_plural(int(seconds // size), unit)} ago)"
    return f"{stamp} (just now)" if seconds >= 0 else stamp


def _known(value: Any) -> str | None:
    """IAM's "N/A" (and anything that is not a name) as None."""
    return value if isinstance(value, str) and value and value != "N/A" else None


def key_last_used_line(info: Any, now: datetime) -> str:
    """From GetAccessKeyLastUsed's AccessKeyLastUsed."""
    info = info if isinstance(info, Mapping) else {}
    used = info.get("LastUsedDate")
    if not isinstance(used, datetime):
        return "Key last used: never"
    service, region = _known(info.get("ServiceName")), _known(info.get("Region"))
    where = " in ".join(p for p in (service, region) if p)
    return f"Key last used: {ago(used, now)}" + (f", {where}" if where else "")


def policy_name(arn: Any) -> str:
    return str(arn).rsplit("/", 1)[-1]


def admin_like(arn: Any) -> bool:
    """AdministratorAccess, IAMFullAccess or PowerUserAccess, by name (an AWS-managed policy or one
    that borrows its name)."""
    return policy_name(arn) in ADMIN_LIKE


def attached_line(arns: Iterable[Any]) -> str:
    """Attached policies (2): AdministratorAccess (admin-like), ReadOnlyAccess — admin-like ones first."""
    listed = sorted((str(a) for a in arns), key=lambda a: (not admin_like(a), policy_name(a)))
    shown = [policy_name(a) + (" (admin-like)" if admin_like(a) else "") for a in listed]
    return counted("Attached policies", shown)


def console_line(profile: Any) -> str:
    """From GetLoginProfile's LoginProfile (None: the user has no console password)."""
    if not isinstance(profile, Mapping):
        return "Console access: no"
    if profile.get("PasswordResetRequired"):
        return "Console access: yes (a new password must be chosen at next sign-in)"
    return "Console access: yes"


def mfa_line(devices: Iterable[Any]) -> str:
    count = len(list(devices))
    return f"MFA devices: {count}" if count else "MFA devices: none"


def keys_line(keys: Iterable[Any]) -> str:
    """From ListAccessKeys' AccessKeyMetadata: how many are active and inactive."""
    statuses = [k.get("Status") if isinstance(k, Mapping) else None for k in keys]
    active = statuses.count("Active")
    return f"Access keys: {active} active, {len(statuses) - active} inactive" if statuses else "Access keys: none"


def attached_to_line(entities: Mapping[str, Iterable[Any]]) -> str:
    """Attached to 1 user (alice), 1 role (deploy) — from ListEntitiesForPolicy's names per kind."""
    parts = []
    for kind in ("user", "group", "role"):
        listed = list(entities.get(kind, ()))
        if listed:
            parts.append(f"{_plural(len(listed), kind)} ({names(listed)})")
    return "Attached to " + ", ".join(parts) if parts else "Attached to no user, group or role"


def document(value: Any) -> Any:
    """A policy document as JSON data: botocore decodes IAM's URL-encoded JSON, a stub may not; None
    for text that is not JSON."""
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, str):
        text = value.strip()
        try:
            return json.loads(text if text.startswith("{") else unquote(text))
        except ValueError:
            return None
    return value


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def principals(doc: Any) -> list[tuple[str, str]]:
    """(kind, value) of every principal an Allow statement names: ("*", "*") for anyone (a
    ``Principal: "*"``, an ``AWS: "*"`` or a ``NotPrincipal``), else ("AWS" | "Service" |
    "Federated" | "CanonicalUser", value)."""
    doc = document(doc)
    found: list[tuple[str, str]] = []
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    for st in _listed(statements):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in st or st.get("Principal") == "*":
            found.append(("*", "*"))
            continue
        principal = st.get("Principal")
        if not isinstance(principal, dict):
            continue
        for kind, values in principal.items():
            for value in _listed(values):
                if isinstance(value, str) and value:
                    found.append(("*", "*") if value == "*" and kind == "AWS" else (str(kind), value))
    return list(dict.fromkeys(found))


def account_of(arn: Any) -> str | None:
    """The account of an ARN (or a bare 12-digit account id)."""
    text = str(arn)
    if text.isdigit() and len(text) == 12:
        return text
    parts = text.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" and parts[4].isdigit() else None


def _aws_label(value: str, own: str | None) -> str:
    account = account_of(value)
    if account is None:
        return value
    rest = value.split(":", 5)[5] if value.startswith("arn:") else "root"
    label = account if rest == "root" else f"{account} {rest}"
    if own and account == own:
        return "this account" if rest == "root" else f"this account's {rest}"
    return f"{label} (cross-account)" if own else label


def _federated_label(value: str) -> str:
    if value.startswith("arn:") and ":oidc-provider/" in value:
        return "OIDC " + value.split(":oidc-provider/", 1)[1]
    if value.startswith("arn:") and ":saml-provider/" in value:
        return "SAML " + value.split(":saml-provider/", 1)[1]
    return value


def trust_lines(doc: Any, own_account: str | None = None) -> list[str]:
    """Who may assume a role, from its trust policy, a line per kind: anyone, services, AWS accounts
    and principals (marked cross-account when the role's own account is known), federated providers."""
    found = principals(doc)
    if not found:
        return ["Nobody may assume it (no Allow statement names a principal)"]
    kinds = (
        ("Services that may assume it", [v for k, v in found if k == "Service"]),
        ("AWS principals that may assume it", [_aws_label(v, own_account) for k, v in found if k == "AWS"]),
        ("Identity providers it trusts", [_federated_label(v) for k, v in found if k == "Federated"]),
        ("Other principals it trusts", [f"{k} {v}" for k, v in found if k not in ("*", "Service", "AWS", "Federated")]),
    )
    anyone = ["ANYONE may assume it (Principal *)"] if ("*", "*") in found else []
    return anyone + [f"{label}: {names(values)}" for label, values in kinds if values]


def role_last_used_line(last: Any, now: datetime) -> str:
    """From GetRole's RoleLastUsed (IAM tracks the last 400 days)."""
    last = last if isinstance(last, Mapping) else {}
    used = last.get("LastUsedDate")
    if not isinstance(used, datetime):
        return "Role last used: not in the 400 days IAM tracks"
    region = _known(last.get("Region"))
    return f"Role last used: {ago(used, now)}" + (f" in {region}" if region else "")


# ---------------------------------------------------------------- reads (each one never raises)


def read(what: str, fetch: Callable[[], T], show: Callable[[T], str]) -> str:
    """``show(fetch())``, or a line saying that ``what`` could not be read: IAM answered with an error
    (refused, throttled after retries, no such entity) or did not answer at all."""
    try:
        value = fetch()
    except (ClientError, EndpointUnreachable, HTTPClientError) as exc:
        why = (error_code(exc) if isinstance(exc, ClientError) else "") or type(exc).__name__
        log.warning("impact read failed", extra={"read": what, "error": why})
        return clip(f"Could not read {what} ({why})")
    return clip(show(value))


def _all(iam: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    found: list[Any] = []
    for page in iam.get_paginator(operation).paginate(**kwargs):
        found.extend(page.get(key, []))
    return found


def _of_user(iam: Any, operation: str, key: str, field: str | None, user_name: str) -> Callable[[], list[Any]]:
    """A read of one of the user's lists (each item's ``field``, or the items themselves)."""

    def fetch() -> list[Any]:
        items = _all(iam, operation, key, UserName=user_name)
        return [item.get(field) if isinstance(item, Mapping) else item for item in items] if field else items

    return fetch


def key_impact(iam: Any, user_name: str, access_key_id: str, now: datetime | None = None) -> list[str]:
    """When and where the key was last used, and what its user can do (attached policies, admin-like
    or not by name; inline policies; groups). Reads: iam:GetAccessKeyLastUsed,
    iam:ListAttachedUserPolicies, iam:ListUserPolicies, iam:ListGroupsForUser."""
    at = now or datetime.now(UTC)

    def last_used() -> Any:
        return iam.get_access_key_last_used(AccessKeyId=access_key_id).get("AccessKeyLastUsed")

    attached = _of_user(iam, "list_attached_user_policies", "AttachedPolicies", "PolicyArn", user_name)
    inline = _of_user(iam, "list_user_policies", "PolicyNames", None, user_name)
    groups = _of_user(iam, "list_groups_for_user", "Groups", "GroupName", user_name)
    return bounded(
        [
            read("when the key was last used", last_used, lambda info: key_last_used_line(info, at)),
            read("the user's attached policies", attached, attached_line),
            read("the user's inline policies", inline, lambda found: counted("Inline policies", found)),
            read("the user's groups", groups, lambda found: counted("Groups", found)),
        ]
    )


def credentials_impact(iam: Any, user_name: str) -> list[str]:
    """The user's MFA devices and access keys. Reads: iam:ListMFADevices, iam:ListAccessKeys."""
    devices = _of_user(iam, "list_mfa_devices", "MFADevices", None, user_name)
    keys = _of_user(iam, "list_access_keys", "AccessKeyMetadata", None, user_name)
    return bounded([read("the user's MFA devices", devices, mfa_line), read("the user's access keys", keys, keys_line)])


def user_impact(iam: Any, user_name: str) -> list[str]:
    """Console access, MFA devices, access keys. Reads: iam:GetLoginProfile and credentials_impact's."""
    console = read("the user's console access", lambda: login_profile(iam, user_name), console_line)
    return bounded([console, *credentials_impact(iam, user_name)])


def role_impact(role: Mapping[str, Any], now: datetime | None = None) -> list[str]:
    """Who may assume the role and when it was last used, from GetRole's Role (already read)."""
    trust = trust_lines(role.get("AssumeRolePolicyDocument"), account_of(role.get("Arn")))
    used = role_last_used_line(role.get("RoleLastUsed"), now or datetime.now(UTC))
    return bounded([*trust[: MAX_LINES - 1], used])


def _entities(iam: Any, policy_arn: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"user": [], "group": [], "role": []}
    for page in iam.get_paginator("list_entities_for_policy").paginate(PolicyArn=policy_arn):
        for kind in found:
            key = f"Policy{kind.capitalize()}s"
            found[kind].extend(str(item.get(f"{kind.capitalize()}Name")) for item in page.get(key, []))
    return found


def policy_impact(iam: Any, policy_arn: str) -> list[str]:
    """What the managed policy is attached to. Reads: iam:ListEntitiesForPolicy."""
    return bounded([read("what the policy is attached to", lambda: _entities(iam, policy_arn), attached_to_line)])


def roles_trusting(iam: Any, provider_arn: str) -> list[str]:
    """Names of the roles whose trust policy allows the provider (OIDC or SAML) as a federated
    principal. Raises what ListRoles raises."""
    found = []
    for role in _all(iam, "list_roles", "Roles"):
        if ("Federated", provider_arn) in principals(role.get("AssumeRolePolicyDocument")):
            found.append(str(role.get("RoleName")))
    return sorted(found)


def trusting_line(roles: Iterable[str]) -> str:
    return counted("Roles that trust it", roles)


def provider_impact(iam: Any, provider_arn: str) -> list[str]:
    """The roles that trust the identity provider. Reads: iam:ListRoles."""
    return bounded([read("which roles trust the provider", lambda: roles_trusting(iam, provider_arn), trusting_line)])
