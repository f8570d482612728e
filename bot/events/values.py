"""A record's fields read as facts: a value of the wrong type is treated as absent, never trusted.

The readers here are called a few dozen times a record; callers read plain strings in place
(``v[:limit] if type(v) is str and v else text(v, limit)``: a string already shorter than its
limit is the same object) and come here for everything else.
"""

from __future__ import annotations

from typing import Any

from bot.events.model import JsonObject

_WORDS = {"true": True, "false": False}  # as CloudTrail writes them
NOTHING: JsonObject = {}  # an absent object, read in place of one (never stored or written)


def truthy(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if value in _WORDS:
            return _WORDS[value]
        v = value.strip().lower()
        if v in {"true", "yes"}:
            return True
        if v in {"false", "no"}:
            return False
    return None


def text(value: Any, limit: int = 2048) -> str | None:
    """A non-empty string field, or None; numbers are kept as text (account ids arrive as both)."""
    if value is None:
        return None
    if type(value) is str:  # decoded JSON strings are exactly str
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
