from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import Field, model_validator

from remediations.base import BaseParams, Outcome, Plan, Remediation


def stale_keys(iam: Any, max_age_days: int | None, unused_days: int | None) -> list[tuple[str, str, str]]:
    """(user, key id, why) for Active keys older than max_age_days or unused for unused_days
    (a never-used key counts from its creation), from ListAccessKeys and GetAccessKeyLastUsed."""
    now = datetime.now(UTC)
    found = []
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            name = user["UserName"]
            for kpage in iam.get_paginator("list_access_keys").paginate(UserName=name):
                for key in kpage["AccessKeyMetadata"]:
                    if key["Status"] != "Active":
                        continue
                    created = key["CreateDate"]
                    age = (now - created).days
                    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
                    used = last.get("LastUsedDate")
                    idle = (now - (used or created)).days
                    if max_age_days is not None and age > max_age_days:
                        found.append((name, key["AccessKeyId"], f"created {age} days ago"))
                    elif unused_days is not None and idle > unused_days:
                        how = f"last used {idle} days ago" if used else f"never used in {idle} days"
                        found.append((name, key["AccessKeyId"], how))
    return sorted(found)


class DeactivateStaleAccessKeys(Remediation):
    id = "deactivate-stale-access-keys"
    title = "Deactivate stale access keys"
    permissions = ("iam:ListUsers", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey")
    destructive = False
    undo_note = "iambot cannot undo this in one step: re-activate a key with reactivate-access-key"

    class Params(BaseParams):
        max_age_days: int | None = Field(default=None, ge=1, le=3650)
        unused_days: int | None = Field(default=90, ge=1, le=3650)

        @model_validator(mode="after")
        def _one(self) -> Any:
            if self.max_age_days is None and self.unused_days is None:
                raise ValueError("give max_age_days, unused_days or both")
            return self

    def plan(self, p: Any) -> Plan:
        keys = stale_keys(self.iam, p.max_age_days, p.unused_days)
        if not keys:
            return Plan(["No active access key is stale"], {"keys": []}, noop=True)
        lines = [f"Would deactivate {len(keys)} access key(s):"]
        lines += [f"• {key} of user {user} ({why})" for user, key, why in keys]
        return Plan(lines, {"keys": [f"{u}/{k}" for u, k, _ in keys]})

    def apply(self, p: Any) -> Outcome:
        keys = stale_keys(self.iam, p.max_age_days, p.unused_days)
        for user, key, _ in keys:
            self.iam.update_access_key(UserName=user, AccessKeyId=key, Status="Inactive")
        return Outcome(
            bool(keys),
            [f"Deactivated {len(keys)} stale access key(s)"] + [f"• {key} of user {user}" for user, key, _ in keys],
        )
