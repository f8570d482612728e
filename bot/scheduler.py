"""APScheduler jobs, by name, and the background threads of `iambot run`.

Jobs: outbox retry, request expiry, OIDC thumbprint snapshot, LookupEvents poll (when enabled),
digest (cron and time zone from config). A job that fails is logged and runs again at its next
time. Sources hand events to the service without posting; a poster thread, woken at once,
does the posting at Slack's pace, so a burst never holds up the queue.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

log = logging.getLogger(__name__)

OUTBOX_SECONDS = 15
EXPIRY_SECONDS = 60
OIDC_SNAPSHOT_MINUTES = 60


class Background:
    """The scheduler, the poster thread and the sources' threads, started and stopped together."""

    def __init__(self, runtime: Any):
        self.runtime = runtime
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.lookup: Any = None  # a LookupPoller, polled by a job
        self.sqs: Any = None  # an SqsSource, run in its own thread
        self.scheduler: BackgroundScheduler | None = None
        self.threads: list[threading.Thread] = []

    def sink(self, events: list[Any]) -> None:
        """Where sources put events: stored and decided now, posted by the poster thread."""
        self.runtime.service.ingest(events, flush=False)
        self.wake.set()

    def _poster(self) -> None:
        while not self.stop_event.is_set():
            self.wake.wait(OUTBOX_SECONDS)
            self.wake.clear()
            try:
                self.runtime.outbox.flush()
            except Exception:
                log.exception("posting failed; the outbox keeps the messages")

    def start(self) -> None:
        self.scheduler = build_scheduler(self.runtime, self, self.lookup)
        self.threads.append(threading.Thread(target=self._poster, name="iambot-poster", daemon=True))
        if self.sqs is not None:
            self.threads.append(threading.Thread(target=self.sqs.run, args=(self.stop_event,), name="iambot-sqs"))
        self.scheduler.start()
        for t in self.threads:
            t.start()
        self.wake.set()  # whatever was left from the last run goes out first

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()
        for t in self.threads:
            t.join(timeout=30)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)


def build_scheduler(runtime: Any, background: Background, lookup: Any = None) -> BackgroundScheduler:
    settings, service = runtime.settings, runtime.service
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(background.wake.set, "interval", seconds=OUTBOX_SECONDS, id="outbox-retry", name="outbox retry")
    scheduler.add_job(service.expire, "interval", seconds=EXPIRY_SECONDS, id="request-expiry", name="request expiry")
    if "restore-oidc-thumbprints" in service.enabled:
        scheduler.add_job(
            _guard(service.snapshot_oidc, "OIDC snapshot"),
            "interval",
            minutes=OIDC_SNAPSHOT_MINUTES,
            id="oidc-snapshot",
            name="OIDC thumbprint snapshot",
            next_run_time=datetime.now(UTC),
        )
    if lookup is not None:
        scheduler.add_job(
            _guard(lookup.poll, "LookupEvents poll"),
            "interval",
            seconds=settings.lookup_interval_seconds,
            id="lookup-events",
            name="LookupEvents poll",
            next_run_time=datetime.now(UTC),
        )
    scheduler.add_job(
        _guard(service.post_digest, "digest"),
        digest_trigger(settings),
        id="digest",
        name="digest",
    )
    return scheduler


_DOW = ["sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def crontab_day_of_week(field: str) -> str:
    """Standard crontab weekdays (0 or 7 = Sunday, 1 = Monday) as names: APScheduler 3 numbers
    them from Monday = 0, so "1-5" passed through would mean Tuesday to Saturday."""

    def name(token: str) -> str:
        return _DOW[int(token)] if token.isdigit() else token

    parts = []
    for item in field.split(","):
        step = ""
        if "/" in item:
            item, step = item.split("/", 1)
            step = "/" + step
        if "-" in item:
            a, b = item.split("-", 1)
            parts.append(f"{name(a)}-{name(b)}{step}")
        else:
            parts.append(name(item) + step)
    return ",".join(parts)


def digest_trigger(settings: Any) -> CronTrigger:
    fields = settings.digest_cron.split()
    if len(fields) != 5:
        raise ValueError(f"digest_cron {settings.digest_cron!r}: expected 5 fields (minute hour day month weekday)")
    minute, hour, day, month, dow = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_day_of_week(dow),
        timezone=settings.digest_timezone,
    )


def _guard(job: Any, name: str) -> Any:
    def run() -> None:
        try:
            job()
        except Exception:
            log.exception("%s failed; it runs again at its next time", name)

    run.__name__ = name
    return run
