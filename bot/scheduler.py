"""APScheduler jobs, by name. Each job is a plain method of the service; a failure is logged
and the job runs again at its next time (APScheduler keeps going)."""

from __future__ import annotations

import logging
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)

OUTBOX_SECONDS = 15
EXPIRY_SECONDS = 60
OIDC_SNAPSHOT_MINUTES = 60


def build_scheduler(runtime: Any) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    service = runtime.service
    scheduler.add_job(runtime.outbox.flush, "interval", seconds=OUTBOX_SECONDS, id="outbox-retry", name="outbox retry")
    scheduler.add_job(service.expire, "interval", seconds=EXPIRY_SECONDS, id="request-expiry", name="request expiry")
    if "restore-oidc-thumbprints" in service.enabled:
        scheduler.add_job(
            _snapshot,
            "interval",
            minutes=OIDC_SNAPSHOT_MINUTES,
            id="oidc-snapshot",
            name="OIDC thumbprint snapshot",
            args=[service],
            next_run_time=_soon(),
        )
    return scheduler


def _soon() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _snapshot(service: Any) -> None:
    try:
        service.snapshot_oidc()
    except Exception:
        log.exception("OIDC snapshot failed; thumbprint restores will say they have no record")
