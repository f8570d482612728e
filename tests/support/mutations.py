"""Hypothesis strategies that mutate real CloudTrail records the way hostile or broken input does:
wrong types anywhere, deep nesting, megabyte strings, NUL and control characters, invalid UTF-8,
truncation."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.support.records import DETONATIONS, all_record_files

EXAMPLES = int(os.environ.get("IAMBOT_FUZZ_EXAMPLES", "150"))  # `IAMBOT_FUZZ_EXAMPLES=10000` for a long run


def real_records() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [json.loads(p.read_text()) for p in all_record_files()]
    for path in sorted(Path(DETONATIONS).glob("*.json")):
        found.extend(r for r in json.loads(path.read_text()) if isinstance(r, dict))
    return found


RECORDS = real_records()

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "\x00",
            "\x1b[31mred\x1b]0;title\x07",
            "\u202eevil\u202c",
            "a\u200bb",
            "*bold* _it_ ~st~ `code`",
            "<!channel> <@U0123ABCD> &amp; <https://x|y>",
            "arn",
            "AKIA" + "A" * 16,
            "2022-13-45T99:99:99Z",
        ]
    ),
    st.integers(min_value=1, max_value=5).map(lambda n: "x" * (n * 400_000)),  # up to 2 MB
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), hostile_text),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:5]):
            found += _paths(v, (*prefix, i))
    return found


def _set(record: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    node = record
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return record


@st.composite
def mutated_records(draw: Any) -> Any:
    """A real record with 1–4 values replaced by anything JSON can hold (or removed)."""
    record = json.loads(json.dumps(draw(st.sampled_from(RECORDS))))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(record)
        path = draw(st.sampled_from(paths))
        if path and draw(st.booleans()) and isinstance(_get(record, path[:-1]), dict) and draw(st.integers(0, 4)) == 0:
            del _get(record, path[:-1])[path[-1]]
        else:
            record = _set(record, path, draw(json_values))
    return record


def _get(record: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        record = record[part]
    return record


def deep(levels: int = 10_000) -> bytes:
    return (
        b'{"eventName":"CreateUser","eventSource":"iam.amazonaws.com","eventTime":"2024-01-01T00:00:00Z",'
        b'"requestParameters":' + b"[" * levels + b"]" * levels + b"}"
    )


@st.composite
def hostile_bytes(draw: Any) -> bytes:
    """What reaches a reader: mutated records in one of CloudTrail's shapes, sometimes broken as bytes."""
    records = draw(st.lists(mutated_records(), min_size=1, max_size=3))
    shape = draw(st.sampled_from(["record", "delivery", "array", "lines", "eventbridge"]))
    if shape == "record":
        data = json.dumps(records[0]).encode()
    elif shape == "delivery":
        data = json.dumps({"Records": records}).encode()
    elif shape == "array":
        data = json.dumps(records).encode()
    elif shape == "lines":
        data = b"\n".join(json.dumps(r).encode() for r in records)
    else:
        data = json.dumps(
            {"detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": records[0]}
        ).encode()
    damage = draw(st.sampled_from(["none", "none", "truncate", "bad-utf8", "nul", "deep"]))
    if damage == "truncate":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    elif damage == "bad-utf8":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xff\xfe\xc3" + data[at:]
    elif damage == "nul":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" + data[at:]
    elif damage == "deep":
        data = deep()
    return data
