"""`iambot run`: the Slack app (HTTP or Socket Mode), the sources and the scheduled jobs, in one
process, with /healthz in both modes. SIGTERM or SIGINT stops it within 5 seconds: the server
stops taking requests, each source finishes the batch in hand or leaves it on the queue, and
the process exits 0."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from bot.config.settings import Settings
from bot.runtime.server import health_only, serve
from bot.runtime.wiring import Runtime, build
from bot.slack.app import SocketMode
from bot.slack.http import SlackHttp

log = logging.getLogger(__name__)
STOP_SECONDS = 3.0  # of the 5 s budget: the rest is the interpreter's own exit


def start_server(runtime: Runtime, socket_mode: bool, host: str) -> Any:
    settings = runtime.settings
    if socket_mode:
        app = health_only(runtime.health)
    else:
        assert runtime.app is not None and settings.slack_signing_secret is not None
        app = SlackHttp(runtime.app, settings.slack_signing_secret.get_secret_value(), runtime.health)
    return serve(app, host, settings.port)


def run(settings: Settings, socket_mode: bool, host: str = "0.0.0.0") -> None:
    """Build, start, wait for a signal, stop. Raises ConfigError / StoreError / SlackConfigError
    before anything connects when the configuration cannot work."""
    # first of all: as PID 1 of a container, a signal without a handler is dropped, so a SIGTERM
    # during the build (a second or so) would be lost and the platform would wait and SIGKILL
    signals: list[int] = []  # a handler only appends: it may interrupt anything, itself included
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, _frame: signals.append(number))
    runtime = build(settings, slack_app=True, socket_mode=socket_mode)
    if signals:  # stopped while starting: nothing has started yet
        runtime.store.close()
        log.info("iambot stopped before it started")
        return
    runtime.learn_own_principal()
    runtime.start_background()
    server = start_server(runtime, socket_mode, host)
    socket = None
    if socket_mode:
        assert runtime.app is not None and settings.slack_app_token is not None
        socket = SocketMode(runtime.app, settings.slack_app_token.get_secret_value(), runtime.client)
        socket.connect()
    log.info("iambot ready", extra={"mode": "socket" if socket_mode else "http", "port": settings.port})
    while not signals:
        time.sleep(0.1)
    log.info("iambot stopping")
    server.close()
    if socket is not None:
        threading.Thread(target=socket.close, daemon=True).start()  # its close can block; never past our budget
    runtime.stop(STOP_SECONDS)
    runtime.store.close()
    log.info("iambot stopped")
