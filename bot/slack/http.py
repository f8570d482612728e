"""The HTTP front: Slack's requests to Bolt (through Bolt's own WSGI adapter) and ``/healthz``.

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
from typing import Any

import orjson
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1 << 20  # Slack's requests are a few kilobytes; 1 MB is generous
MAX_SKEW = 60 * 5  # Slack's own limit on a request's age

Health = Callable[[], tuple[bool, dict[str, Any]]]
StartResponse = Callable[..., Any]


def _respond(start: StartResponse, status: str, body: bytes, kind: str = "text/plain; charset=utf-8") -> list[bytes]:
    start(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
    return [body]


def health_response(health: Health, start: StartResponse) -> list[bytes]:
    ok, body = health()
    payload = orjson.dumps({"ok": ok, **body}, default=str)
    return _respond(start, "200 OK" if ok else "503 Service Unavailable", payload, "application/json")


class SlackHttp:
    """A WSGI application: POST /slack/events and GET /healthz."""

    def __init__(self, app: App, secret: str, health: Health, clock: Callable[[], float] = time.time):
        self.handler = SlackRequestHandler(app, path=EVENTS_PATH)
        self.secret = secret.encode()
        self.health = health
        self.clock = clock

    def signed(self, body: bytes, timestamp: str, signature: str) -> bool:
        """Slack's v0 signature, computed over the raw bytes (whatever they hold)."""
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self.secret, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        try:
            if path == HEALTH_PATH:
                if method not in ("GET", "HEAD"):
                    return _respond(start, "405 Method Not Allowed", b"Method Not Allowed")
                return health_response(self.health, start)
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
