"""bot.config.toml: the compiled parser where its wheel exists, read the same as tomllib."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from bot.config import toml


def _catalog_files() -> list[str]:
    root = resources.files("bot.catalog")
    found = [root / "sources.toml"]
    found += [f for d in (root / "events").iterdir() if d.is_dir() for f in d.iterdir() if f.name.endswith(".toml")]
    found += [f for f in (root / "reads").iterdir() if f.name.endswith(".toml")]
    return [f.read_text(encoding="utf-8") for f in found]


def test_every_catalog_file_reads_as_tomllib_reads_it() -> None:
    texts = _catalog_files()
    assert len(texts) > 300
    for text in texts:
        assert toml.loads(text) == tomllib.loads(text)


@pytest.mark.parametrize(
    "text",
    ['a = "x', "a = 1\na = 2", "[t]\n[t]", 'a = "\\q"', "a = 1979-05-27T25:00:00", "= 1", 'a = "\x00"'],
)
def test_invalid_toml_raises_the_modules_error(text: str) -> None:
    with pytest.raises(toml.TOMLDecodeError):
        toml.loads(text)
    with pytest.raises(tomllib.TOMLDecodeError):  # and the standard library agrees it is invalid
        tomllib.loads(text)


def test_the_compiled_parser_is_used_where_the_lock_installs_it() -> None:
    tomli = pytest.importorskip("tomli")
    assert toml.TOMLDecodeError is tomli.TOMLDecodeError
    assert toml.loads('x = [1, {y = "z"}]') == {"x": [1, {"y": "z"}]}
