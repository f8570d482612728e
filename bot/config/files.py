"""Where settings come from: the documented environment variables and ``iambot.toml``.

Only the upper-case variables named in ``ENVIRONMENT`` are read from the environment, and the file
may hold only the settings' lower-case names; ``explain`` turns pydantic's errors into one line per
problem, naming the variable or the file where the bad value was set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import PydanticBaseSettingsSource

from bot.config import toml

MAX_CONFIG_BYTES = 1 << 20  # far more than any iambot.toml: /dev/zero is refused, not read


class ConfigError(ValueError):
    """Configuration is missing or invalid; the message says exactly what."""


# The environment variables iambot reads (and nothing else from the environment).
ENVIRONMENT = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_api_url": "SLACK_API_URL",
    "config_path": "IAMBOT_CONFIG",
    "db": "IAMBOT_DB",
    "db_migrate": "IAMBOT_DB_MIGRATE",
    "alert_channel": "IAMBOT_ALERT_CHANNEL",
    "approvers": "IAMBOT_APPROVERS",
    "approvers_to_notify": "IAMBOT_APPROVERS_TO_NOTIFY",
    "sqs_queue_url": "IAMBOT_SQS_QUEUE_URL",
    "port": "PORT",
    "self_arns": "IAMBOT_SELF_ARNS",
    "remediation_role": "IAMBOT_REMEDIATION_ROLE",
    "external_id": "IAMBOT_EXTERNAL_ID",
    "secret_key": "IAMBOT_SECRET_KEY",
    "remediations": "IAMBOT_REMEDIATIONS",
    "lookup_events": "IAMBOT_LOOKUP_EVENTS",
}


class _Whole(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False  # these sources give all their values at once, from __call__


class DocumentedEnvironment(_Whole):
    """The documented upper-case environment variables, as plain strings; nothing else."""

    def __call__(self) -> dict[str, Any]:
        return {name: os.environ[var] for name, var in ENVIRONMENT.items() if os.environ.get(var, "") != ""}


class TomlFile(_Whole):
    """``IAMBOT_CONFIG`` (or ./iambot.toml if present): the settings' lower-case names only."""

    def path(self) -> Path | None:
        named, default = os.environ.get("IAMBOT_CONFIG"), Path("iambot.toml")
        return Path(named) if named else default if default.is_file() else None

    def __call__(self) -> dict[str, Any]:
        path = self.path()
        if path is None:
            return {}
        try:
            with path.open("rb") as f:
                raw = f.read(MAX_CONFIG_BYTES + 1)
            if len(raw) > MAX_CONFIG_BYTES:
                raise ConfigError(f"{path}: over 1 MiB, which no iambot.toml is; check IAMBOT_CONFIG")
            data = toml.loads(raw.decode("utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"IAMBOT_CONFIG names {path}, which does not exist") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot be read ({exc})") from exc
        except toml.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        upper = sorted(k for k in data if k in ENVIRONMENT.values())
        if upper:
            raise ConfigError(f"{path}: {', '.join(upper)} belong in the environment, not in the file")
        return data


def explain(exc: ValidationError, file_keys: set[str], path: Path | None) -> str:
    """Pydantic's errors as one line per problem, naming the setting and where it was set."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        top = str(err["loc"][0]) if err["loc"] else ""
        if top in file_keys and path is not None:
            name = f"{path}: {loc}"
        elif top in ENVIRONMENT and os.environ.get(ENVIRONMENT[top]):
            name = ENVIRONMENT[top]
        else:
            name = loc
        message = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if name else message)
    return "; ".join(lines)
