from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field, field_validator

from remediations.base import BaseParams, Outcome, Plan, Remediation, RemediationError, error_code

OidcArn = Field(pattern=r"^arn:aws[\w-]*:iam::\d{12}:oidc-provider/.+$", max_length=2048)


def current_thumbprints(iam: Any, provider_arn: str) -> list[str] | None:
    try:
        return list(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)["ThumbprintList"])
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return None
        raise


class RestoreOidcThumbprints(Remediation):
    """Puts back the thumbprint list recorded before the change (from iambot's snapshots of
    OIDC providers), or a list the operator gives."""

    id = "restore-oidc-thumbprints"
    title = "Restore the previous thumbprints"
    permissions = ("iam:GetOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint")
    destructive = False

    class Params(BaseParams):
        provider_arn: str = OidcArn
        thumbprints: list[str] = Field(min_length=1, max_length=5)

        @field_validator("thumbprints", mode="before")
        @classmethod
        def _split(cls, value: Any) -> Any:
            if isinstance(value, str):
                value = [v for v in value.replace(" ", ",").split(",") if v]
            return [str(v).strip().lower() for v in value]

        @field_validator("thumbprints")
        @classmethod
        def _hex(cls, value: list[str]) -> list[str]:
            for tp in value:
                if len(tp) != 40 or any(c not in "0123456789abcdef" for c in tp):
                    raise ValueError(f"{tp!r} is not a 40-character hex SHA-1 thumbprint")
            return value

    def plan(self, p: Any) -> Plan:
        current = current_thumbprints(self.iam, p.provider_arn)
        if current is None:
            raise RemediationError(f"OIDC provider {p.provider_arn} does not exist")
        wanted = sorted(p.thumbprints)
        if sorted(t.lower() for t in current) == wanted:
            return Plan(
                [f"OIDC provider {p.provider_arn} already has those thumbprints"],
                {"thumbprints": sorted(current)},
                noop=True,
            )
        return Plan(
            [
                f"Would replace the thumbprints of {p.provider_arn}: {', '.join(current) or 'none'} "
                f"→ {', '.join(p.thumbprints)}"
            ],
            {"thumbprints": sorted(current)},
        )

    def apply(self, p: Any) -> Outcome:
        self.iam.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=p.provider_arn, ThumbprintList=list(p.thumbprints)
        )
        return Outcome(True, [f"Restored thumbprints of {p.provider_arn}: {', '.join(p.thumbprints)}"])
