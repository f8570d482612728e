"""``iambot run``: the Slack app (Socket Mode or HTTP under gunicorn) and the scheduler, in one process."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta
from typing import Any

from bot.app import Runtime, build, wsgi
from bot.config import Settings
from bot.scheduler import Background

log = logging.getLogger(__name__)


def start_background(runtime: Runtime) -> Background:
    """Sources (SQS when IAMBOT_SQS_QUEUE_URL is set, LookupEvents when enabled) and jobs."""
    from bot.sources.cloudtrail import LookupPoller
    from bot.sources.sqs import SqsSource

    settings, aws = runtime.settings, runtime.service.aws
    background = Background(runtime)
    runtime.service.learn_own_principal()
    if settings.sqs_queue_url:
        background.sqs = SqsSource(
            aws.client("sqs", region_name=queue_region(settings.sqs_queue_url)),
            settings.sqs_queue_url,
            background.sink,
            runtime.store,
            wait_seconds=settings.sqs_wait_seconds,
        )
    if settings.lookup_events:
        background.lookup = LookupPoller(
            aws.client("cloudtrail", region_name="us-east-1"),
            runtime.store,
            background.sink,
            overlap=timedelta(minutes=settings.lookup_overlap_minutes),
        )
    background.start()
    assert background.scheduler is not None
    log.info(
        "background started: sqs=%s lookup_events=%s jobs=%s",
        bool(settings.sqs_queue_url),
        settings.lookup_events,
        ",".join(j.id for j in background.scheduler.get_jobs()),
    )
    return background


def queue_region(url: str) -> str | None:
    """us-east-1 from https://sqs.us-east-1.amazonaws.com/123456789012/name; None for other endpoints."""
    host = url.split("/")[2] if "://" in url else ""
    parts = host.split(".")
    return parts[1] if len(parts) > 3 and parts[0] == "sqs" and host.endswith("amazonaws.com") else None


def run_socket_mode(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    runtime = build(settings, socket_mode=True)
    background = start_background(runtime)
    assert settings.slack_app_token is not None
    handler = SocketModeHandler(runtime.app, settings.slack_app_token.get_secret_value(), web_client=runtime.client)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    handler.connect()
    log.info("iambot ready (Socket Mode)")
    stop.wait()
    log.info("iambot stopping")
    handler.close()
    background.stop()
    runtime.store.close()


def run_http(settings: Settings, host: str = "0.0.0.0") -> None:
    """Serve with gunicorn: one worker process (the scheduler and SQLite writer live there)
    with threads for concurrent requests. Everything is built in the worker, after the fork."""
    from gunicorn.app.base import BaseApplication

    state: dict[str, Any] = {}

    def post_worker_init(worker: Any) -> None:
        log.info("iambot ready (HTTP)", extra={"port": settings.port})

    def worker_exit(server: Any, worker: Any) -> None:
        if "background" in state:
            state["background"].stop()
            state["runtime"].store.close()

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{settings.port}",
                "workers": 1,
                "worker_class": "gthread",
                "threads": 8,
                "timeout": 30,
                "graceful_timeout": 20,
                "post_worker_init": post_worker_init,
                "worker_exit": worker_exit,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            runtime = build(settings, socket_mode=False)
            state["runtime"] = runtime
            state["background"] = start_background(runtime)
            return wsgi(runtime.app, health=lambda: {"outbox_pending": runtime.outbox.pending()})

    Server().run()
