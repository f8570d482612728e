"""Policy documents as CloudTrail records them: found in a call's parameters, decoded once, read
as statements and trusted principals. Total: anything that is not a policy document reads as none."""

from __future__ import annotations

import functools
from typing import Any

import orjson

from bot.events import JsonObject

DOCUMENT_KEYS = ("policyDocument", "content", "inlinePolicy", "assumeRolePolicyDocument", "policy")
_DOCUMENT = str | dict  # made once: a union written in the call is built on every call


def document(request: JsonObject) -> Any:
    """The policy document a call carries (a JSON string, as CloudTrail records it, or an object)."""
    for key in DOCUMENT_KEYS:
        value = request.get(key)
        if value and isinstance(value, _DOCUMENT):  # most keys are absent: asked first
            return value
    return None


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else [value]


_NOT_JSON = object()


@functools.lru_cache(maxsize=64)  # an event's document is read by several factors and fields
def _decoded(text: str) -> Any:
    """A policy document's JSON text decoded, once for all who read it (they only read it)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def statements(doc: object) -> list[dict[str, Any]]:
    """The statements of a policy document; [] for anything that is not one."""
    if isinstance(doc, str):
        doc = _decoded(doc)
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
