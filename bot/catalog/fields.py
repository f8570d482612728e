"""Reading an event through its catalog entry: targets, field look-ups, conditions, templates.

Everything here is total: a path into a record that holds the wrong type is simply absent, and
a target that the record does not name stays unknown (it is never guessed from the caller).
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.catalog.documents import document, statements, trusted_principals
from bot.catalog.model import PLACEHOLDER, Entry
from bot.events import IamEvent

UNKNOWN = "(unknown)"
MAX_VALUE = 300  # characters of one value in a summary
# isinstance's unions made once: written in the call, ``str | int | float`` is built on every call
# (three times the cost of the check)
SCALAR = str | int | float
_LISTABLE = str | int
_NUMBER = int | float
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
        if actor.type == "Root":  # actor.is_root, without the property's call
            return user == "root"
        return actor.type == "IAMUser" and user == actor.user_name


# each root: the event's attribute, and for the raw record's parts, their key in it
_ROOTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "request": ("request", ()),
    "response": ("response", ()),
    "additional": ("additional", ()),
    "record": ("raw", ()),
    "service": ("raw", ("serviceEventDetails",)),
    "resources": ("raw", ("resources",)),
    "identity": ("raw", ("userIdentity",)),
}


@functools.lru_cache(maxsize=4096)  # the catalog's paths: compiled once, not once an event
def path_getter(path: str, through: str = "") -> Callable[[Any], Any]:
    """A record path as a function of the event, or of what holds it (``through="event."``: of a
    :class:`Subject`): its root chosen and its parts split once."""
    root, _, rest = path.partition(".")
    if root not in _ROOTS:
        return lambda holder: None
    attribute, keys = _ROOTS[root]
    top = operator.attrgetter(through + attribute)
    parts = (*keys, *rest.split("."))
    if len(parts) > 1:
        return lambda holder: walk(top(holder), parts)
    key = parts[0]

    def one_key(holder: Any) -> Any:  # most paths: one key into the request or the response
        obj = top(holder)
        return obj.get(key) if isinstance(obj, dict) else walk(obj, parts)

    return one_key


def walk(obj: Any, parts: tuple[str, ...]) -> Any:
    """Down a JSON value by keys and list indexes; None where it holds no such thing."""
    for part in parts:
        if isinstance(obj, dict):
            obj = obj.get(part)
        elif isinstance(obj, list) and part.isascii() and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return None
    return obj


def path_value(event: IamEvent, path: str) -> Any:
    return path_getter(path)(event)


def scalar_text(value: Any) -> str | None:
    """A target value as text: strings and numbers, or a list of them joined; else None."""
    if type(value) is str:  # most values: read first
        return value or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, SCALAR):
        return str(value) if str(value) != "" else None
    if isinstance(value, list) and value and all(isinstance(v, _LISTABLE) and not isinstance(v, bool) for v in value):
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
    return complete_targets(entry, event, targets)


def complete_targets(entry: Entry, event: IamEvent, targets: dict[str, str]) -> dict[str, str]:
    """``targets`` read from the record's paths, completed: from a denial's error message, with
    the caller where IAM's own rule says so, and the root user written one way."""
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
        if actor.type == "Root":
            targets[default] = "root"
        elif actor.type == "IAMUser" and actor.user_name:
            targets[default] = actor.user_name
    if event.actor.type == "Root" and targets.get("user", "").lower() in ("root", "aws root user"):  # is_root
        targets["user"] = "root"  # CloudTrail writes the root user as "Root" or "AWS ROOT USER"
    return targets


def short_key(key: str | None) -> str | None:
    """AKIAIOSFODNN7EXAMPLE -> AKIA…MPLE: enough to recognise, short enough to read."""
    if not key:
        return None
    return key if len(key) <= 12 else f"{key[:4]}…{key[-4:]}"


def _allows(subject: Subject) -> bool:
    return any(st.get("Effect") == "Allow" for st in statements(document(subject.event.request)))


# The context fields by name, each a function of the subject: one dict look-up an event, where a
# chain of comparisons cost a microsecond on the names at its end (triage looks up ~8 an event).
CONTEXT: dict[str, Callable[[Subject], Any]] = {
    "actor": lambda s: s.event.actor.name,
    "actor_arn": lambda s: s.event.actor.arn,
    "actor_type": lambda s: s.event.actor.type,
    "actor_key": lambda s: s.event.actor.access_key_id,
    "actor_key_short": lambda s: short_key(s.event.actor.access_key_id),
    "actor_issuer": lambda s: s.event.actor.issuer_arn,
    "actor_account": lambda s: s.event.actor.account_id,
    "account": lambda s: s.event.account_id,
    "region": lambda s: s.event.region,
    "source_ip": lambda s: s.event.source_ip,
    "user_agent": lambda s: s.event.user_agent,
    "event_name": lambda s: s.event.event_name,
    "event_source": lambda s: s.event.event_source,
    "error_code": lambda s: s.event.error_code,
    "error_message": lambda s: s.event.error_message,
    "on_self": lambda s: s.on_self,
    "key": lambda s: short_key(s.targets.get("access_key_id")),
    "allows": _allows,
    "trusted": lambda s: trusted_principals(document(s.event.request)) or None,
}


def lookup(subject: Subject, name: str) -> Any:
    """The value a catalog field name refers to, or None."""
    if "." in name:
        return path_value(subject.event, name)
    if name in subject.targets:
        return subject.targets[name]
    get = CONTEXT.get(name)
    return None if get is None else get(subject)


def same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return str(actual).lower() == str(expected).lower()
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.lower() == expected.lower()
    if isinstance(actual, _NUMBER) and isinstance(expected, str):
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
    if isinstance(actual, bool) or not isinstance(actual, SCALAR):
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
    return any(same(actual, option) for option in options)


def matches(when: Mapping[str, Any], subject: Subject) -> bool:
    return all(holds(condition, lookup(subject, name)) for name, condition in when.items())


def show(value: Any) -> str | None:
    """A looked-up value as summary text, or None when there is nothing to show."""
    if type(value) is str:  # most values: read first
        return (value if len(value) <= MAX_VALUE else value[: MAX_VALUE - 1] + "…") if value else None
    if value is None or value == "" or isinstance(value, dict):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return scalar_text(value)
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


@functools.lru_cache(maxsize=4096)  # the catalog's templates, and the generic entries' (one a name)
def _parts(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A template split once: (the text around the placeholders, the placeholders' names)."""
    pieces = PLACEHOLDER.split(template)  # text, name, text, name, …, text
    return tuple(pieces[0::2]), tuple(pieces[1::2])


def resolves(template: str, subject: Subject) -> bool:
    return all(show(lookup(subject, name)) is not None for name in _parts(template)[1])


def render(template: str, subject: Subject) -> str:
    texts, names = _parts(template)
    if not names:
        return template
    out = [texts[0]]
    for name, after in zip(names, texts[1:], strict=True):
        out.append(show(lookup(subject, name)) or UNKNOWN)
        out.append(after)
    return "".join(out)
