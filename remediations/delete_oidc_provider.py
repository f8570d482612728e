from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from remediations._impact import roles_trusting, trusting_line
from remediations.base import BaseParams, Outcome, Plan, Remediation, error_code
from remediations.restore_oidc_thumbprints import OidcArn, current_thumbprints


class DeleteOidcProvider(Remediation):
    """The roles that trust the provider are its blast radius, and part of the expected state too: a
    role that starts trusting it between approval and execution is drift (so ListRoles must succeed)."""

    id = "delete-oidc-provider"
    title = "Delete the OIDC provider"
    permissions = ("iam:GetOpenIDConnectProvider", "iam:ListRoles", "iam:DeleteOpenIDConnectProvider")
    destructive = True
    undo_note = (
        "A deleted OIDC provider cannot be restored: iambot cannot undo this (creating it again "
        "with the same URL gives it the same ARN)"
    )

    class Params(BaseParams):
        provider_arn: str = OidcArn

    def plan(self, p: Any) -> Plan:
        if current_thumbprints(self.iam, p.provider_arn) is None:
            return Plan([f"OIDC provider {p.provider_arn} is already deleted"], {"exists": False}, noop=True)
        roles = roles_trusting(self.iam, p.provider_arn)
        lines = [f"Would delete OIDC provider {p.provider_arn}"]
        if roles:  # their names are in the blast radius
            lines.append(f"{len(roles)} role(s) trust it and could no longer be assumed through it")
        return Plan(lines, {"exists": True, "trusting_roles": roles}, impact=[trusting_line(roles)])

    def apply(self, p: Any) -> Outcome:
        try:
            self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=p.provider_arn)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            return Outcome(False, [f"OIDC provider {p.provider_arn} was already deleted"])
        return Outcome(True, [f"Deleted OIDC provider {p.provider_arn}"])
