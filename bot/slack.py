"""The one Slack Web API wrapper, and the outbox that makes posting reliable.

The client retries on 429 (honouring ``Retry-After``) and on connection errors, nothing else.
Every message the bot posts goes through :class:`Outbox`: a row in SQLite per logical message,
holding the payload it should show now. A post that fails stays in the outbox and is retried
with backoff, so an alert is never lost while Slack is down; a row is posted only while it has
no ``ts`` and only by the caller holding its lease, so it is never posted twice. If the process
died in the middle of a post, the retry first looks for the message in the channel by its
metadata before posting again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from bot.blocks import Message
from bot.pace import Pacer
from bot.store import Store, dumps, iso, now

log = logging.getLogger(__name__)

METADATA_TYPE = "iambot_message"
# chat.update errors after which an update can never succeed: stop trying, keep the row.
_FINAL_UPDATE_ERRORS = {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}


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


@dataclass
class FlushStats:
    posted: int = 0
    updated: int = 0
    failed: int = 0
    waiting: int = 0  # replies whose parent is not posted yet


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 10 minutes."""
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


class Outbox:
    def __init__(
        self,
        store: Store,
        client: WebClient,
        clock: Callable[[], datetime] = now,
        lease: timedelta = timedelta(seconds=60),
        interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.client = client
        self.clock = clock
        self.lease = lease
        # posts to one channel at least `interval` seconds apart (Slack allows about one a second)
        self._pacer = Pacer(interval, sleep, monotonic)
        self._flushing = threading.Lock()

    # -------------------------------------------------------------- writing

    def put(
        self,
        message_id: str,
        kind: str,
        ref: str,
        channel: str,
        message: Message,
        thread_of: str | None = None,
    ) -> bool:
        """Queue a new message; False (and nothing queued) if ``message_id`` exists already."""
        with self.store.transaction() as conn:
            return bool(
                conn.execute(
                    "INSERT OR IGNORE INTO messages (id, kind, ref, channel, thread_of, payload, version,"
                    " sent_version, attempts, created_at) VALUES (?,?,?,?,?,?,1,0,0,?)",
                    (message_id, kind, ref, channel, thread_of, dumps(message.as_kwargs()), iso(self.clock())),
                ).rowcount
            )

    def update(self, message_id: str, message: Message) -> bool:
        """Replace what the message should show; it is sent on the next flush. False if unknown."""
        with self.store.transaction() as conn:
            return bool(
                conn.execute(
                    "UPDATE messages SET payload = ?, version = version + 1, next_at = NULL WHERE id = ?",
                    (dumps(message.as_kwargs()), message_id),
                ).rowcount
            )

    def get(self, message_id: str) -> dict[str, Any] | None:
        return self.store.row("SELECT * FROM messages WHERE id = ?", [message_id])

    def pending(self) -> int:
        row = self.store.row("SELECT COUNT(*) AS n FROM messages WHERE ts IS NULL OR sent_version < version")
        return int(row["n"]) if row else 0

    # -------------------------------------------------------------- sending

    def flush(self, limit: int = 200) -> FlushStats:
        """Send what is due: new posts first in creation order, then updates."""
        stats = FlushStats()
        with self._flushing:  # one flusher per process; leases guard against other processes
            at = iso(self.clock())
            due = self.store.rows(
                "SELECT * FROM messages WHERE (ts IS NULL OR sent_version < version)"
                " AND (next_at IS NULL OR next_at <= ?) AND (lease_until IS NULL OR lease_until < ?)"
                " ORDER BY created_at, rowid LIMIT ?",
                [at, at, limit],
            )
            for row in due:
                self._send(row, stats)
        return stats

    def _claim(self, row: dict[str, Any]) -> bool:
        at = self.clock()
        with self.store.transaction() as conn:
            return bool(
                conn.execute(
                    "UPDATE messages SET lease_until = ?, attempts = attempts + 1 WHERE id = ? AND version = ?"
                    " AND (lease_until IS NULL OR lease_until < ?)",
                    (iso(at + self.lease), row["id"], row["version"], iso(at)),
                ).rowcount
            )

    def _send(self, row: dict[str, Any], stats: FlushStats) -> None:
        thread_ts = None
        channel = row["channel"]
        if row["thread_of"]:
            parent = self.get(row["thread_of"])
            if parent is None or not parent["ts"]:
                stats.waiting += 1
                return
            thread_ts, channel = parent["ts"], parent["channel"]
        if not self._claim(row):
            return
        payload = orjson.loads(row["payload"])
        try:
            if row["ts"]:
                self._chat_update(row, payload)
                self._done(row, ts=row["ts"], channel=row["channel"])
                stats.updated += 1
            else:
                found = self._find_posted(row, channel, thread_ts) if row["attempts"] > 0 else None
                if found:
                    ts, posted_channel = found, channel
                else:
                    self._pacer.wait(channel)
                    resp = self.client.chat_postMessage(
                        channel=channel,
                        thread_ts=thread_ts,
                        unfurl_links=False,
                        unfurl_media=False,
                        metadata={"event_type": METADATA_TYPE, "event_payload": {"id": row["id"]}},
                        **payload,
                    )
                    ts, posted_channel = resp["ts"], resp.get("channel") or channel
                self._done(row, ts=ts, channel=posted_channel)
                stats.posted += 1
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if row["ts"] and error in _FINAL_UPDATE_ERRORS:
                log.warning("slack update abandoned", extra={"outbox_id": row["id"], "error": error})
                self._done(row, ts=row["ts"], channel=row["channel"])
                return
            self._failed(row, f"{error or exc}")
            stats.failed += 1
        except (SlackClientError, OSError) as exc:
            self._failed(row, f"{type(exc).__name__}: {exc}")
            stats.failed += 1

    def _chat_update(self, row: dict[str, Any], payload: dict[str, Any]) -> None:
        self.client.chat_update(channel=row["channel"], ts=row["ts"], **payload)

    def _find_posted(self, row: dict[str, Any], channel: str, thread_ts: str | None) -> str | None:
        """After an interrupted post: the ts of our message if Slack has it (found by metadata)."""
        try:
            oldest = str(datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")).timestamp() - 5)
            if thread_ts:
                resp = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest, limit=200, include_all_metadata=True
                )
            else:
                resp = self.client.conversations_history(
                    channel=channel, oldest=oldest, limit=200, include_all_metadata=True
                )
        except SlackApiError as exc:
            log.warning("could not check for an interrupted post", extra={"outbox_id": row["id"], "error": str(exc)})
            return None
        for msg in resp.get("messages", []):
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == METADATA_TYPE and (meta.get("event_payload") or {}).get("id") == row["id"]:
                return str(msg["ts"])
        return None

    def _done(self, row: dict[str, Any], ts: str, channel: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE messages SET ts = ?, channel = ?, sent_version = ?, sent_at = ?, lease_until = NULL,"
                " last_error = NULL, next_at = NULL, attempts = 0 WHERE id = ?",
                (ts, channel, row["version"], iso(self.clock()), row["id"]),
            )

    def _failed(self, row: dict[str, Any], error: str) -> None:
        attempts = int(row["attempts"]) + 1
        log.warning("slack post failed; kept in the outbox", extra={"outbox_id": row["id"], "error": error})
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE messages SET lease_until = NULL, last_error = ?, next_at = ? WHERE id = ?",
                (error[:500], iso(self.clock() + backoff(attempts)), row["id"]),
            )
