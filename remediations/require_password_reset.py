from __future__ import annotations

from typing import Annotated, Any

from remediations._impact import console_line, credentials_impact
from remediations._login_profile import login_profile
from remediations.base import BaseParams, Outcome, Plan, Remediation, RemediationError, UserName


class RequirePasswordReset(Remediation):
    """Sets PasswordResetRequired without touching the password (nobody can read it): the
    next console sign-in must choose a new one, so a password someone else set stops being
    theirs. It does not end console sessions already open."""

    id = "require-password-reset"
    title = "Require a password reset"
    permissions = ("iam:GetLoginProfile", "iam:UpdateLoginProfile", "iam:ListMFADevices", "iam:ListAccessKeys")
    destructive = False
    undo_note = "iambot cannot undo this: the user chooses a new password at next sign-in"

    class Params(BaseParams):
        user_name: Annotated[str, UserName]

    def plan(self, p: Any) -> Plan:
        profile = login_profile(self.iam, p.user_name)
        if profile is None:
            raise RemediationError(f"User {p.user_name} has no console password to reset")
        if profile.get("PasswordResetRequired"):
            return Plan(
                [f"User {p.user_name} must already reset their password at next sign-in"],
                {"reset_required": True},
                noop=True,
            )
        return Plan(
            [f"Would require user {p.user_name} to choose a new console password at next sign-in"],
            {"reset_required": False},
            impact=[console_line(profile), *credentials_impact(self.iam, p.user_name)],
        )

    def apply(self, p: Any) -> Outcome:
        self.iam.update_login_profile(UserName=p.user_name, PasswordResetRequired=True)
        return Outcome(True, [f"User {p.user_name} must choose a new console password at next sign-in"])
