from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from remediations.base import BaseParams, Outcome, Plan, Remediation, error_code


def inactive_keys(iam: Any) -> list[tuple[str, str]]:
    found = []
    for page in iam.get_paginator("list_users").paginate():
        for user in page["Users"]:
            for kpage in iam.get_paginator("list_access_keys").paginate(UserName=user["UserName"]):
                found += [
                    (user["UserName"], k["AccessKeyId"])
                    for k in kpage["AccessKeyMetadata"]
                    if k["Status"] == "Inactive"
                ]
    return sorted(found)


class DeleteInactiveAccessKeys(Remediation):
    id = "delete-inactive-access-keys"
    title = "Delete inactive access keys"
    permissions = ("iam:ListUsers", "iam:ListAccessKeys", "iam:DeleteAccessKey")
    destructive = True
    undo_note = "Deleted access keys cannot be restored: iambot cannot undo this"

    class Params(BaseParams):
        pass

    def plan(self, p: Any) -> Plan:
        keys = inactive_keys(self.iam)
        if not keys:
            return Plan(["No inactive access key to delete"], {"keys": []}, noop=True)
        lines = [f"Would permanently delete {len(keys)} inactive access key(s):"]
        lines += [f"• {key} of user {user}" for user, key in keys]
        return Plan(lines, {"keys": [f"{u}/{k}" for u, k in keys]})

    def apply(self, p: Any) -> Outcome:
        deleted = []
        for user, key in inactive_keys(self.iam):
            try:
                self.iam.delete_access_key(UserName=user, AccessKeyId=key)
            except ClientError as exc:
                if error_code(exc) != "NoSuchEntity":
                    raise
                continue
            deleted.append(f"• {key} of user {user}")
        return Outcome(bool(deleted), [f"Deleted {len(deleted)} inactive access key(s)", *deleted])
