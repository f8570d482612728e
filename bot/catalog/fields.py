"""Reading an event through its catalog entry: targets, field look-ups, conditions, templates.

Everything here is total: a path into a record that holds the wrong type is simply absent, and
a target that the record does not name stays unknown (it is never guessed from the caller).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from bot.catalog.model import PLACEHOLDER, Entry
from bot.events import IamEvent, JsonObject

UNKNOWN = "(unknown)"
MAX_VALUE = 300  # characters of one value in a summary
# "… is not authorized to perform: iam:X on resource: arn:aws:iam::1:user/bob because …",
# "… on resource: user bob …", "… on resource: policy arn:aws:iam::1:policy/x …"
_ERROR_RESOURCE = re.compile(
    r"on resource:? (?:(user|role|group|policy|instance-profile) )?(arn:aws[\w-]*:[^\s,]+|[\w+=,.@-]+)"
)
_ARN_KINDS = {
    "user": "user",
    "role": "role",
    "group": "group",
    "policy": "policy_arn",
    "oidc-provider": "oidc_provider",
    "saml-provider": "saml_provider",
    "server-certificate": "server_certificate",
    "instance-profile": "instance_profile",
    "mfa": "mfa_serial",
}
_FULL_ARN = {"policy_arn", "oidc_provider", "saml_provider", "mfa_serial"}


@dataclass(frozen=True, slots=True)
class Subject:
    """An event seen through its entry: what it acted on, and whether that is the caller."""

    event: IamEvent
    targets: Mapping[str, str]

    @property
    def on_self(self) -> bool | None:
        """True when the target user is the calling IAM user (or root on root); False when it is
        another principal, a role session included (its session name is the caller's choice and
        proves nothing); None when the target is unknown."""
        user = self.targets.get("user")
        if user is None:
            return None
        actor = self.event.actor
        if actor.is_root:
            return user == "root"
        return actor.type == "IAMUser" and user == actor.user_name


_RAW_ROOTS = {"service": "serviceEventDetails", "resources": "resources", "identity": "userIdentity"}


def path_value(event: IamEvent, path: str) -> Any:
    root, _, rest = path.partition(".")
    obj: Any
    match root:
        case "request":
            obj = event.request
        case "response":
            obj = event.response
        case "additional":
            obj = event.additional
        case "record":
            obj = event.raw
        case _:
            obj = event.raw.get(_RAW_ROOTS[root]) if root in _RAW_ROOTS else None
    for part in rest.split("."):
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.isascii() and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


def scalar_text(value: Any) -> str | None:
    """A target value as text: strings and numbers, or a list of them joined; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value) if str(value) != "" else None
    if isinstance(value, list) and value and all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        return ", ".join(str(v) for v in value[:20])
    return None


def _from_error(message: str | None) -> dict[str, str]:
    """What a denied call was aimed at, from its errorMessage (requestParameters are null then)."""
    match = _ERROR_RESOURCE.search(message or "")
    if not match:
        return {}
    kind, resource = match.group(1), match.group(2)
    if not resource.startswith("arn:"):
        if kind in ("user", "role", "group"):  # IAM names plainly: "on resource: user bob"
            return {kind: resource}
        return {}
    found = {"resource_arn": resource}
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[2] == "iam":
        arn_kind, _, rest = parts[5].partition("/")
        key = _ARN_KINDS.get(arn_kind)
        if key and rest:
            found[key] = resource if key in _FULL_ARN else rest.rsplit("/", 1)[-1]
    return found


def resolve_targets(entry: Entry, event: IamEvent) -> dict[str, str]:
    targets: dict[str, str] = {}
    for name, paths in entry.targets.items():
        for path in [paths] if isinstance(paths, str) else paths:
            value = scalar_text(path_value(event, path))
            if value is not None:
                targets[name] = value[:2048]
                break
    if not event.request_recorded and event.error_message:
        for key, value in _from_error(event.error_message).items():
            if key in entry.targets or key == "resource_arn":
                targets.setdefault(key, value)
    default = entry.caller_default
    # requestParameters are null on most denials (nothing can be said then); on a success a null
    # means no parameters were sent, which is the case the rule is about
    if default and default not in targets and (event.request_recorded or not event.failed):
        # "If you do not specify a user name, IAM determines the user name implicitly based on
        # the AWS access key ID signing the request": that is an IAM user, or root. A role
        # session has no user of its own, so the target stays unknown.
        actor = event.actor
        if actor.is_root:
            targets[default] = "root"
        elif actor.type == "IAMUser" and actor.user_name:
            targets[default] = actor.user_name
    if event.actor.is_root and targets.get("user", "").lower() in ("root", "aws root user"):
        targets["user"] = "root"  # CloudTrail writes the root user as "Root" or "AWS ROOT USER"
    return targets


DOCUMENT_KEYS = ("policyDocument", "content", "inlinePolicy", "assumeRolePolicyDocument", "policy")


def document(request: JsonObject) -> Any:
    """The policy document a call carries (a JSON string, as CloudTrail records it, or an object)."""
    for key in DOCUMENT_KEYS:
        value = request.get(key)
        if isinstance(value, str | dict) and value:
            return value
    return None


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(doc: object) -> list[dict[str, Any]]:
    """The statements of a policy document; [] for anything that is not one."""
    if isinstance(doc, str):
        try:
            doc = orjson.loads(doc)
        except orjson.JSONDecodeError:
            return []
    if not isinstance(doc, dict):
        return []
    return [st for st in _listed(doc.get("Statement")) if isinstance(st, dict)]


def trusted_principals(
    doc: object, kinds: tuple[str, ...] = ("AWS", "Federated", "Service", "CanonicalUser")
) -> list[str]:
    """Every principal an Allow statement names (``*``, and of these kinds: AWS accounts and ARNs,
    federated providers, services)."""
    found: list[str] = []
    for st in statements(doc):
        if st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        if principal == "*":
            found.append("*")
        elif isinstance(principal, dict):
            for kind in kinds:
                found.extend(str(p) for p in _listed(principal.get(kind)) if isinstance(p, str) and p)
    return list(dict.fromkeys(found))[:20]


def short_key(key: str | None) -> str | None:
    """AKIAIOSFODNN7EXAMPLE -> AKIA…MPLE: enough to recognise, short enough to read."""
    if not key:
        return None
    return key if len(key) <= 12 else f"{key[:4]}…{key[-4:]}"


def lookup(subject: Subject, name: str) -> Any:
    """The value a catalog field name refers to, or None."""
    event = subject.event
    if "." in name:
        return path_value(event, name)
    if name in subject.targets:
        return subject.targets[name]
    actor = event.actor
    match name:
        case "actor":
            return actor.name
        case "actor_arn":
            return actor.arn
        case "actor_type":
            return actor.type
        case "actor_key":
            return actor.access_key_id
        case "actor_key_short":
            return short_key(actor.access_key_id)
        case "actor_issuer":
            return actor.issuer_arn
        case "actor_account":
            return actor.account_id
        case "account":
            return event.account_id
        case "region":
            return event.region
        case "source_ip":
            return event.source_ip
        case "user_agent":
            return event.user_agent
        case "event_name":
            return event.event_name
        case "event_source":
            return event.event_source
        case "error_code":
            return event.error_code
        case "error_message":
            return event.error_message
        case "on_self":
            return subject.on_self
        case "key":
            return short_key(subject.targets.get("access_key_id"))
        case "allows":
            return any(st.get("Effect") == "Allow" for st in statements(document(event.request)))
        case "trusted":
            return trusted_principals(document(event.request)) or None
    return None


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(actual).lower() == str(expected).lower()
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.lower() == expected.lower()
    if isinstance(actual, int | float) and isinstance(expected, str):
        return str(actual) == expected
    return bool(actual == expected)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _operator(op: str, arg: Any, actual: Any) -> bool:
    """One operator of a condition table."""
    if op == "present":
        return (actual not in (None, "", [], {})) == arg
    if op == "not":
        return not holds(arg, actual)
    if isinstance(actual, bool) or not isinstance(actual, str | int | float):
        return False
    text = str(actual).lower()
    if op in ("below", "above"):
        try:
            number = float(text)
        except ValueError:
            return False
        return number < arg if op == "below" else number > arg
    needles = [s.lower() for s in _strings(arg)]
    if op == "prefix":
        return any(text.startswith(n) for n in needles)
    if op == "suffix":
        return any(text.endswith(n) for n in needles)
    return any(n in text for n in needles)  # contains


def holds(condition: Any, actual: Any) -> bool:
    """One condition: a value (equal, strings case-insensitively), a list (any of them), or a
    table of operators, all of which must hold: present, prefix, suffix, contains (any of a
    list), below, above, not."""
    if isinstance(condition, dict):
        return all(_operator(op, arg, actual) for op, arg in condition.items())
    options = condition if isinstance(condition, list) else [condition]
    return any(_same(actual, option) for option in options)


def matches(when: Mapping[str, Any], subject: Subject) -> bool:
    return all(holds(condition, lookup(subject, name)) for name, condition in when.items())


def show(value: Any) -> str | None:
    """A looked-up value as summary text, or None when there is nothing to show."""
    if value is None or value == "" or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return scalar_text(value)
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def resolves(template: str, subject: Subject) -> bool:
    return all(show(lookup(subject, name)) is not None for name in PLACEHOLDER.findall(template))


def render(template: str, subject: Subject) -> str:
    def sub(match: re.Match[str]) -> str:
        return show(lookup(subject, match.group(1))) or UNKNOWN

    return PLACEHOLDER.sub(sub, template)
