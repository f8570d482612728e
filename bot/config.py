"""One Settings object, read once: environment variables and an optional ``iambot.toml``.

Environment wins over the file. Secrets are ``SecretStr`` so they never print; nothing is
silently ``None`` where a value is needed: :meth:`Settings.missing_for` names what a mode lacks.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class ConfigError(ValueError):
    """Configuration is missing or invalid; the message says exactly what."""


class Route(BaseModel):
    """Send matching alerts to a channel. Empty criteria match everything."""

    channel: str
    severities: list[str] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    config_path: Path | None = Field(default=None, alias="IAMBOT_CONFIG")
    db: Path = Field(default=Path("iambot.db"), alias="IAMBOT_DB")
    alert_channel: str | None = Field(default=None, alias="IAMBOT_ALERT_CHANNEL")
    approvers: list[str] = Field(default_factory=list, alias="IAMBOT_APPROVERS")
    sqs_queue_url: str | None = Field(default=None, alias="IAMBOT_SQS_QUEUE_URL")
    port: int = Field(default=3000, alias="PORT")
    # ARN globs of iambot's own principals: their calls are confirmations, never threats.
    self_arns: list[str] = Field(default_factory=list, alias="IAMBOT_SELF_ARNS")
    # Role to assume in other accounts of an Organization: "{account_id}" is filled in.
    remediation_role: str | None = Field(default=None, alias="IAMBOT_REMEDIATION_ROLE")
    external_id: SecretStr | None = Field(default=None, alias="IAMBOT_EXTERNAL_ID")
    # Remediations offered and runnable; empty means all of them. `iambot policy` follows it.
    remediations: list[str] = Field(default_factory=list, alias="IAMBOT_REMEDIATIONS")

    # From iambot.toml only
    approvals_channel: str | None = None
    digest_channel: str | None = None
    routes: list[Route] = Field(default_factory=list)
    approver_groups: list[str] = Field(default_factory=list)
    approvals_required: int = Field(default=1, ge=1, le=5)
    destructive_approvals_required: int = Field(default=2, ge=1, le=5)
    request_ttl_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    password_policy: dict[str, Any] = Field(default_factory=dict)
    # Noise control
    repeat_window_minutes: int = Field(default=60, ge=0, le=24 * 60)  # 0: every event its own message
    backfill_hours: float = Field(default=24, gt=0)  # older events are stored and counted, not posted
    burst_per_minute: int = Field(default=20, ge=1)  # alerts per channel per minute before summarizing
    # Slack allows about 1 message/s per channel; a little slower avoids most 429s at the boundary
    channel_interval_seconds: float = Field(default=1.1, ge=0)
    # Sources and schedule
    sqs_wait_seconds: int = Field(default=20, ge=0, le=20)  # SQS long polling
    lookup_events: bool = Field(default=False, alias="IAMBOT_LOOKUP_EVENTS")
    lookup_interval_seconds: int = Field(default=300, ge=30)
    lookup_overlap_minutes: int = Field(default=20, ge=0, le=24 * 60)
    digest_cron: str = "0 9 * * *"
    digest_timezone: str = "UTC"

    @field_validator("remediation_role")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value and "{account_id}" not in value:
            raise ValueError("must contain {account_id}, e.g. arn:aws:iam::{account_id}:role/iambot-remediator")
        return value

    @model_validator(mode="after")
    def _digest_schedule(self) -> Settings:
        from bot.scheduler import digest_trigger

        try:
            digest_trigger(self)
        except (ValueError, KeyError, IndexError) as exc:
            raise ValueError(f"digest_cron / digest_timezone: {exc}") from exc
        return self

    @field_validator("remediations")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        from remediations import registry

        unknown = [v for v in value if registry.get(v) is None]
        if unknown:
            raise ValueError(f"unknown remediation(s) {', '.join(unknown)}; known: {', '.join(registry.ids())}")
        return value

    def enabled_remediations(self) -> list[str]:
        from remediations import registry

        return self.remediations or registry.ids()

    @field_validator("approvers", "self_arns", "remediations", mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _CsvEnv(settings_cls))

    @property
    def http_mode(self) -> bool:
        return self.slack_app_token is None

    def missing_for_slack(self) -> list[str]:
        """The environment variables Slack needs in the chosen mode that are not set."""
        missing = []
        if self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN")
        if self.http_mode and self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
        if not self.alert_channel and not self.routes:
            missing.append("IAMBOT_ALERT_CHANNEL (or routes in the config file)")
        if not self.approvers and not self.approver_groups:
            missing.append("IAMBOT_APPROVERS (or approver_groups in the config file)")
        return missing


class _CsvEnv(PydanticBaseSettingsSource):
    """Environment variables by alias, as plain strings (lists are comma-separated)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out = {}
        for name, info in self.settings_cls.model_fields.items():
            alias = info.alias
            if alias and alias in os.environ and os.environ[alias] != "":
                out[alias] = os.environ[alias]
            elif name in os.environ:
                out[name] = os.environ[name]
        return out


def load_settings(**overrides: Any) -> Settings:
    """Environment first, then the file named by IAMBOT_CONFIG (or ./iambot.toml if present)."""
    try:
        env = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from exc
    path = env.config_path or (Path("iambot.toml") if Path("iambot.toml").is_file() else None)
    if path is None:
        return env
    try:
        file_values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"IAMBOT_CONFIG names {path}, which does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    merged = {**file_values.get("iambot", file_values), **env.model_dump(exclude_unset=True, by_alias=False)}
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_explain(exc)}") from exc


def _explain(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
