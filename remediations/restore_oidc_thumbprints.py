from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field, field_validator

from remediations._impact import provider_impact
from remediations.base import (
    BaseParams,
    Job,
    JobContext,
    Knowledge,
    Outcome,
    Plan,
    Remediation,
    RemediationError,
    Undo,
    as_dict,
    error_code,
)

log = logging.getLogger(__name__)
SNAPSHOT = "oidc-thumbprints"
SNAPSHOT_PERMISSIONS = ("iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider")

OidcArn = Field(pattern=r"^arn:aws[\w-]*:iam::\d{12}:oidc-provider/.+$", max_length=2048)


def current_thumbprints(iam: Any, provider_arn: str) -> list[str] | None:
    try:
        return list(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)["ThumbprintList"])
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return None
        raise


def snapshot(ctx: JobContext) -> int:
    """Record each provider's thumbprints when they differ from the last record; rows added.

    CloudTrail records the new list of UpdateOpenIDConnectProviderThumbprint but not the old one,
    so iambot keeps its own record on a schedule."""
    added = 0
    iam = ctx.client
    for item in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        arn = item["Arn"]
        try:
            found = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"]
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                continue  # deleted between the list and the get
            raise
        if ctx.snapshots.record(SNAPSHOT, arn, sorted(t.lower() for t in found), ctx.account_id, ctx.now):
            added += 1
    if added:
        log.info("oidc snapshot", extra={"account": ctx.account_id, "changed": added})
    return added


class RestoreOidcThumbprints(Remediation):
    """Puts back the thumbprint list recorded before the change (from iambot's snapshots of
    OIDC providers, taken every hour), or a list the operator gives."""

    id = "restore-oidc-thumbprints"
    title = "Restore the previous thumbprints"
    permissions = (
        "iam:GetOpenIDConnectProvider",
        "iam:UpdateOpenIDConnectProviderThumbprint",
        "iam:ListRoles",  # the blast radius: the roles that trust the provider
    )
    destructive = False

    class Params(BaseParams):
        provider_arn: str = OidcArn
        thumbprints: list[str] = Field(min_length=1, max_length=5)

        @field_validator("thumbprints", mode="before")
        @classmethod
        def _split(cls, value: Any) -> Any:
            if isinstance(value, str):
                value = [v for v in value.replace(" ", ",").split(",") if v]
            if not isinstance(value, list | tuple):
                return value  # not a list: the type check refuses it
            return [str(v).strip().lower() for v in value]

        @field_validator("thumbprints")
        @classmethod
        def _hex(cls, value: list[str]) -> list[str]:
            for tp in value:
                if len(tp) != 40 or any(c not in "0123456789abcdef" for c in tp):
                    raise ValueError(f"{tp!r} is not a 40-character hex SHA-1 thumbprint")
            return value

    @classmethod
    def prepare(cls, params: dict[str, Any], knowledge: Knowledge) -> dict[str, Any]:
        if params.get("thumbprints"):
            return params
        arn = params.get("provider_arn", "")
        previous = None
        if knowledge.snapshots is not None and knowledge.event_time is not None:
            previous = knowledge.snapshots.before(SNAPSHOT, arn, knowledge.event_time)
        if not previous:
            raise RemediationError(
                "iambot has no record of this provider's thumbprints from before the change, so it cannot "
                "say what to restore. If you know the right list, ask for it with "
                f"`/iam remediate restore-oidc-thumbprints provider_arn={arn} thumbprints=<40-hex>,<40-hex>`"
            )
        return {**params, "thumbprints": previous}

    @classmethod
    def undo(cls, params: dict[str, Any], expected: dict[str, Any]) -> Undo | None:
        """The same remediation with the thumbprints the plan read before the change (its expected
        state, which execution also checked was still the live list), when they differ from the ones
        it put."""
        p = cls.parsed(params)
        before = as_dict(expected).get("thumbprints")
        if p is None or not isinstance(before, list):
            return None
        back = cls.parsed({"provider_arn": p.provider_arn, "thumbprints": before})
        if back is None or sorted(back.thumbprints) == sorted(p.thumbprints):
            return None
        return Undo(cls.id, {"provider_arn": p.provider_arn, "thumbprints": list(back.thumbprints)})

    @classmethod
    def jobs(cls) -> tuple[Job, ...]:
        return (Job("oidc-snapshot", 60, snapshot, SNAPSHOT_PERMISSIONS),)

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
            impact=provider_impact(self.iam, p.provider_arn),
        )

    def apply(self, p: Any) -> Outcome:
        self.iam.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=p.provider_arn, ThumbprintList=list(p.thumbprints)
        )
        return Outcome(True, [f"Restored thumbprints of {p.provider_arn}: {', '.join(p.thumbprints)}"])
