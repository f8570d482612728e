"""The HTTP server of `iambot run`: waitress, one process.

waitress reads each request whole in its event loop before a worker thread sees it, so clients
that announce a body and then stall (or trickle) hold a socket, not a thread: Slack's requests
are still acknowledged at once. A body larger than the limit is refused with 413 before it is
read; an idle connection is closed after ``channel_timeout``. In Socket Mode the same server
answers the probes only (/healthz, /readyz, /metrics), so container platforms have them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from waitress.server import create_server

from bot.slack.http import MAX_BODY, Probes, probe_response

log = logging.getLogger(__name__)

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def health_only(probes: Probes) -> WSGI:
    def application(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        probed = probe_response(probes, environ, start)
        if probed is not None:
            return probed
        start("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"Not Found"]

    return application


class Server:
    """A waitress server running in a thread of its own, stopped by ``close()``."""

    def __init__(self, app: WSGI, host: str, port: int, threads: int = 8):
        self.server = _create(app, host, port, threads)
        self.port = int(self.server.effective_port)
        self._closing = threading.Event()
        self.thread = threading.Thread(target=self._run, name="iambot-http", daemon=True)

    def start(self) -> Server:
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:
            if not self._closing.is_set():  # closing the sockets under the event loop ends it this way
                raise

    def close(self) -> None:
        self._closing.set()
        self.server.close()
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)


def serve(app: WSGI, host: str, port: int, threads: int = 8) -> Server:
    """A server bound to (host, port) and running; ``port`` 0 picks a free one (``.port``)."""
    return Server(app, host, port, threads).start()


def _create(app: WSGI, host: str, port: int, threads: int) -> Any:
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        connection_limit=1000,
        channel_timeout=30,
        cleanup_interval=5,
        max_request_body_size=MAX_BODY,
        max_request_header_size=64 * 1024,
        expose_tracebacks=False,
        ident="iambot",
        clear_untrusted_proxy_headers=True,
    )
