"""The HTTP server of `iambot run`: waitress, one process.

waitress reads each request whole in its event loop before a worker thread sees it, so clients
that announce a body and then stall (or trickle) hold a socket, not a thread: Slack's requests
are still acknowledged at once. A body larger than the limit is refused with 413 before it is
read; an idle connection is closed after ``channel_timeout``. In Socket Mode the same server
answers /healthz only, so container platforms have a probe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from waitress.server import create_server

from bot.slack.http import HEALTH_PATH, MAX_BODY, Health, health_response

log = logging.getLogger(__name__)

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def health_only(health: Health) -> WSGI:
    def application(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return health_response(health, start)
        start("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"Not Found"]

    return application


def serve(app: WSGI, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server, bound and ready (call ``.run()``; ``.close()`` stops it)."""
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
