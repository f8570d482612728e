"""Who acted: a record's ``userIdentity`` as an :class:`Actor`.

The actor is a function of the ``userIdentity`` object and three facts of the record (a console
session, a sign-in, and the sign-in's MFAUsed), so the fast reader's records, decoded from JSON,
have their actors remembered by the identity's JSON: a log's calls come from a few identities,
and the same JSON makes the same actor (an immutable one, shared by the events).
"""

from __future__ import annotations

from typing import Any

import orjson

from bot.events.model import Actor, JsonObject, new_actor
from bot.events.values import NOTHING, obj, text, truthy

CONSOLE = frozenset({"console.amazonaws.com", "signin.amazonaws.com"})
SIGNIN_SOURCE = "signin.amazonaws.com"
# (identity JSON, console, sign-in, MFAUsed) -> the actor; emptied when full
_ACTORS: dict[tuple[bytes, bool, bool, bool | None], Actor] = {}
_KEPT = 4096


def actor_of(record: JsonObject, source: str, user_agent: str | None, decoded: bool = False) -> Actor:
    """The record's actor. ``decoded``: the record is JSON as orjson decoded it (the fast
    reader's), whose identity's JSON is the identity; other Python values (a UUID, a datetime)
    may write the same JSON as a string they are not."""
    ui = record.get("userIdentity")
    if not isinstance(ui, dict):
        return Actor(type="Unknown", arn=None, name="unknown")
    signin = source == SIGNIN_SOURCE
    used = truthy(obj(record.get("additionalEventData")).get("MFAUsed")) if signin else None
    from_console = record.get("sessionCredentialFromConsole")  # usually absent: no truthy() call
    console = signin or user_agent in CONSOLE or (from_console is not None and bool(truthy(from_console)))
    if not decoded:
        return identity(ui, console, signin, used)
    try:
        key = (orjson.dumps(ui), console, signin, used)
    except orjson.JSONEncodeError:  # pragma: no cover - decoded JSON writes back
        return identity(ui, console, signin, used)
    actor = _ACTORS.get(key)
    if actor is None:
        if len(_ACTORS) >= _KEPT:
            _ACTORS.clear()
        actor = _ACTORS[key] = identity(ui, console, signin, used)
    return actor


def identity(ui: dict[str, Any], console: bool, signin: bool, used: bool | None) -> Actor:
    """The actor a ``userIdentity`` names; ``console``: the record says the call came from the
    console, ``signin``: it is a sign-in, whose ``used`` (MFAUsed) says whether IAM checked MFA."""
    # built once per identity on the fast reader's path (actor_of remembers it): plain text() reads do
    get = ui.get
    kind = text(get("type"), 64) or "Unknown"
    arn = text(get("arn"))
    ctx = get("sessionContext")
    if isinstance(ctx, dict):
        attrs, issuer = ctx.get("attributes"), obj(ctx.get("sessionIssuer"))
        mfa = truthy(attrs.get("mfaAuthenticated")) if isinstance(attrs, dict) else None
    else:
        issuer, mfa = NOTHING, None
    invoked_by = text(get("invokedBy"), 256)
    if mfa is False and kind != "IAMUser" and kind != "Root":
        # A role session's "false" says only that AssumeRole was called without MFA; sessions from
        # IAM Identity Center, SAML or web identity never say true, whatever the IdP enforced.
        mfa = None
    if signin:
        # MFAUsed describes IAM's own MFA check; for federated sign-ins the IdP decides
        federated = kind in ("AssumedRole", "FederatedUser", "SAMLUser", "WebIdentityUser")
        mfa = None if federated else (used if used is not None else mfa)
    console = console or invoked_by in CONSOLE
    user_name = text(get("userName"), 256)
    role_name = session_name = None
    tail = arn.split(":", 5)[-1] if arn and arn.count(":") >= 5 else ""
    if kind == "AssumedRole":
        parts = tail.split("/")
        if len(parts) >= 3:
            role_name, session_name = parts[1] or None, parts[-1] or None
        elif len(parts) == 2:
            role_name = parts[1] or None
        role_name = role_name or text(issuer.get("userName"), 256)
        if role_name and role_name.startswith("AWSReservedSSO_") and session_name:
            name = session_name  # IAM Identity Center: the session name is the person
        elif role_name and session_name:
            name = f"{role_name}/{session_name}"
        else:
            name = role_name or session_name or "unknown role"
    elif kind == "IAMUser":
        name = user_name or (tail.rsplit("/", 1)[-1] if tail else "") or "unknown user"
    elif kind == "Root":
        name = "root"
    elif kind == "FederatedUser":
        name = (tail.rsplit("/", 1)[-1] if tail else "") or user_name or "unknown federated user"
    elif kind == "AWSService":
        name = invoked_by or "an AWS service"
    elif kind == "AWSAccount":
        name = f"account {text(get('accountId'), 64) or '?'}"
    elif kind == "IdentityCenterUser":  # a user of the IAM Identity Center access portal
        behalf = obj(get("onBehalfOf"))
        user_id = text(behalf.get("userId"), 200)
        # the record names the person only by their identity-store id: say what that id is
        name = user_name or (f"Identity Center user {user_id}" if user_id else "an IAM Identity Center user")
    else:
        name = user_name or (arn.rsplit("/", 1)[-1] if arn else None) or text(get("principalId"), 256) or "unknown"
    return new_actor(
        kind,
        arn,
        name[:256],
        text(get("accountId"), 64),
        text(get("principalId"), 256),
        text(get("accessKeyId"), 128),
        user_name,
        role_name,
        session_name,
        text(issuer.get("arn")),
        mfa,
        console,
        invoked_by,
    )
