from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from remediations.base import BaseParams, Outcome, Plan, Remediation, error_code
from remediations.restore_oidc_thumbprints import OidcArn, current_thumbprints


def roles_trusting(iam: Any, provider_arn: str) -> list[str]:
    """Names of roles whose trust policy names the provider as a federated principal."""
    found = []
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            doc = role.get("AssumeRolePolicyDocument") or {}
            if isinstance(doc, str):
                doc = json.loads(unquote(doc))
            statements = doc.get("Statement", [])
            for st in statements if isinstance(statements, list) else [statements]:
                federated = (
                    (st.get("Principal") or {}).get("Federated") if isinstance(st.get("Principal"), dict) else None
                )
                names = federated if isinstance(federated, list) else [federated]
                if provider_arn in names:
                    found.append(role["RoleName"])
                    break
    return sorted(found)


class DeleteOidcProvider(Remediation):
    id = "delete-oidc-provider"
    title = "Delete the OIDC provider"
    permissions = ("iam:GetOpenIDConnectProvider", "iam:ListRoles", "iam:DeleteOpenIDConnectProvider")
    destructive = True

    class Params(BaseParams):
        provider_arn: str = OidcArn

    def plan(self, p: Any) -> Plan:
        if current_thumbprints(self.iam, p.provider_arn) is None:
            return Plan([f"OIDC provider {p.provider_arn} is already deleted"], {"exists": False}, noop=True)
        roles = roles_trusting(self.iam, p.provider_arn)
        lines = [f"Would delete OIDC provider {p.provider_arn}"]
        if roles:
            lines.append(f"{len(roles)} role(s) trust it and could no longer be assumed through it: {', '.join(roles)}")
        else:
            lines.append("No role trusts it")
        return Plan(lines, {"exists": True, "trusting_roles": roles})

    def apply(self, p: Any) -> Outcome:
        try:
            self.iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=p.provider_arn)
        except ClientError as exc:
            if error_code(exc) != "NoSuchEntity":
                raise
            return Outcome(False, [f"OIDC provider {p.provider_arn} was already deleted"])
        return Outcome(True, [f"Deleted OIDC provider {p.provider_arn}"])
