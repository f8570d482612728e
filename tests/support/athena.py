"""Records as Athena's CloudTrail table holds them (the Athena user guide's DDL): every column and
struct field in lower case, ``requestparameters``/``responseelements``/``additionaleventdata``/
``serviceeventdetails`` as JSON text, the maps (``webidfederationdata.attributes``) as they are."""

from __future__ import annotations

import json
from typing import Any

_TEXT = {"requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"}


def _lowered(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in keep:  # a map<string,string>: its keys are data
            out[key.lower()] = item
        elif key == "webIdFederationData" and isinstance(item, dict):
            out[key.lower()] = _lowered(item, frozenset({"attributes"}))
        else:
            out[key.lower()] = _lowered(item)
    return out


def athena_record(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as a row of Athena's CloudTrail table, with structs as JSON objects."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in _TEXT:
            out[key.lower()] = None if value is None else json.dumps(value)
        elif key == "resources" and isinstance(value, list):
            out[key.lower()] = [_lowered(r) for r in value]
        else:
            out[key.lower()] = _lowered(value)
    return out
