"""Handlers and the workflow read statuses and dispositions through their enums (bot/store), never as
bare strings: a misspelt literal compares unequal silently, a misspelt member fails at import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.store import AlertStatus, Disposition, RequestStatus

ROOT = Path(__file__).parents[2]
WORDS = {str(v) for enum in (RequestStatus, AlertStatus, Disposition) for v in enum}


def bare(path: Path, root: Path = ROOT) -> list[str]:
    """The status words written as string constants where a value is compared, matched or decided."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.MatchValue):
            operands = [node.value]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("Decision", "frozenset"):
            operands = list(node.args)
        else:
            continue
        for operand in operands:
            for sub in ast.walk(operand):
                if isinstance(sub, ast.Constant) and sub.value in WORDS:
                    found.append(f"{path.relative_to(root)}:{sub.lineno} {sub.value!r}")
    return sorted(found, key=lambda hit: int(hit.split(":")[1].split()[0]))


@pytest.mark.parametrize("package", ["handlers", "bot/workflow", "bot/slack/messages"])
def test_no_status_is_a_bare_string(package):
    assert [hit for path in sorted((ROOT / package).rglob("*.py")) for hit in bare(path)] == []


def test_the_check_finds_a_bare_status(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        'if request.status == "requested":\n    pass\n'
        'match d:\n    case "posted":\n        pass\n'
        'x = Decision("quiet")\n'
        "if request.status == RequestStatus.REQUESTED:\n    pass\n"
        'label = "requested"\n'
    )
    assert bare(probe, tmp_path) == ["probe.py:1 'requested'", "probe.py:4 'posted'", "probe.py:6 'quiet'"]
