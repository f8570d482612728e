"""Running the `iambot` command in-process, with the machine's iambot settings kept out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result


def clean_environment(monkeypatch: Any, folder: Path) -> None:
    """No iambot variable from the environment, and a working folder with no iambot.toml."""
    from bot.config.settings import ENVIRONMENT

    monkeypatch.chdir(folder)
    for var in ENVIRONMENT.values():
        monkeypatch.delenv(var, raising=False)


def invoke(*args: str) -> Result:
    from bot.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_line_error(result: Result) -> str:
    """The error a person sees: exit status 2, one line on stderr naming the cause, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("iambot: "), result.stderr
    return lines[0]


def records_in(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every CloudTrail record in these .json files (a record, {"Records": [...]}, or a list),
    read with the standard library, as an oracle for what triage reads."""
    found: list[dict[str, Any]] = []
    for path in paths:
        doc = json.loads(path.read_text())
        if isinstance(doc, dict) and isinstance(doc.get("Records"), list):
            found += doc["Records"]
        elif isinstance(doc, list):
            found += doc
        else:
            found.append(doc)
    return found
