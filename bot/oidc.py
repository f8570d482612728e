"""Snapshots of OIDC providers' thumbprints, so a changed list can be put back.

CloudTrail records the new thumbprint list of ``UpdateOpenIDConnectProviderThumbprint`` but not
the old one. iambot records every provider's list on a schedule (a row only when it changed);
``restore-oidc-thumbprints`` takes the last list recorded before the event.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import orjson

from bot.store import Store, dumps, iso, now

log = logging.getLogger(__name__)

READ_PERMISSIONS = ("iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider")


def snapshot(store: Store, iam: Any, account_id: str, at: datetime | None = None) -> int:
    """Record each provider's thumbprints if they differ from the last record; return rows added."""
    at = at or now()
    added = 0
    for item in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        arn = item["Arn"]
        try:
            thumbprints = sorted(
                t.lower() for t in iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"]
            )
        except iam.exceptions.NoSuchEntityException:
            continue  # deleted between the list and the get
        last = store.row(
            "SELECT thumbprints FROM oidc_snapshots WHERE provider_arn = ? ORDER BY taken_at DESC, id DESC LIMIT 1",
            [arn],
        )
        if last is None or orjson.loads(last["thumbprints"]) != thumbprints:
            with store.transaction():
                store.db["oidc_snapshots"].insert(
                    {
                        "account_id": account_id,
                        "provider_arn": arn,
                        "thumbprints": dumps(thumbprints),
                        "taken_at": iso(at),
                    }
                )
            added += 1
    if added:
        log.info("oidc snapshot", extra={"account": account_id, "changed": added})
    return added


def before(store: Store, provider_arn: str, when: datetime) -> list[str] | None:
    """The thumbprints recorded for the provider last before ``when``, or None."""
    row = store.row(
        "SELECT thumbprints FROM oidc_snapshots WHERE provider_arn = ? AND taken_at < ?"
        " ORDER BY taken_at DESC, id DESC LIMIT 1",
        [provider_arn, iso(when)],
    )
    return orjson.loads(row["thumbprints"]) if row else None
