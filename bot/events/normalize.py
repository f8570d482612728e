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

from bot.events.actor import SIGNIN_SOURCE, actor_of
from bot.events.lower import camel, is_lower
from bot.events.model import IamEvent, JsonObject, RecordError, new_event
from bot.events.values import obj, text, truthy

MAX_DEPTH = 64  # real records nest about 10 deep; policy documents arrive as strings
MAX_ID = 128
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}")
_SOURCE = re.compile(r"[a-z0-9][a-z0-9.-]{0,127}")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_READ_PREFIXES = ("Get", "List", "Describe", "Generate", "Simulate", "Lookup", "Search", "Is")
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
    possible, so the walk that checks the depth is skipped when it is within MAX_DEPTH. Such a
    record is one orjson decoded, whose actor is remembered (:func:`bot.events.actor.actor_of`)."""
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
    if name not in _NAMES_SEEN:  # a name seen matched the pattern, so it is no URL
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
    actor = actor_of(record, source, user_agent, containers is not None)
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
    return new_event(  # IamEvent's fields in order: id, name, source, time, account, region, actor …
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
