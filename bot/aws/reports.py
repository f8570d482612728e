"""Read-only account reports. Enabling MFA for someone else is not possible in IAM (the device
owner must take part), so for console users without MFA iambot reports who to chase; the
enforcement is a policy, such as AWS's "deny everything without MFA" example, not a button."""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

READ_PERMISSIONS = ("iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountSummary")


@dataclass(frozen=True)
class NoMfaUser:
    user: str
    arn: str
    password_last_used: str
    created: str


def credential_report(iam: Any, sleep: Callable[[float], None] = time.sleep, tries: int = 10) -> list[dict[str, str]]:
    """IAM's credential report (one CSV for every user), generated if needed."""
    for _ in range(tries):
        state = iam.generate_credential_report()["State"]
        if state == "COMPLETE":
            break
        sleep(2)
    else:
        raise TimeoutError("IAM did not finish the credential report; try again in a minute")
    content = iam.get_credential_report()["Content"]
    text = content.decode() if isinstance(content, bytes) else str(content)
    return list(csv.DictReader(io.StringIO(text)))


def console_users_without_mfa(iam: Any, sleep: Callable[[float], None] = time.sleep) -> list[NoMfaUser]:
    rows = credential_report(iam, sleep)
    found = [
        NoMfaUser(r["user"], r["arn"], r.get("password_last_used", "N/A"), r.get("user_creation_time", ""))
        for r in rows
        if r.get("user") != "<root_account>"
        and r.get("password_enabled", "").lower() == "true"
        and r.get("mfa_active", "").lower() != "true"
    ]
    return sorted(found, key=lambda u: u.user)


def root_without_mfa(iam: Any) -> bool:
    summary = iam.get_account_summary()["SummaryMap"]
    return not summary.get("AccountMFAEnabled", 0)
