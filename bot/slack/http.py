"""The HTTP front: Slack's requests to Bolt (through Bolt's own WSGI adapter) and the probes
(``/healthz``, ``/readyz``, ``/metrics``: bot/runtime/health.py says what each checks).

Before Bolt sees a request, its size, timestamp and signature are checked here, so a malformed
or forged request gets 400, 401 or 413 — never a 500, and never a parse of an unsigned body.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import orjson
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # Prometheus's text format
MAX_BODY = 1 << 20  # Slack's requests are a few kilobytes; 1 MB is generous
MAX_SKEW = 60 * 5  # Slack's own limit on a request's age

StartResponse = Callable[..., Any]


class Probes(Protocol):
    def live(self) -> tuple[bool, dict[str, Any]]: ...

    def ready(self) -> tuple[bool, dict[str, Any]]: ...

    def metrics(self) -> bytes | None: ...


def _respond(start: StartResponse, status: str, body: bytes, kind: str = "text/plain; charset=utf-8") -> list[bytes]:
    start(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]


def probe_response(probes: Probes, environ: dict[str, Any], start: StartResponse) -> list[bytes] | None:
    """The answer to a probe's path (None for any other path)."""
    path, method = environ.get("PATH_INFO", "/"), environ.get("REQUEST_METHOD", "GET")
    if path not in (HEALTH_PATH, READY_PATH, METRICS_PATH):
        return None
    if method not in ("GET", "HEAD"):
        return _respond(start, "405 Method Not Allowed", b"Method Not Allowed")
    if path == METRICS_PATH:
        text = probes.metrics()
        if text is None:  # metrics = false
            return _respond(start, "404 Not Found", b"Not Found")
        return _respond(start, "200 OK", text, METRICS_TYPE)
    ok, body = probes.live() if path == HEALTH_PATH else probes.ready()
    payload = orjson.dumps({"ok": ok, **body}, default=str)
    return _respond(start, "200 OK" if ok else "503 Service Unavailable", payload, "application/json")


class SlackHttp:
    """A WSGI application: POST /slack/events, and the probes."""

    def __init__(self, app: App, secret: str, probes: Probes, clock: Callable[[], float] = time.time):
        self.handler = SlackRequestHandler(app, path=EVENTS_PATH)
        self.secret = secret.encode()
        self.probes = probes
        self.clock = clock

    def signed(self, body: bytes, timestamp: str, signature: str) -> bool:
        """Slack's v0 signature, computed over the raw bytes (whatever they hold)."""
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self.secret, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        try:
            probed = probe_response(self.probes, environ, start)
            if probed is not None:
                return probed
            if path != EVENTS_PATH:
                return _respond(start, "404 Not Found", b"Not Found")
            if method != "POST":
                return _respond(start, "405 Method Not Allowed", b"Method Not Allowed")
            return self._slack(environ, start)
        except Exception:
            log.exception("request failed", extra={"path": path[:100]})
            return _respond(start, "500 Internal Server Error", b"Internal Server Error")

    def _slack(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _respond(start, "400 Bad Request", b"Bad Content-Length")
        if length < 0:
            return _respond(start, "400 Bad Request", b"Bad Content-Length")
        if length > MAX_BODY:
            return _respond(start, "413 Payload Too Large", b"Payload Too Large")
        body = environ["wsgi.input"].read(length) if length else b""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
            return _respond(start, "401 Unauthorized", b"Unauthorized")
        if abs(self.clock() - int(timestamp)) > MAX_SKEW:
            return _respond(start, "401 Unauthorized", b"Unauthorized")
        if not self.signed(body, timestamp, signature):
            return _respond(start, "401 Unauthorized", b"Unauthorized")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return _respond(start, "400 Bad Request", b"Bad Request")
        environ = {**environ, "wsgi.input": io.BytesIO(text.encode()), "CONTENT_LENGTH": str(len(body))}
        try:
            return self.handler(environ, start)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # a signed body Bolt cannot read (payload=<not JSON>): the sender's mistake, not ours
            log.warning("unreadable signed request", extra={"error": type(exc).__name__})
            return _respond(start, "400 Bad Request", b"Bad Request")
