"""APScheduler jobs, by name. A job that fails is logged and runs again at its next time.

outbox-retry (wakes the poster), request-expiry, question-settle, digest (crontab and time zone from the
settings), canary and canary-check (the feed canary, when it is on), and the jobs the enabled
remediations need (oidc-snapshot keeps the thumbprints that restore-oidc-thumbprints puts back).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot import metrics
from bot.config.cron import trigger
from bot.runtime.replicas import EPOCH, once_per_period
from bot.store import now
from bot.workflow import Workflow
from remediations import registry
from remediations.base import JobContext

log = logging.getLogger(__name__)

OUTBOX_SECONDS = 15
EXPIRY_SECONDS = 60


def guard(job: Callable[[], Any], name: str) -> Callable[[], Any]:
    """The job, logged and counted (iambot_job_errors_total) when it raises; its result otherwise."""

    def run() -> Any:
        try:
            return job()
        except Exception:
            metrics.JOB_ERRORS.labels(name).inc()
            log.exception("%s failed; it runs again at its next time", name)
            return None

    run.__name__ = name
    return run


def build_scheduler(wf: Workflow, aws: Any, wake: Callable[[], None], replica: str = "") -> BackgroundScheduler:
    """Every replica ticks the same jobs; each period runs once across them (bot/runtime/replicas.py)."""
    settings = wf.settings
    store = wf.store
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(wake, "interval", seconds=OUTBOX_SECONDS, id="outbox-retry", name="outbox retry")
    expire = once_per_period(store, "request-expiry", EXPIRY_SECONDS, lambda _: wf.remediations.expire(), replica)
    scheduler.add_job(
        guard(expire, "request expiry"),
        "interval",
        seconds=EXPIRY_SECONDS,
        start_date=EPOCH,
        id="request-expiry",
        name="request expiry",
    )
    # a "no" whose quarantine a crash left unasked (bot/workflow/questions.py); once a minute, across replicas
    settle = once_per_period(store, "question-settle", EXPIRY_SECONDS, lambda _: wf.questions.settle(), replica)
    scheduler.add_job(guard(settle, "question settle"), "interval", seconds=EXPIRY_SECONDS, start_date=EPOCH,
                      id="question-settle", name="question settle")  # fmt: skip
    # the claims themselves: a day's are kept, for `iambot db` and for people asking who ran what
    prune = once_per_period(store, "runs-prune", 3600, lambda hour: store.runs.prune(hour - timedelta(days=1)), replica)
    scheduler.add_job(guard(prune, "runs prune"), "interval", hours=1, start_date=EPOCH, id="runs-prune")
    # the digest's period is its minute, and the digest runs up to that minute (the same in every replica)
    digest = once_per_period(store, "digest", 60, lambda minute: wf.digests.scheduled(until=minute), replica)
    scheduler.add_job(
        guard(digest, "digest"),
        trigger(settings.digest_cron, settings.digest_timezone),
        id="digest",
        name="digest",
    )
    canary = wf.canary
    if canary.active:
        minutes = settings.canary_minutes
        send = once_per_period(store, "canary", minutes * 60, canary.send, replica)
        scheduler.add_job(guard(send, "canary"), "interval", minutes=minutes, start_date=EPOCH, id="canary",
                          name="canary", next_run_time=datetime.now(UTC))  # fmt: skip
        check = once_per_period(store, "canary-check", 60, lambda _: canary.check(), replica)
        scheduler.add_job(guard(check, "canary check"), "interval", minutes=1, start_date=EPOCH, id="canary-check",
                          name="canary check")  # fmt: skip
    for rid in settings.enabled_remediations():
        cls = registry.REMEDIATIONS[rid]
        for job in cls.jobs():
            if scheduler.get_job(job.name):
                continue

            def run(_: datetime, job: Any = job, service: str = cls.service) -> int:
                ctx = JobContext(aws.acting(service), aws.home_account(), wf.store.snapshots, now())
                return int(job.run(ctx))

            scheduler.add_job(
                guard(once_per_period(store, job.name, job.minutes * 60, run, replica), job.name),
                "interval",
                minutes=job.minutes,
                start_date=EPOCH,
                id=job.name,
                name=job.name,
                next_run_time=datetime.now(UTC),
            )
    return scheduler
