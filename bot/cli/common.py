"""What every command shares: failing with one line, reading the settings, and text streams that
never fail on a character their encoding lacks."""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click


def is_utf8(encoding: str | None) -> bool:
    """Whether text in ``encoding`` is written as UTF-8."""
    try:
        return encoding is not None and codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def tolerant(*streams: Any) -> None:
    """Text streams in an encoding other than UTF-8 (a Latin-1 locale, say) write what they cannot
    encode as ``?``: iambot's text has "…", box drawing and characters made visible, and a report
    must not end in a traceback half way."""
    for stream in streams:
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict" and not is_utf8(stream.encoding):
            stream.reconfigure(errors="replace")


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"iambot: {message}", err=True)
    raise SystemExit(code)


@contextmanager
def explained() -> Iterator[None]:
    """Configuration, storage and Slack problems as one line and exit 2."""
    from bot.config.settings import ConfigError
    from bot.slack.app import SlackConfigError
    from bot.store import StoreError

    try:
        yield
    except (ConfigError, StoreError, SlackConfigError) as exc:
        fail(str(exc))


def settings_or_fail(**overrides: Any) -> Any:
    from bot.config.settings import load_settings

    with explained():
        return load_settings(**overrides)


STDIN = Path("/dev/stdin")


def input_files(paths: tuple[Path, ...]) -> tuple[list[Path], list[str]]:
    """The files to read, in order, and why any path cannot be read. ``-`` is standard input,
    read once as one file (through /dev/stdin, so a worker process can read it too)."""
    from bot.events import UnreadableInput, iter_files

    files: list[Path] = []
    unreadable: list[str] = []
    dashes = 0
    for path in paths:
        if str(path) == "-":
            dashes += 1
            if dashes > 1:
                unreadable.append("-: standard input is named more than once; it can be read once")
            elif os.isatty(0):  # the descriptor /dev/stdin names, whatever sys.stdin was replaced by
                unreadable.append("-: standard input is a terminal; pipe a file in: `zcat f.json.gz | iambot triage -`")
            elif not STDIN.exists():
                unreadable.append("-: standard input cannot be named on this system; give the file's path")
            else:
                files.append(STDIN)
            continue
        try:
            files.extend(iter_files([path]))
        except UnreadableInput as exc:
            unreadable.append(str(exc))
    return files, unreadable
