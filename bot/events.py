"""Normalized IAM CloudTrail events and readers for every shape CloudTrail reaches people in.

One CloudTrail record becomes one :class:`IamEvent`. Readers accept a single record, the S3
delivery document ``{"Records": [...]}`` (plain or ``.json.gz``), a JSON array, JSON Lines,
the EventBridge envelope (``"detail-type": "AWS API Call via CloudTrail"``) and directories
of these. Bad input never stops the rest: it comes out as a :class:`Rejected` item naming
where it was and what is wrong.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)

IAM_SOURCE = "iam.amazonaws.com"
EVENTBRIDGE_DETAIL_TYPE = "AWS API Call via CloudTrail"

# Calls whose UserName is optional: "If you do not specify a user name, IAM determines the
# user name implicitly based on the AWS access key ID signing the request" (IAM API reference).
CALLER_IS_DEFAULT_USER = frozenset(
    {
        "ChangePassword",
        "CreateAccessKey",
        "DeleteAccessKey",
        "UpdateAccessKey",
        "ListAccessKeys",
        "UploadSigningCertificate",
        "UpdateSigningCertificate",
        "DeleteSigningCertificate",
        "ListSigningCertificates",
        "CreateLoginProfile",
        "UpdateLoginProfile",
        "DeleteLoginProfile",
        "GetLoginProfile",
        "GetUser",
        "ListMFADevices",
        "DeactivateMFADevice",
    }
)

# requestParameters keys that name what a call acted on -> our target keys.
_TARGET_KEYS = {
    "userName": "user",
    "roleName": "role",
    "groupName": "group",
    "policyArn": "policy_arn",
    "policyName": "policy_name",
    "accessKeyId": "access_key_id",
    "certificateId": "certificate_id",
    "serverCertificateName": "server_certificate",
    "newServerCertificateName": "new_server_certificate",
    "newPath": "new_path",
    "openIDConnectProviderArn": "oidc_provider",
    "serialNumber": "mfa_serial",
    "virtualMFADeviceName": "mfa_device",
    "sSHPublicKeyId": "ssh_key_id",
    "instanceProfileName": "instance_profile",
    "sAMLProviderArn": "saml_provider",
}
# responseElements paths that name what a call created.
_RESPONSE_TARGETS = (
    (("accessKey", "accessKeyId"), "access_key_id"),
    (("accessKey", "userName"), "user"),
    (("certificate", "certificateId"), "certificate_id"),
    (("certificate", "userName"), "user"),
    (("sSHPublicKey", "sSHPublicKeyId"), "ssh_key_id"),
    (("sSHPublicKey", "userName"), "user"),
    (("user", "userName"), "user"),
    (("role", "roleName"), "role"),
    (("loginProfile", "userName"), "user"),
    (("openIDConnectProviderArn",), "oidc_provider"),
    (("virtualMFADevice", "serialNumber"), "mfa_serial"),
)
_ERROR_RESOURCE = re.compile(r"on resource:? (arn:aws[\w-]*:[^\s,]+|(?:user|role|group) [\w+=,.@-]+)")
_EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,127}")
_FRACTION = re.compile(r"(\.\d{6})\d+")
_CONSOLE_AGENTS = frozenset({"console.amazonaws.com", "signin.amazonaws.com"})
_READ_PREFIXES = ("Get", "List", "Generate", "Simulate")


class RecordError(ValueError):
    """A record that cannot become an IamEvent; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Actor:
    type: str
    arn: str | None
    name: str
    account_id: str | None = None
    principal_id: str | None = None
    access_key_id: str | None = None
    user_name: str | None = None  # the IAM user, for IAMUser callers
    role_name: str | None = None  # for AssumedRole callers
    session_name: str | None = None
    mfa: bool | None = None  # None: CloudTrail did not say
    console: bool = False
    invoked_by: str | None = None

    @property
    def is_root(self) -> bool:
        return self.type == "Root"

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "arn": self.arn,
            "name": self.name,
            "account_id": self.account_id,
            "access_key_id": self.access_key_id,
            "mfa": self.mfa,
            "console": self.console,
        }


@dataclass(frozen=True, slots=True)
class IamEvent:
    event_id: str
    event_name: str
    event_source: str
    event_time: datetime
    account_id: str | None
    region: str | None
    actor: Actor
    source_ip: str | None
    user_agent: str | None
    target: dict[str, str]
    request: dict[str, Any]
    response: dict[str, Any]
    error_code: str | None
    error_message: str | None
    read_only: bool
    raw: dict[str, Any] = field(repr=False, compare=False)
    origin: str = ""

    @property
    def failed(self) -> bool:
        return self.error_code is not None

    @property
    def key(self) -> str:
        """What the store deduplicates on. A redelivered record has the same eventID, name and
        time; published fixtures reuse eventIDs like "1111" across different events, and those
        must not swallow each other."""
        return f"{self.event_id}|{self.event_name}|{int(self.event_time.timestamp())}"

    @property
    def acts_on_caller(self) -> bool:
        """True when the target user is the caller itself (or, for a role session, a user
        with the session's name — how people usually name their own sessions)."""
        user = self.target.get("user")
        if user is None:
            return self.actor.arn is not None and self.target.get("principal") == self.actor.arn
        a = self.actor
        return user in {a.user_name, a.session_name} or (a.is_root and user == "root")


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that could not be read: where it was and why, in one line."""

    where: str
    reason: str
    excerpt: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(slots=True)
class ReadStats:
    records: int = 0
    iam: int = 0
    skipped_non_iam: int = 0
    rejected: int = 0
    files: int = 0
    unreadable: int = 0


# ---------------------------------------------------------------------------- parsing helpers


def parse_time(value: Any) -> datetime:
    """CloudTrail time to an aware UTC datetime.

    Accepts AWS's ``2024-08-28T09:54:40Z`` and the forms seen in published fixtures:
    ``2022-09-15 13:45:24`` and nanosecond fractions ``2023-01-03 01:52:07.000000000``.
    """
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        text = _FRACTION.sub(r"\1", text)
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise RecordError(f"eventTime {value!r} is not a time") from None
    else:
        raise RecordError(f"eventTime {value!r} is not a time")
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        v = value.strip().lower()
        if v in {"true", "yes"}:
            return True
        if v in {"false", "no"}:
            return False
    return None


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def record_id(record: dict[str, Any]) -> str:
    """The record's eventID, or a stable hash of the record when it has none."""
    event_id = record.get("eventID")
    if isinstance(event_id, str) and 0 < len(event_id) <= 128:
        return event_id
    digest = hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"sha256:{digest[:32]}"


def _actor(record: dict[str, Any]) -> Actor:
    ui = record.get("userIdentity")
    if not isinstance(ui, dict):
        return Actor(type="Unknown", arn=None, name="unknown")
    kind = str(ui.get("type") or "Unknown")
    arn = ui.get("arn") if isinstance(ui.get("arn"), str) else None
    ctx = ui.get("sessionContext") if isinstance(ui.get("sessionContext"), dict) else {}
    attrs = ctx.get("attributes") if isinstance(ctx.get("attributes"), dict) else {}
    mfa = _truthy(attrs.get("mfaAuthenticated"))
    if mfa is None:
        mfa = _truthy(_dig(record, ("additionalEventData", "MFAUsed")))
    user_agent = record.get("userAgent") if isinstance(record.get("userAgent"), str) else ""
    invoked_by = ui.get("invokedBy") if isinstance(ui.get("invokedBy"), str) else None
    console = bool(
        _truthy(record.get("sessionCredentialFromConsole"))
        or user_agent in _CONSOLE_AGENTS
        or invoked_by in _CONSOLE_AGENTS
    )
    user_name = ui.get("userName") if isinstance(ui.get("userName"), str) else None
    role_name = session_name = None
    if kind == "Root":
        name = "root"
    elif kind == "IAMUser":
        name = user_name or (arn.rsplit("/", 1)[-1] if arn else "unknown user")
    elif kind == "AssumedRole":
        parts = arn.split(":", 5)[-1].split("/") if arn else []
        if len(parts) >= 3:
            role_name, session_name = parts[1], parts[-1]
        elif len(parts) == 2:
            role_name = parts[1]
        issuer = ctx.get("sessionIssuer") if isinstance(ctx.get("sessionIssuer"), dict) else {}
        role_name = role_name or issuer.get("userName")
        if role_name and role_name.startswith("AWSReservedSSO_") and session_name:
            name = session_name  # IAM Identity Center: the session name is the person
        elif role_name and session_name:
            name = f"{role_name}/{session_name}"
        else:
            name = role_name or session_name or "unknown role"
    elif kind == "FederatedUser":
        name = arn.rsplit("/", 1)[-1] if arn else (user_name or "unknown federated user")
    elif kind == "AWSService":
        name = invoked_by or "an AWS service"
    elif kind == "AWSAccount":
        name = f"account {ui.get('accountId') or '?'}"
    else:
        name = user_name or (arn.rsplit("/", 1)[-1] if arn else None) or ui.get("principalId") or "unknown"
    key = ui.get("accessKeyId")
    return Actor(
        type=kind,
        arn=arn,
        name=str(name),
        account_id=ui.get("accountId") if isinstance(ui.get("accountId"), str) else None,
        principal_id=ui.get("principalId") if isinstance(ui.get("principalId"), str) else None,
        access_key_id=key if isinstance(key, str) and key else None,
        user_name=user_name,
        role_name=role_name,
        session_name=session_name,
        mfa=mfa,
        console=console,
        invoked_by=invoked_by,
    )


def _resource_from_arn(arn: str) -> dict[str, str]:
    target = {"resource_arn": arn}
    resource = arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if rest:
        name = rest.rsplit("/", 1)[-1]
        key = {"user": "user", "role": "role", "group": "group", "policy": "policy_arn"}.get(kind)
        if key == "policy_arn":
            target[key] = arn
        elif key:
            target[key] = name
        elif kind == "oidc-provider":
            target["oidc_provider"] = arn
        elif kind == "server-certificate":
            target["server_certificate"] = name
    return target


def _target(
    name: str, request: dict[str, Any], response: dict[str, Any], actor: Actor, error: str | None
) -> dict[str, str]:
    target: dict[str, str] = {}
    for key, value in request.items():
        out = _TARGET_KEYS.get(key)
        if out and isinstance(value, str | int) and value != "":
            target[out] = str(value)
    for path, out in _RESPONSE_TARGETS:
        value = _dig(response, path)
        if isinstance(value, str) and value and out not in target:
            target[out] = value
    if not request and error:
        match = _ERROR_RESOURCE.search(error)
        if match:
            resource = match.group(1)
            if resource.startswith("arn:"):
                named = _resource_from_arn(resource)
            else:  # IAM names users, roles and groups plainly: "on resource: user bob"
                kind, _, name = resource.partition(" ")
                named = {kind: name}
            for key, value in named.items():
                target.setdefault(key, value)
    if actor.is_root and target.get("user", "").lower() == "root":
        target["user"] = "root"  # CloudTrail writes the root user's own key as userName "Root"
    if "user" not in target and name in CALLER_IS_DEFAULT_USER:
        if actor.is_root:
            target["user"] = "root"
        elif actor.user_name and actor.type == "IAMUser":
            target["user"] = actor.user_name
        elif actor.arn:
            target["principal"] = actor.arn
    return target


def normalize(record: Any, origin: str = "") -> IamEvent:
    """One CloudTrail record (already decoded) to an IamEvent. Raises RecordError."""
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    name = record.get("eventName")
    if not isinstance(name, str) or not name:
        raise RecordError("record has no eventName")
    if not _EVENT_NAME.fullmatch(name):
        raise RecordError(f"eventName {name[:60]!r} is not an API call name")
    source = record.get("eventSource")
    if not isinstance(source, str) or not source:
        raise RecordError(f"{name} record has no eventSource")
    when = parse_time(record.get("eventTime"))
    actor = _actor(record)
    request = record.get("requestParameters")
    request = request if isinstance(request, dict) else {}
    response = record.get("responseElements")
    response = response if isinstance(response, dict) else {}
    error_code = record.get("errorCode")
    error_code = str(error_code) if error_code not in (None, "") else None
    error_message = record.get("errorMessage")
    error_message = str(error_message) if error_message not in (None, "") else None
    read_only = _truthy(record.get("readOnly"))
    if read_only is None:
        read_only = name.startswith(_READ_PREFIXES)
    account = record.get("recipientAccountId") or actor.account_id
    ip = record.get("sourceIPAddress")
    agent = record.get("userAgent")
    region = record.get("awsRegion")
    return IamEvent(
        event_id=record_id(record),
        event_name=name,
        event_source=source,
        event_time=when,
        account_id=str(account) if account else None,
        region=region if isinstance(region, str) else None,
        actor=actor,
        source_ip=ip if isinstance(ip, str) else None,
        user_agent=agent if isinstance(agent, str) else None,
        target=_target(name, request, response, actor, error_message),
        request=request,
        response=response,
        error_code=error_code,
        error_message=error_message,
        read_only=read_only,
        raw=record,
        origin=origin,
    )


# --------------------------------------------------------------------------------- readers


def _excerpt(data: bytes | str, limit: int = 200) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text[:limit]


def records_from_document(doc: Any) -> Iterator[Any]:
    """The CloudTrail records inside one decoded JSON document, whatever its shape."""
    if isinstance(doc, list):
        for item in doc:
            yield from records_from_document(item) if _is_container(item) else (item,)
    elif isinstance(doc, dict):
        if isinstance(doc.get("Records"), list):
            yield from doc["Records"]
        elif doc.get("detail-type") == EVENTBRIDGE_DETAIL_TYPE or ("detail" in doc and "detail-type" in doc):
            yield doc.get("detail")
        else:
            yield doc
    else:
        yield doc


def _is_container(item: Any) -> bool:
    return isinstance(item, dict) and (isinstance(item.get("Records"), list) or "detail-type" in item)


Location = tuple[str, int | None, int | None]  # file, line (JSON Lines), index in its document


def location(loc: Location) -> str:
    """ "file:line[index]", formatted only for the records that need a name (IAM events, rejections)."""
    where, number, index = loc
    return where + (f":{number}" if number is not None else "") + (f"[{index}]" if index is not None else "")


def decode_bytes(data: bytes, where: str) -> Iterator[tuple[Location, Any] | Rejected]:
    """Yield (location, record) pairs or Rejected items from one file's bytes."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableInput(f"{where}: not a valid gzip file ({exc})") from exc
    if not data.strip():
        return
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as whole_error:
        lines = data.splitlines()
        if len(lines) < 2:
            yield Rejected(where, f"not valid JSON: {whole_error}", _excerpt(data))
            return
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield Rejected(f"{where}:{number}", f"not valid JSON: {exc}", _excerpt(line))
                continue
            many = isinstance(item, list) or _is_container(item)
            for index, record in enumerate(records_from_document(item)):
                yield ((where, number, index if many else None), record)
        return
    for index, record in enumerate(records_from_document(doc)):
        yield ((where, None, index), record)


class UnreadableInput(Exception):
    """A path that cannot be read at all (missing, no permission, corrupt gzip)."""


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files under the given paths, directories walked in sorted order. Raises UnreadableInput."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not p.name.startswith(".") and p.suffix in {".json", ".gz", ".jsonl", ".ndjson"}
            )
            yield from found
        elif path.exists():
            yield path
        else:
            raise UnreadableInput(f"{path}: no such file or directory")


def read_records(path: Path, stats: ReadStats | None = None) -> Iterator[IamEvent | Rejected]:
    """IAM events and rejections from one file; non-IAM records are counted and skipped."""
    stats = stats if stats is not None else ReadStats()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableInput(f"{path}: {exc.strerror or exc}") from exc
    stats.files += 1
    yield from events_from_bytes(data, str(path), stats)


def events_from_bytes(data: bytes, where: str, stats: ReadStats) -> Iterator[IamEvent | Rejected]:
    """IAM events (and rejections) from one file's bytes. This is triage's hot loop: a record of
    another service costs one dict lookup; only IAM records are normalized and named."""
    records = skipped = 0
    try:
        for item in decode_bytes(data, where):
            if type(item) is Rejected:
                stats.rejected += 1
                yield item
                continue
            loc, record = item  # type: ignore[misc]
            records += 1
            if type(record) is dict and record.get("eventSource") not in (IAM_SOURCE, None):
                skipped += 1
                continue
            at = location(loc)
            try:
                event = normalize(record, at)
            except RecordError as exc:
                stats.rejected += 1
                yield Rejected(at, str(exc), _excerpt(orjson.dumps(record) if record is not None else b"null"))
                continue
            stats.iam += 1
            yield event
    finally:
        stats.records += records
        stats.skipped_non_iam += skipped
