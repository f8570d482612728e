"""The Bolt app: built here, its listeners registered by the runtime (from ``handlers/``)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

log = logging.getLogger(__name__)


class SlackConfigError(ValueError):
    """Slack settings that cannot work; the message names them."""


def create_app(
    client: WebClient,
    signing_secret: str | None,
    *,
    socket_mode: bool,
    executor: ThreadPoolExecutor,
    verify_token: bool = True,
) -> App:
    """A Bolt App whose slow listeners run lazily (after the ack) on a small thread pool.

    ``verify_token`` asks Slack's auth.test at start: a revoked or mistyped token fails here, with
    Slack's own error, instead of at the first alert."""
    if not socket_mode and not signing_secret:
        raise SlackConfigError("SLACK_SIGNING_SECRET is needed to check that requests come from Slack (HTTP mode)")
    try:
        return App(
            client=client,
            signing_secret=signing_secret or "socket-mode-requests-are-not-signed",
            request_verification_enabled=not socket_mode,
            token_verification_enabled=verify_token,
            listener_executor=executor,
            # each listener's ack runs in the request's own thread and answers at once; without this
            # Bolt hands the ack to the executor (shared with the lazy work) and polls for it every
            # 10 ms, which put a 10 ms floor and a queue behind every acknowledgement
            process_before_response=True,
            name="iambot",
        )
    except BoltError as exc:
        error = str(exc).split("'error': '")[-1].split("'")[0] if "'error': '" in str(exc) else str(exc)[:200]
        raise SlackConfigError(f"Slack refused SLACK_BOT_TOKEN ({error})") from exc
    except (SlackClientError, OSError) as exc:
        raise SlackConfigError(f"cannot reach Slack at {client.base_url} to check SLACK_BOT_TOKEN ({exc})") from exc


class SocketMode:
    """The Socket Mode connection (the Procfile's worker): no public URL needed."""

    def __init__(self, app: App, app_token: str, client: WebClient):
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.handler = SocketModeHandler(app, app_token, web_client=client)
        self._closed = threading.Event()

    def connect(self) -> None:
        self.handler.connect()

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self.handler.close()
