"""The lock (requirements/*.txt): it agrees with pyproject.toml's bounds, the bench lock keeps the
test lock's versions, and a virtualenv that `make` built holds exactly the locked versions."""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "test.txt"
BENCH_LOCK = ROOT / "requirements" / "bench.txt"


def pins(lock: Path) -> list[Requirement]:
    """Every `name==version ; marker` line of a compiled requirements file."""
    found = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#", "-")):
            found.append(Requirement(line.rstrip(" \\")))
    return found


def applicable(lock: Path) -> dict[str, str]:
    """name → locked version, for the pins whose markers hold on this interpreter."""
    chosen = {}
    for req in pins(lock):
        if req.marker is None or req.marker.evaluate():
            (spec,) = req.specifier
            assert spec.operator == "==", req
            chosen[canonicalize_name(req.name)] = spec.version
    return chosen


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return reqs


def test_every_pin_has_hashes():
    for lock in (LOCK, BENCH_LOCK):
        text = lock.read_text(encoding="utf-8")
        blocks = [b for b in text.split("\n") if b and not b.startswith((" ", "#"))]
        assert len(blocks) == len(pins(lock)) > 50
        assert text.count("==") <= text.count("--hash=sha256:"), lock.name


@pytest.mark.parametrize(("lock", "extras"), [(LOCK, ("test",)), (BENCH_LOCK, ("test", "bench"))])
def test_the_lock_satisfies_the_bounds_of_pyproject(lock, extras):
    locked = applicable(lock)
    problems = []
    for req in declared(*extras):
        if req.marker is not None and not req.marker.evaluate():
            continue
        version = locked.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name}: not in {lock.name} (run make lock)")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} is outside {req.specifier} (run make lock)")
    assert problems == []


def test_the_bench_lock_keeps_the_test_locks_versions():
    test = {(canonicalize_name(r.name), str(r.specifier), str(r.marker)) for r in pins(LOCK)}
    bench = {(canonicalize_name(r.name), str(r.specifier), str(r.marker)) for r in pins(BENCH_LOCK)}
    assert test <= bench
    # the bench's peer (DuckDB) is pinned once for both: the hunt's tests run it too
    assert "duckdb" in {name for name, _, _ in test} and "duckdb" in {name for name, _, _ in bench}


@pytest.mark.skipif(
    not (Path(sys.prefix) / ".installed").exists(),
    reason="this interpreter's environment was not built by `make` from the lock",
)
def test_the_environment_holds_exactly_the_locked_versions():
    wrong = {}
    for name, version in applicable(LOCK).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            wrong[name] = (version, installed)
    assert wrong == {}
