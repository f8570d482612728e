from __future__ import annotations

from typing import Annotated, Any

from botocore.exceptions import ClientError

from remediations._impact import console_line, credentials_impact
from remediations._login_profile import login_profile
from remediations.base import BaseParams, Outcome, Plan, Remediation, UserName, error_code


class DisableConsoleAccess(Remediation):
    id = "disable-console-access"
    title = "Disable console access"
    permissions = ("iam:GetLoginProfile", "iam:DeleteLoginProfile", "iam:ListMFADevices", "iam:ListAccessKeys")
    destructive = True
    undo_note = "A console password cannot be re-created: iambot cannot undo this (an administrator sets a new one)"

    class Params(BaseParams):
        user_name: Annotated[str, UserName]

    def plan(self, p: Any) -> Plan:
        profile = login_profile(self.iam, p.user_name)
        if profile is None:
            return Plan([f"User {p.user_name} already has no console password"], {"console": False}, noop=True)
        return Plan(
            [f"Would delete the console password (login profile) of user {p.user_name}; access keys are not touched"],
            {"console": True},
            impact=[console_line(profile), *credentials_impact(self.iam, p.user_name)],
        )

    def apply(self, p: Any) -> Outcome:
        try:
            self.iam.delete_login_profile(UserName=p.user_name)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            return Outcome(False, [f"User {p.user_name} already had no console password"])
        return Outcome(True, [f"Deleted the console password of user {p.user_name}"])
