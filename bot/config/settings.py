"""One Settings object, read once: the documented environment variables and ``iambot.toml``.

pydantic-settings does the reading (its TOML source included); the environment wins over the
file. Only the upper-case variables in the README are read from the environment, and the file
may hold only the settings' own lower-case names: an unknown key, a misplaced one or a wrong
type is an error naming it. Secrets are ``SecretStr`` so they never print.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.config.checks import (
    GROUP_ID,
    REGION,
    account_id,
    account_notes,
    channel,
    each,
    notified_are_approvers,
    users,
    users_or_groups,
)
from bot.config.cron import CronError, trigger
from bot.config.files import ENVIRONMENT, ConfigError, DocumentedEnvironment, TomlFile, explain

Severity = Literal["info", "low", "medium", "high", "critical"]
UsersOrGroups = Annotated[list[str], AfterValidator(users_or_groups)]
AccountNotes = Annotated[dict[str, str], AfterValidator(account_notes)]
# A KMS key's ARN, as an IAM policy's Resource must name it (an alias ARN grants nothing there)
KmsKeyArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]{1,128}$")
]


class Route(BaseModel):
    """Send matching alerts to a channel. Empty criteria match everything."""

    model_config = ConfigDict(extra="forbid")

    channel: str
    severities: list[Severity] = Field(default_factory=list)
    accounts: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)

    @field_validator("channel")
    @classmethod
    def _channel_id(cls, value: str) -> str:
        return channel(value) or ""


CSV = ("approvers", "approvers_to_notify", "self_arns", "remediations")
SECRET_FIELDS = ("slack_bot_token", "slack_signing_secret", "slack_app_token", "external_id", "secret_key")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid", populate_by_name=True, validate_default=True)

    # --- from the environment (also settable in the file, by these lower-case names)
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = Field(default="https://slack.com/api/", pattern=r"^https?://\S+$")
    config_path: Path | None = None
    db: str = Field(default="iambot.db", min_length=1)  # a path or a URL (bot/store/url.py); redact() before printing
    db_migrate: bool = True  # false: `iambot run` refuses a schema older than its own (`iambot db migrate` first)
    db_busy_seconds: float = Field(default=5.0, gt=0, le=60)  # how long a write waits for another writer
    alert_channel: str | None = None
    approvers: list[str] = Field(default_factory=list)
    # the approvers a request pings (a subset of approvers and approver_groups); empty: nobody is pinged
    approvers_to_notify: UsersOrGroups = Field(default_factory=list)
    sqs_queue_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    port: int = Field(default=3000, ge=1, le=65535)
    self_arns: list[str] = Field(default_factory=list)  # ARN globs of iambot's own principals
    remediation_role: str | None = None  # role to assume in other accounts; "{account_id}" is filled in
    external_id: SecretStr | None = None
    secret_key: SecretStr | None = None  # Fernet key: approvers' TOTP secrets are encrypted with it
    remediations: list[str] = Field(default_factory=list)  # enabled remediations; empty: all
    lookup_events: bool = False

    # --- the file only
    approvals_channel: str | None = None
    digest_channel: str | None = None
    routes: list[Route] = Field(default_factory=list)
    approver_groups: list[str] = Field(default_factory=list)
    requesters: list[str] = Field(default_factory=list)  # who may ask for remediations; empty: anyone
    requester_groups: list[str] = Field(default_factory=list)
    people: dict[str, str] = Field(default_factory=dict)  # CloudTrail actor (ARN glob, name or e-mail) → Slack user
    account_names: dict[str, str] = Field(default_factory=dict)  # account id → the name alerts show beside it
    # account id → a warning on every alert and request of it ("PRODUCTION — management account")
    account_notes: AccountNotes = Field(default_factory=dict)
    step_up: Literal["destructive", "all", "off"] = "destructive"  # approvals that need a TOTP code
    undo_hours: int = Field(default=24, ge=0, le=14 * 24)  # how long a remediation that succeeded offers Undo
    break_glass: bool = False  # the requester or the actor may approve alone, with a reason (audited, announced)
    approvals_required: int = Field(default=1, ge=1, le=5)
    destructive_approvals_required: int = Field(default=2, ge=1, le=5)
    request_ttl_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    password_policy: dict[str, Any] = Field(default_factory=dict)
    min_severity: Severity = "low"  # posted from this severity up; the rest is stored and in the digest
    # "Was this you?": the actor of an alert from this severity up is asked in a DM; "off": nobody is
    confirm_with_actor: Severity | Literal["off"] = "medium"
    automation_arns: list[str] = Field(default_factory=list)  # ARN globs of CI/IaC principals: their changes step down
    repeat_window_minutes: int = Field(default=60, ge=0, le=24 * 60)  # 0: every event its own message
    backfill_hours: float = Field(default=24, gt=0)  # older events are stored and counted, not posted
    burst_per_minute: int = Field(default=20, ge=1)  # alerts per channel per minute before summarizing
    # sequences (bot/assess/sequences.py): one alert for what one principal's events say together
    sequence_denied_writes: int = Field(default=5, ge=2, le=1000)  # denied identity writes that make an attempt
    sequence_denied_minutes: int = Field(default=15, ge=1, le=24 * 60)  # ... within this many minutes
    sequence_distinct_reads: int = Field(default=10, ge=2, le=1000)  # distinct identity reads that make an enumeration
    sequence_read_minutes: int = Field(default=5, ge=1, le=24 * 60)  # ... within this many minutes
    channel_interval_seconds: float = Field(default=1.1, ge=0)  # Slack allows about 1 message/s per channel
    sqs_wait_seconds: int = Field(default=20, ge=0, le=20)
    sqs_max_receive_count: int = Field(default=5, ge=1, le=1000)  # the queue's redrive policy
    lookup_interval_seconds: int = Field(default=300, ge=30)
    lookup_overlap_minutes: int = Field(default=20, ge=0, le=24 * 60)
    lookup_regions: list[str] = Field(default_factory=lambda: ["us-east-1"])  # where sign-in and STS events land
    identity_center_region: str | None = None  # IAM Identity Center's home region
    trail_buckets: list[str] = Field(default_factory=list)  # S3 buckets of CloudTrail logs iambot may read
    trail_kms_keys: list[str] = Field(default_factory=list)  # KMS keys those logs are encrypted with
    # iambot's own feed: a call that stops, narrows or removes one of these is at least high
    feed_trails: list[str] = Field(default_factory=list)  # trail / event data store names, ARNs or globs; empty: any
    feed_rules: list[str] = Field(default_factory=lambda: ["iambot-*"])  # EventBridge rule name globs
    feed_queues: list[str] = Field(default_factory=lambda: ["iambot-*"])  # SQS queue name globs (and sqs_queue_url's)
    watch: str | None = Field(
        default=None, pattern=r"^(s3://[a-z0-9][a-z0-9.-]{1,62}(/\S*)?|[^\x00]+)$"
    )  # read on a schedule
    watch_interval_seconds: int = Field(default=300, ge=30)
    # `iambot hunt`: its defaults, and what `iambot policy --hunt` and the template grant
    hunt_table: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_]{1,255}\.[A-Za-z0-9_]{1,255}$")
    hunt_workgroup: str = Field(default="primary", pattern=r"^[a-zA-Z0-9._-]{1,128}$")
    hunt_output: str | None = Field(default=None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?$")
    hunt_lake: str | None = Field(  # a CloudTrail Lake event data store: its ARN or id
        default=None, pattern=r"^(arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:[0-9]{12}:eventdatastore/)?[A-Za-z0-9-]{3,128}$"
    )
    # KMS keys of the hunt's results (an SSE_KMS/CSE_KMS workgroup) or of the Lake event data store
    hunt_kms_keys: list[KmsKeyArn] = Field(default_factory=list)
    metrics: bool = True  # GET /metrics (Prometheus text) on PORT
    canary_minutes: int = Field(default=30, ge=0, le=24 * 60)  # the feed canary's period; 0: off
    canary_timeout_minutes: int = Field(default=20, ge=0, le=24 * 60)  # a canary not back by then: feed broken; 0: off
    canary_role: str | None = Field(
        default=None, pattern=r"^(arn:aws[a-z-]*:iam::[0-9]{12}:role/)?([A-Za-z0-9_+=,.@-]+/)*[A-Za-z0-9_+=,.@-]{1,64}$"
    )  # the role the canary tags (name or ARN); default: the role iambot runs as (STS)
    digest_cron: str = "0 9 * * *"
    digest_timezone: str = "UTC"
    digest_chart: bool = True  # a chart of the period in the digest's thread (needs the files:write scope)

    @field_validator("alert_channel", "approvals_channel", "digest_channel")
    @classmethod
    def _channels(cls, value: str | None) -> str | None:
        return channel(value)

    @field_validator("approvers", "requesters")
    @classmethod
    def _user_ids(cls, value: list[str]) -> list[str]:
        return users(value)

    @field_validator("people")
    @classmethod
    def _people(cls, value: dict[str, str]) -> dict[str, str]:
        users(list(value.values()))
        return value

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            from cryptography.fernet import Fernet

            try:
                Fernet(value.get_secret_value().encode())
            except ValueError:
                raise ValueError("is not a key iambot can use: make one with `iambot secret-key`") from None
        return value

    @field_validator("account_names")
    @classmethod
    def _account_names(cls, value: dict[str, str]) -> dict[str, str]:
        for account, name in value.items():
            if not account_id(account):
                raise ValueError(f"{account[:40]!r} is not a 12-digit account id")
            if not name.strip() or len(name) > 64:
                raise ValueError(f"the name of {account} must be 1 to 64 characters")
        return {account: name.strip() for account, name in value.items()}

    @field_validator("approver_groups", "requester_groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        return each(value, GROUP_ID, "a Slack user group id like S0123ABCD")

    @field_validator("lookup_regions")
    @classmethod
    def _regions(cls, value: list[str]) -> list[str]:
        return each(value, REGION, "an AWS region like us-east-1")

    @field_validator("remediation_role")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value and "{account_id}" not in value:
            raise ValueError("must contain {account_id}, e.g. arn:aws:iam::{account_id}:role/iambot-remediator")
        return value

    @field_validator("remediations")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        if not value:
            return value  # all of them: nothing to check, and no remediation module to import
        from remediations import registry

        unknown = [v for v in value if registry.get(v) is None]
        if unknown:
            raise ValueError(f"unknown remediation(s) {', '.join(unknown)}; known: {', '.join(registry.ids())}")
        return value

    @field_validator(*CSV, mode="before")
    @classmethod
    def _csv(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @model_validator(mode="after")
    def _across_fields(self) -> Settings:
        notified_are_approvers(self.approvers_to_notify, self.approvers, self.approver_groups)
        try:
            trigger(self.digest_cron, self.digest_timezone)
        except CronError as exc:
            raise ValueError(f"digest_cron / digest_timezone: {exc}") from exc
        if 0 < self.canary_timeout_minutes < 5:  # CloudTrail takes minutes to reach EventBridge
            raise ValueError("canary_timeout_minutes: CloudTrail delivers within minutes; use 5 or more (0: off)")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, DocumentedEnvironment(settings_cls), TomlFile(settings_cls))

    def __repr_args__(self) -> Any:
        # a PostgreSQL URL may carry a password: printed settings name the database without it
        from bot.store.url import redact

        for name, value in super().__repr_args__():
            yield name, (redact(value) if name == "db" and isinstance(value, str) else value)

    # ------------------------------------------------------------------ derived

    @property
    def http_mode(self) -> bool:
        return self.slack_app_token is None

    def enabled_remediations(self) -> list[str]:
        from remediations import registry

        return self.remediations or registry.ids()

    def missing_for_slack(self) -> list[str]:
        """The settings Slack needs in the chosen mode that are not set."""
        missing = []
        if self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN")
        if self.http_mode and self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
        if not self.alert_channel and not self.routes:
            missing.append("IAMBOT_ALERT_CHANNEL (or routes in the config file)")
        if not self.approvers and not self.approver_groups:
            missing.append("IAMBOT_APPROVERS (or approver_groups in the config file)")
        if self.step_up != "off" and self.secret_key is None:
            missing.append('IAMBOT_SECRET_KEY (step-up: `iambot secret-key` makes one; or step_up = "off")')
        return missing

    def secrets(self) -> list[str]:
        found = [getattr(self, name) for name in SECRET_FIELDS]
        return [s.get_secret_value() for s in found if s is not None]


def load_settings(**overrides: Any) -> Settings:
    """Environment first, then the file; ``overrides`` (by field or variable name) win over both.
    Raises ConfigError with every problem named."""
    by_variable = {var: name for name, var in ENVIRONMENT.items()}
    values = {by_variable.get(k, k): v for k, v in overrides.items()}
    try:
        return Settings(**values)
    except ValidationError as exc:
        source = TomlFile(Settings)
        path = source.path()
        try:
            keys = set(source()) if path else set()
        except ConfigError:
            keys = set()
        raise ConfigError(explain(exc, keys, path)) from exc


class _Given(Settings):
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def given(**values: Any) -> Settings:
    """Settings from these values only (by field or variable name): no environment, no file.
    The demo and the tests use it, so neither depends on the machine it runs on."""
    by_variable = {var: name for name, var in ENVIRONMENT.items()}
    try:
        return _Given(**{by_variable.get(k, k): v for k, v in values.items()})
    except ValidationError as exc:
        raise ConfigError(explain(exc, set(), None)) from exc
