from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field

from remediations.base import BaseParams, OperatorSettings, Outcome, Plan, Remediation, error_code

# Parameter name -> UpdateAccountPasswordPolicy argument / GetAccountPasswordPolicy key.
_API = {
    "minimum_password_length": "MinimumPasswordLength",
    "require_symbols": "RequireSymbols",
    "require_numbers": "RequireNumbers",
    "require_uppercase_characters": "RequireUppercaseCharacters",
    "require_lowercase_characters": "RequireLowercaseCharacters",
    "allow_users_to_change_password": "AllowUsersToChangePassword",
    "max_password_age": "MaxPasswordAge",
    "password_reuse_prevention": "PasswordReusePrevention",
    "hard_expiry": "HardExpiry",
}


class ApplyPasswordPolicy(Remediation):
    """A strong account password policy; every value can be set in iambot.toml or the command."""

    id = "apply-password-policy"
    title = "Apply the strong password policy"
    permissions = ("iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy")
    destructive = False
    undo_note = "iambot cannot undo this: the plan shows the policy it replaced"

    class Params(BaseParams):
        minimum_password_length: int = Field(default=14, ge=8, le=128)
        require_symbols: bool = True
        require_numbers: bool = True
        require_uppercase_characters: bool = True
        require_lowercase_characters: bool = True
        allow_users_to_change_password: bool = True
        max_password_age: int = Field(default=90, ge=1, le=1095)
        password_reuse_prevention: int = Field(default=24, ge=1, le=24)
        hard_expiry: bool = False

    @classmethod
    def defaults(cls, settings: OperatorSettings) -> dict[str, Any]:
        return dict(settings.password_policy)

    def _current(self) -> dict[str, Any] | None:
        try:
            policy = self.iam.get_account_password_policy()["PasswordPolicy"]
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise
        return {name: policy.get(api) for name, api in _API.items()}

    def plan(self, p: Any) -> Plan:
        current = self._current()
        wanted = p.model_dump()
        if current == wanted:
            return Plan(["The account password policy already matches"], {"policy": current}, noop=True)
        if current is None:
            lines = ["Would create the account password policy:"]
        else:
            lines = ["Would change the account password policy:"]
        for name, value in wanted.items():
            before = None if current is None else current.get(name)
            if before != value:
                lines.append(f"• {name.replace('_', ' ')}: {before if before is not None else 'unset'} → {value}")
        return Plan(lines, {"policy": current})

    def apply(self, p: Any) -> Outcome:
        self.iam.update_account_password_policy(**{_API[k]: v for k, v in p.model_dump().items()})
        return Outcome(True, ["Applied the account password policy"])
