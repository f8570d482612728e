"""The one place boto3 clients are made: retry configuration and cross-account role assumption.

Remediations run in the account the event came from. In the account iambot's own credentials
belong to, they are used directly; any other account needs ``IAMBOT_REMEDIATION_ROLE``, a role
ARN template such as ``arn:aws:iam::{account_id}:role/iambot-remediator`` (with an optional
``IAMBOT_EXTERNAL_ID``). An account with no role gets a clear refusal, never a guess.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from remediations.base import OperatorSettings, RemediationError

log = logging.getLogger(__name__)

# IAM and Organizations are global; their endpoints and their CloudTrail events live in us-east-1.
IAM_REGION = "us-east-1"
RETRIES = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
_SESSION_NAME = re.compile(r"[^\w+=,.@-]")


class Aws:
    def __init__(
        self,
        session: boto3.Session | None = None,
        role_template: str | None = None,
        external_id: str | None = None,
    ):
        self.session = session or boto3.Session()
        self.role_template = role_template
        self.external_id = external_id
        self._home: str | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: OperatorSettings, session: boto3.Session | None = None) -> Aws:
        external = settings.external_id.get_secret_value() if settings.external_id else None
        return cls(session, settings.remediation_role, external)

    def client(self, service: str, **kwargs: Any) -> Any:
        return self.session.client(service, config=RETRIES, **kwargs)

    def home_account(self) -> str:
        """The account of iambot's own credentials (``sts get-caller-identity``), asked once."""
        with self._lock:
            if self._home is None:
                self._home = str(self.client("sts", region_name=IAM_REGION).get_caller_identity()["Account"])
            return self._home

    def caller_arn(self) -> str:
        return str(self.client("sts", region_name=IAM_REGION).get_caller_identity()["Arn"])

    def role_for(self, account_id: str) -> str | None:
        return self.role_template.format(account_id=account_id) if self.role_template else None

    def iam(self, account_id: str | None = None, session_name: str = "iambot") -> Any:
        """An IAM client acting in ``account_id`` (iambot's own account when None)."""
        return self.acting("iam", account_id, session_name)

    def acting(self, service: str, account_id: str | None = None, session_name: str = "iambot") -> Any:
        """A client of ``service`` (iam, organizations) acting in ``account_id`` (iambot's own
        account when None), through IAMBOT_REMEDIATION_ROLE in any other account."""
        try:
            if account_id is None or account_id == self.home_account():
                return self.client(service, region_name=IAM_REGION)
        except (ClientError, BotoCoreError) as exc:
            raise RemediationError(f"iambot cannot tell which AWS account its credentials belong to: {exc}") from exc
        role = self.role_for(account_id)
        if role is None:
            raise RemediationError(
                f"No role is configured for account {account_id}: set IAMBOT_REMEDIATION_ROLE, e.g. "
                "arn:aws:iam::{account_id}:role/iambot-remediator, and create that role there"
            )
        kwargs: dict[str, Any] = {"RoleArn": role, "RoleSessionName": _SESSION_NAME.sub("-", session_name)[:64]}
        if self.external_id:
            kwargs["ExternalId"] = self.external_id
        try:
            creds = self.client("sts", region_name=IAM_REGION).assume_role(**kwargs)["Credentials"]
        except ClientError as exc:
            raise RemediationError(f"Could not assume {role} in account {account_id}: {exc}") from exc
        log.info("assumed role", extra={"role": role, "account": account_id})
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        ).client(service, region_name=IAM_REGION, config=RETRIES)
