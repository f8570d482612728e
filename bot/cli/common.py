"""What every command shares: failing with one line, and reading the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click


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
