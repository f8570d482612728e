"""Every identity record in the fixtures, as iambot explains it: the expected severity, summary,
targets, factors and offers, written down by hand in ``tests/fixtures/cloudtrail/expected/``.

A change to the catalog or the factors that moves one of these is a product decision and should
change the expectation on purpose.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.assess import Assessor
from bot.events import normalize

CLOUDTRAIL = Path(__file__).parent.parent / "fixtures" / "cloudtrail"
KEYS = {"file", "index", "severity", "summary", "targets", "factors", "offers", "generic", "note"}


def cases() -> list[Any]:
    found = []
    for path in sorted((CLOUDTRAIL / "expected").glob("*.toml")):
        for i, case in enumerate(tomllib.loads(path.read_text())["record"]):
            found.append(pytest.param(case, id=f"{path.stem}:{case['file'].rsplit('/', 1)[-1]}#{i}"))
    return found


def record(case: dict[str, Any]) -> dict[str, Any]:
    data = json.loads((CLOUDTRAIL / case["file"]).read_text())
    if isinstance(data, list):
        return data[case.get("index", 0)]
    return data["Records"][case.get("index", 0)] if "Records" in data else data


@pytest.fixture(scope="module")
def assessor() -> Assessor:
    return Assessor()


@pytest.mark.parametrize("case", cases())
def test_record_is_explained_as_expected(case: dict[str, Any], assessor: Assessor) -> None:
    assert set(case) <= KEYS, f"unknown keys {set(case) - KEYS}"
    alert = assessor(normalize(record(case)))
    assert alert.entry.generic == case.get("generic", False)
    assert alert.summary == case["summary"]
    assert alert.severity == case["severity"], alert.risk.reasons
    for key, value in case.get("targets", {}).items():
        assert alert.targets.get(key) == value, alert.targets
    if "factors" in case:
        assert sorted(f.name for f in alert.risk.factors) == sorted(case["factors"])
    if "offers" in case:
        assert [o.id for o in alert.offers] == case["offers"]
