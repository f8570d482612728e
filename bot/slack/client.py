"""The one Slack Web API client: retries on 429 (honouring ``Retry-After``) and on connection
errors, nothing else; both sleep through an injected function, so tests never sleep."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from bot import metrics

log = logging.getLogger(__name__)


class RetryAfter(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, waiting exactly ``Retry-After`` seconds through an injectable sleep."""

    def __init__(self, max_retry_count: int = 5, sleep: Callable[[float], None] = time.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep

    def prepare_for_next_attempt(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> None:
        if response is None:  # pragma: no cover - _can_retry only passes responses
            raise error
        headers = {k.lower(): v for k, v in response.headers.items()}
        value = headers.get("retry-after", ["1"])
        value = value[0] if isinstance(value, list) else value
        try:
            wait = max(0.0, float(value))
        except ValueError:
            wait = 1.0
        log.warning("slack rate limited", extra={"retry_after": wait, "url": request.url})
        metrics.SLACK_RATE_LIMITED.inc()
        state.next_attempt_requested = True
        self.sleep(wait)
        state.increment_current_attempt()


class ConnectionRetry(ConnectionErrorRetryHandler):
    """slack_sdk's connection-error handler (backoff from its interval calculator), through an injectable sleep."""

    def __init__(self, max_retry_count: int = 2, sleep: Callable[[float], None] = time.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep

    def prepare_for_next_attempt(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> None:
        state.next_attempt_requested = True
        self.sleep(self.interval_calculator.calculate_sleep_duration(state.current_attempt))
        state.increment_current_attempt()


def web_client(token: str | None, base_url: str, sleep: Callable[[float], None] = time.sleep) -> WebClient:
    """A WebClient pointed at ``base_url`` (SLACK_API_URL) with the two retry handlers."""
    if not base_url.endswith("/"):
        base_url += "/"
    handlers: list[RetryHandler] = [ConnectionRetry(sleep=sleep), RetryAfter(sleep=sleep)]
    return WebClient(token=token, base_url=base_url, timeout=15, retry_handlers=handlers)
