"""One CloudTrail record to one :class:`IamEvent`, whatever the record holds.

``normalize`` is total: any JSON value either becomes an event or raises :class:`RecordError`
with a reason a person can read. Fields of the wrong type are treated as absent, never trusted.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from bot.events.lower import camel, is_lower
from bot.events.model import Actor, IamEvent, JsonObject, RecordError, new_actor, new_event

MAX_DEPTH = 64  # real records nest about 10 deep; policy documents arrive as strings
MAX_ID = 128
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}")
_SOURCE = re.compile(r"[a-z0-9][a-z0-9.-]{0,127}")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_CONSOLE = frozenset({"console.amazonaws.com", "signin.amazonaws.com"})
_WORDS = {"true": True, "false": False}
_NOTHING: JsonObject = {}  # an absent object, read in place of one (never stored or written)
_READ_PREFIXES = ("Get", "List", "Describe", "Generate", "Simulate", "Lookup", "Search", "Is")
SIGNIN_SOURCE = "signin.amazonaws.com"
SSO_SOURCE = "sso.amazonaws.com"
# Older records of the AWS access portal name the event by the URL called, e.g.
# "https://portal.sso.us-east-1.amazonaws.com/instance/appinstances" (the IAM Identity Center user
# guide's example). The paths are the portal API's (its service model's requestUri), and the
# legacy portal's list of applications.
PORTAL_PATHS = {
    "/federation/credentials": "GetRoleCredentials",
    "/assignment/accounts": "ListAccounts",
    "/assignment/roles": "ListAccountRoles",
    "/logout": "Logout",
    "/instance/appinstances": "ListApplications",
}
_PORTAL_HOST = re.compile(r"portal\.sso(\.[a-z0-9-]{1,32})?\.amazonaws\.com(\.cn)?")


def clipped(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_time(value: Any) -> datetime:
    """CloudTrail time to an aware UTC datetime.

    Accepts AWS's ``2024-08-28T09:54:40Z`` and the forms seen in published fixtures:
    ``2022-09-15 13:45:24`` and nanosecond fractions ``2023-01-03 01:52:07.000000000``.
    """
    if type(value) is str and value[-1:] == "Z" and "." not in value and len(value) <= 64:
        # AWS's form, read as is: Python reads "Z" as it reads "+00:00" below, at a third of the cost
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            pass  # the general path below says why
        else:
            if dt.tzinfo is UTC:
                return dt
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and 0 < len(value.strip()) <= 64:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        if "." in text:
            text = _FRACTION.sub(r"\1", text)
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise RecordError(f"eventTime {clipped(value)} is not a time") from None
    else:
        raise RecordError(f"eventTime {clipped(value)} is not a time")
    try:
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (OverflowError, ValueError):
        raise RecordError(f"eventTime {clipped(value)} is out of range") from None


def truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in _WORDS:  # as CloudTrail writes them
            return _WORDS[value]
        v = value.strip().lower()
        if v in {"true", "yes"}:
            return True
        if v in {"false", "no"}:
            return False
    return None


def text(value: Any, limit: int = 2048) -> str | None:
    """A non-empty string field, or None; numbers are kept as text (account ids arrive as both)."""
    if value is None:  # the callers below read strings in place and come here mostly for absent fields
        return None
    if type(value) is str:  # nearly every call: decoded JSON strings are exactly str
        return value[:limit] if value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str) and value:
        return value[:limit]
    return None


def obj(value: Any) -> JsonObject:
    return value if isinstance(value, dict) else {}


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests deeper than ``limit`` (checked without recursion, a level at a
    time, looking only at the containers: the values inside a container at ``limit`` are too deep)."""
    if limit < 0:
        return True
    containers = [value] if isinstance(value, dict | list) else []
    level = 0
    while containers:
        if level >= limit:
            return level > limit or any(containers)
        deeper = []
        for container in containers:
            for item in container.values() if isinstance(container, dict) else container:
                if isinstance(item, dict | list):
                    deeper.append(item)
        containers = deeper
        level += 1
    return False


def record_id(record: JsonObject) -> str:
    """The record's eventID, or a stable hash of the record when it has none."""
    event_id = record.get("eventID")
    if isinstance(event_id, str) and 0 < len(event_id) <= MAX_ID and event_id.isprintable():
        return event_id
    try:
        body = orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=repr)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise RecordError(f"record cannot be serialized: {exc}") from None
    return "sha256:" + hashlib.sha256(body).hexdigest()[:32]


def _actor(record: JsonObject, source: str, user_agent: str | None) -> Actor:
    # A record asks for a dozen fields: each string is cut to its limit in place (a string
    # already shorter is the same object) and only other values go through text().
    ui = record.get("userIdentity")
    if not isinstance(ui, dict):
        return Actor(type="Unknown", arn=None, name="unknown")
    get = ui.get
    kind = v[:64] if type(v := get("type")) is str and v else (text(v, 64) or "Unknown")
    arn = v[:2048] if type(v := get("arn")) is str and v else text(v)
    ctx = get("sessionContext")
    if isinstance(ctx, dict):
        attrs, issuer = ctx.get("attributes"), obj(ctx.get("sessionIssuer"))
        mfa = truthy(attrs.get("mfaAuthenticated")) if isinstance(attrs, dict) else None
    else:
        issuer, mfa = _NOTHING, None
    invoked_by = v[:256] if type(v := get("invokedBy")) is str and v else text(v, 256)
    if mfa is False and kind != "IAMUser" and kind != "Root":
        # A role session's "false" says only that AssumeRole was called without MFA; sessions from
        # IAM Identity Center, SAML or web identity never say true, whatever the IdP enforced.
        mfa = None
    if source == SIGNIN_SOURCE:
        # MFAUsed describes IAM's own MFA check; for federated sign-ins the IdP decides
        used = truthy(obj(record.get("additionalEventData")).get("MFAUsed"))
        federated = kind in ("AssumedRole", "FederatedUser", "SAMLUser", "WebIdentityUser")
        mfa = None if federated else (used if used is not None else mfa)
        console = True
    else:
        console = bool(
            truthy(record.get("sessionCredentialFromConsole")) or user_agent in _CONSOLE or invoked_by in _CONSOLE
        )
    user_name = v[:256] if type(v := get("userName")) is str and v else text(v, 256)
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
        v[:64] if type(v := get("accountId")) is str and v else text(v, 64),
        v[:256] if type(v := get("principalId")) is str and v else text(v, 256),
        v[:128] if type(v := get("accessKeyId")) is str and v else text(v, 128),
        user_name,
        role_name,
        session_name,
        v[:2048] if type(v := issuer.get("arn")) is str and v else text(v),
        mfa,
        console,
        invoked_by,
    )


def _signin_failed(record: JsonObject, name: str, response: JsonObject) -> bool:
    """A failed sign-in has no errorCode: CloudTrail writes responseElements
    {"ConsoleLogin": "Failure"} (IAM Identity Center: serviceEventDetails
    {"CredentialVerification": "Failure"}) and an errorMessage; it is reported as "Failure"."""
    details = obj(record.get("serviceEventDetails"))
    return "Failure" in (text(response.get(name), 64), text(details.get(name), 64))


def portal_name(name: str, source: Any) -> str | None:
    """The API name of an access-portal event recorded by URL, or None when it is not one."""
    if source != SSO_SOURCE or not name.startswith("https://") or len(name) > 2048:
        return None
    try:
        url = urlsplit(name)
    except ValueError:
        return None
    if not _PORTAL_HOST.fullmatch(url.hostname or ""):
        return None
    return PORTAL_PATHS.get(url.path.rstrip("/") or "/")


# Event names and sources that passed their pattern: a log repeats a few hundred of them, so each
# is matched once (bounded: a hostile input of endless new names is matched name by name).
_NAMES_SEEN: set[str] = set()
_SOURCES_SEEN: set[str] = set()
_KEPT = 10_000


def _checked(pattern: re.Pattern[str], value: str, seen: set[str]) -> bool:
    if not pattern.fullmatch(value):
        return False
    if len(seen) < _KEPT:
        seen.add(value)
    return True


def normalize(record: Any, origin: str = "", containers: int | None = None) -> IamEvent:
    """One CloudTrail record (already decoded) to an IamEvent. Raises RecordError.

    ``containers``: at most how many objects and arrays the record holds, when the caller knows
    (the fast reader counts brackets in the record's JSON); no deeper nesting than that is
    possible, so the walk that checks the depth is skipped when it is within MAX_DEPTH."""
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    get = record.get
    name = get("eventName")
    if name is None and is_lower(record):  # Athena's CloudTrail table: lower-case keys, JSON strings
        record, containers = camel(record), None  # the parsed strings hold containers of their own
        get = record.get
        name = get("eventName")
    if not isinstance(name, str) or not name:
        raise RecordError("record has no eventName")
    if name.startswith("https://"):
        name = portal_name(name, get("eventSource")) or name
    if name not in _NAMES_SEEN and not _checked(_EVENT_NAME, name, _NAMES_SEEN):
        raise RecordError(f"eventName {clipped(name)} is not an API call name")
    source = get("eventSource")
    if not isinstance(source, str) or not source:
        raise RecordError(f"{name} record has no eventSource")
    if source not in _SOURCES_SEEN and not _checked(_SOURCE, source, _SOURCES_SEEN):
        raise RecordError(f"eventSource {clipped(source)} is not a service endpoint")
    when = parse_time(get("eventTime"))
    if (containers is None or containers > MAX_DEPTH) and depth_exceeds(record):
        raise RecordError(f"{name} record nests deeper than {MAX_DEPTH} levels")
    user_agent = v[:1024] if type(v := get("userAgent")) is str and v else text(v, 1024)
    actor = _actor(record, source, user_agent)
    raw_request = get("requestParameters")
    request = raw_request if isinstance(raw_request, dict) else {}
    response = v if isinstance(v := get("responseElements"), dict) else {}
    error_code = v[:256] if type(v := get("errorCode")) is str and v else text(v, 256)
    if error_code is None and source == SIGNIN_SOURCE and _signin_failed(record, name, response):
        error_code = "Failure"
    read_only = v if type(v := get("readOnly")) is bool else truthy(v)
    if read_only is None:
        read_only = name.startswith(_READ_PREFIXES)
    event_id = get("eventID")
    if not (type(event_id) is str and 0 < len(event_id) <= MAX_ID and event_id.isprintable()):
        event_id = record_id(record)
    return new_event(
        event_id,
        name,
        source,
        when,
        (v[:64] if type(v := get("recipientAccountId")) is str and v else text(v, 64)) or actor.account_id,
        v[:64] if type(v := get("awsRegion")) is str and v else text(v, 64),
        actor,
        v[:256] if type(v := get("sourceIPAddress")) is str and v else text(v, 256),
        user_agent,
        request,
        response,
        v if isinstance(v := get("additionalEventData"), dict) else {},
        error_code,
        v[:4096] if type(v := get("errorMessage")) is str and v else text(v, 4096),
        read_only,
        isinstance(raw_request, dict),
        record,
        origin,
    )
