"""Building and serving the Slack app.

``create_app`` builds the Bolt ``App`` around a :class:`~bot.service.Service`; ``build`` makes
everything from settings; ``wsgi`` serves ``POST /slack/events`` and ``GET /healthz`` for
gunicorn (HTTP mode); Socket Mode needs no public URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from bot.config import ConfigError, Settings
from bot.slack import Outbox, web_client
from bot.store import Store

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def create_app(
    settings: Settings,
    service: Any,
    client: WebClient,
    *,
    socket_mode: bool = False,
    verify_token: bool = True,
) -> App:
    from handlers import register_all

    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    if not socket_mode and not secret:
        raise ConfigError("SLACK_SIGNING_SECRET is needed to check that requests come from Slack (HTTP mode)")
    app = App(
        client=client,
        signing_secret=secret or "socket-mode-requests-are-not-signed",
        request_verification_enabled=not socket_mode,
        token_verification_enabled=verify_token,
        # Lazy listeners (remediations, AWS calls) run here, after the ack has gone back.
        listener_executor=ThreadPoolExecutor(max_workers=8, thread_name_prefix="iambot-lazy"),
        name="iambot",
    )
    register_all(app, service)
    return app


@dataclass
class Runtime:
    settings: Settings
    store: Store
    client: WebClient
    outbox: Outbox
    service: Any
    app: App


def build_service(
    settings: Settings, aws: Any = None, sleep: Callable[[float], None] = time.sleep
) -> tuple[WebClient, Store, Outbox, Any]:
    """The Slack client, store, outbox and service, from settings (no Slack app, no network)."""
    from bot.service import Service
    from remediations.aws import Aws

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = web_client(token, settings.slack_api_url, sleep=sleep)
    store = Store(settings.db)
    outbox = Outbox(store, client, interval=settings.channel_interval_seconds, sleep=sleep)
    return client, store, outbox, Service(settings, store, outbox, aws or Aws.from_settings(settings))


def build(
    settings: Settings, *, socket_mode: bool, aws: Any = None, sleep: Callable[[float], None] = time.sleep
) -> Runtime:
    """Everything the Slack app needs, from settings."""
    missing = settings.missing_for_slack()
    if socket_mode and settings.slack_app_token is None:
        missing.append("SLACK_APP_TOKEN")
    if missing:
        raise ConfigError("missing configuration: " + "; ".join(missing))
    client, store, outbox, service = build_service(settings, aws, sleep)
    app = create_app(settings, service, client, socket_mode=socket_mode)
    return Runtime(settings, store, client, outbox, service, app)


def wsgi(app: App, health: Callable[[], dict[str, Any]] | None = None) -> Callable[..., Iterable[bytes]]:
    """A WSGI application: Slack's requests to Bolt, and a health check."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if path == HEALTH_PATH and method == "GET":
            body = orjson.dumps({"ok": True, **(health() if health else {})})
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path != EVENTS_PATH or method != "POST":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length).decode("utf-8") if length else ""
        headers: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers[key[5:].replace("_", "-").lower()] = value
        if "CONTENT_TYPE" in environ:
            headers["content-type"] = environ["CONTENT_TYPE"]
        resp = app.dispatch(BoltRequest(body=raw, query=environ.get("QUERY_STRING", ""), headers=headers))
        out = resp.body.encode("utf-8") if isinstance(resp.body, str) else resp.body
        reason = {200: "OK", 401: "Unauthorized", 404: "Not Found"}.get(resp.status, "Status")
        pairs = [(k, v) for k, values in resp.headers.items() for v in values if k.lower() != "content-length"]
        start_response(f"{resp.status} {reason}", [*pairs, ("Content-Length", str(len(out)))])
        return [out]

    return application
