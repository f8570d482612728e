"""Sending the outbox to Slack: each due row rendered from the current state, posted once, then
updated in place.

A post that fails stays in the outbox and is retried with backoff, so an alert is never lost
while Slack is down; a row is posted only while it has no ``ts`` and only by the holder of its
lease, so it is never posted twice. If the process died in the middle of a post, the retry
first looks for the message in the channel by its metadata before posting again.

A message built with a fallback (the digest's table) that Slack refuses with ``invalid_blocks`` is
sent again at once in its fallback form, and the refusal is remembered in the store, so every
later message is built without that block. A digest's chart is a row of its own, a reply to the
digest: uploaded with files.getUploadURLExternal + files.completeUploadExternal (slack_sdk's
files_upload_v2) once the digest is posted, looked for in the thread by its file name before a
retry uploads again; an upload Slack will never take is given up, and the digest reads without it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot import metrics
from bot.pace import Pacer
from bot.slack.chart import Chart
from bot.slack.messages import Message
from bot.slack.messages.base import refused
from bot.store import MessageRow, Store, StoreBusy, now, parse_iso
from bot.workflow.messages import DIRECT, Kind

log = logging.getLogger(__name__)

METADATA_TYPE = "iambot_message"
# chat.update errors after which an update can never succeed: stop trying, keep the row.
FINAL_UPDATE_ERRORS = {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}


@dataclass
class FlushStats:
    posted: int = 0
    updated: int = 0
    failed: int = 0
    waiting: int = 0  # replies whose parent is not posted yet
    dropped: int = 0  # rows whose subject no longer exists


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 10 minutes."""
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


# what Slack answers for a message with a block it does not take (a table where tables are off);
# invalid_attachments is its answer to a second table in one message
REFUSED_BLOCKS = frozenset({"invalid_blocks", "invalid_attachments"})
# upload errors after which an upload can never succeed: no files:write scope, no channel, uploads off
FINAL_UPLOAD_ERRORS = frozenset(
    {"missing_scope", "not_allowed_token_type", "channel_not_found", "not_in_channel", "file_uploads_disabled"}
)

# what Slack answers when the bot token no longer works: nothing will post until a person acts
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"})


class Poster:
    def __init__(
        self,
        store: Store,
        client: Any,
        render: Callable[[MessageRow], Message | None],
        clock: Callable[[], datetime] = now,
        lease: timedelta = timedelta(seconds=60),
        interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        holder: str = "",
        home: Callable[[MessageRow], dict[str, Any] | None] | None = None,
        chart: Callable[[MessageRow], Chart | None] | None = None,
        recipient: Callable[[MessageRow], str | None] | None = None,
    ):
        self.store = store
        self.holder = holder  # this replica's name, on each claim
        self.auth_error: str | None = None  # Slack refused the token on the last call (readiness says so)
        self.client = client
        self.render = render
        self.home = home  # a Home row's view, for views.publish
        self.chart = chart  # a chart row's picture, for the upload
        self.recipient = recipient  # who a direct message (channel DIRECT) goes to; None: nobody
        self.clock = clock
        self.lease = lease
        self._pacer = Pacer(interval, sleep, monotonic)  # posts to one channel `interval` seconds apart
        self._flushing = threading.Lock()

    def flush(self, limit: int = 200, keep: Callable[[], bool] | None = None) -> FlushStats:
        """Send what is due: new posts first in creation order, then updates; with ``keep``
        (this replica's turn), stop as soon as it is lost."""
        stats = FlushStats()
        with self._flushing:  # one flusher per process
            try:
                due = self.store.outbox.due(self.clock(), limit)
            except StoreBusy:
                log.warning("the store is busy; posting waits for the next flush")
                return stats
            for row in due:
                if keep is not None and not keep():
                    break
                self._send(row, stats)
        return stats

    def _send(self, row: MessageRow, stats: FlushStats) -> None:
        thread_ts, channel = None, row.channel
        if row.thread_of:
            parent = self.store.outbox.get(row.thread_of)
            if parent is None or not parent.ts:
                stats.waiting += 1
                return
            thread_ts, channel = parent.ts, parent.channel
        if not self.store.outbox.claim(row.id, row.version, self.clock(), self.lease, self.holder):
            return
        if row.kind == Kind.HOME:
            self._publish(row, stats)
            return
        if row.kind == Kind.CHART:
            self._upload(row, channel, thread_ts, stats)
            return
        if channel == DIRECT:
            opened = self._direct(row, stats)
            if opened is None:
                return
            channel = opened
        message = self.render(row)
        if message is None:
            self.store.outbox.sent(row.id, row.ts or "-", row.channel, row.version, self.clock())
            stats.dropped += 1
            return
        try:
            if row.ts:
                self._with_fallback(
                    message, lambda msg: self.client.chat_update(channel=row.channel, ts=row.ts, **msg.as_kwargs())
                )
                self.store.outbox.sent(row.id, row.ts, row.channel, row.version, self.clock())
                stats.updated += 1
                return
            found = self._find_posted(row, channel, thread_ts) if row.attempts > 0 else None
            if found:
                ts, posted_channel = found, channel
            else:
                self._pacer.wait(channel)
                resp = self._with_fallback(
                    message,
                    lambda msg: self.client.chat_postMessage(
                        channel=channel,
                        thread_ts=thread_ts,
                        unfurl_links=False,
                        unfurl_media=False,
                        metadata={"event_type": METADATA_TYPE, "event_payload": {"id": row.id}},
                        **msg.as_kwargs(),
                    ),
                )
                ts, posted_channel = resp["ts"], resp.get("channel") or channel
            self.store.outbox.sent(row.id, ts, posted_channel, row.version, self.clock())
            self.auth_error = None
            stats.posted += 1
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            method = "chat.update" if row.ts else "chat.postMessage"
            metrics.SLACK_ERRORS.labels(method, metrics.label(error or "unknown")).inc()
            if error in AUTH_ERRORS:
                self.auth_error = f"Slack refused the bot token ({error})"
            if row.ts and error in FINAL_UPDATE_ERRORS:
                log.warning("slack update abandoned", extra={"outbox_id": row.id, "error": error})
                self.store.outbox.sent(row.id, row.ts, row.channel, row.version, self.clock())
                return
            self._failed(row, error or str(exc))
            stats.failed += 1
        except (SlackClientError, OSError) as exc:
            self._unreachable(row, stats, "chat.update" if row.ts else "chat.postMessage", exc)

    def _direct(self, row: MessageRow, stats: FlushStats) -> str | None:
        """The channel id of the direct message with the row's person (conversations.open), or None:
        the row goes to nobody (dropped) or Slack could not open it (retried with backoff)."""
        person = self.recipient(row) if self.recipient is not None and not row.ts else None
        if person is None:
            self.store.outbox.sent(row.id, row.ts or "-", row.channel, row.version, self.clock())
            stats.dropped += 1
            return None
        try:
            opened = self.client.conversations_open(users=person)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            metrics.SLACK_ERRORS.labels("conversations.open", metrics.label(error or "unknown")).inc()
            self._failed(row, error or str(exc))
            stats.failed += 1
            return None
        except (SlackClientError, OSError) as exc:
            self._unreachable(row, stats, "conversations.open", exc)
            return None
        found = (opened.get("channel") or {}).get("id")
        if not isinstance(found, str) or not found:
            self._failed(row, "conversations.open answered without a channel")
            stats.failed += 1
            return None
        return found

    def _with_fallback(self, message: Message, send: Callable[[Message], Any]) -> Any:
        """``send(message)``; if Slack refuses its blocks and it has a fallback form, ``send`` that
        instead and remember the refusal, so later messages are built without the refused block."""
        try:
            return send(message)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if message.fallback is None or error not in REFUSED_BLOCKS:
                raise
            log.warning("slack refused the message's %s block; sent without it from now on", message.needs,
                        extra={"error": error})  # fmt: skip
            metrics.SLACK_ERRORS.labels("blocks", metrics.label(error)).inc()
            if message.needs:
                self.store.cursors.set(refused(message.needs), error, self.clock())
            return send(message.fallback)

    def _upload(self, row: MessageRow, channel: str, thread_ts: str | None, stats: FlushStats) -> None:
        """A digest's chart, uploaded once into the digest's thread."""
        chart = self.chart(row) if self.chart is not None and not row.ts else None
        if chart is None:  # uploaded already, charts off, or it could not be drawn
            self.store.outbox.sent(row.id, row.ts or "-", row.channel, row.version, self.clock())
            if not row.ts:
                stats.dropped += 1
            return
        found = self._find_posted(row, channel, thread_ts, chart.filename) if row.attempts > 0 else None
        try:
            if found is None:
                self._pacer.wait(channel)  # the file is shared as a message in the channel
                resp = self.client.files_upload_v2(
                    channel=channel, thread_ts=thread_ts, content=chart.png, filename=chart.filename,
                    title=chart.title, alt_txt=chart.alt, initial_comment=chart.comment,
                )  # fmt: skip
                found = str((resp.get("file") or {}).get("id") or "-")
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            metrics.SLACK_ERRORS.labels("files.upload", metrics.label(error or "unknown")).inc()
            if error in FINAL_UPLOAD_ERRORS:
                log.warning("the digest's chart was not uploaded: Slack will not take it", extra={"error": error})
                self.store.outbox.sent(row.id, "-", row.channel, row.version, self.clock())
                stats.dropped += 1
                return
            self._failed(row, error or str(exc))
            stats.failed += 1
            return
        except (SlackClientError, OSError) as exc:
            self._unreachable(row, stats, "files.upload", exc)
            return
        self.store.outbox.sent(row.id, found, channel, row.version, self.clock())
        stats.posted += 1

    def _publish(self, row: MessageRow, stats: FlushStats) -> None:
        """A person's Home tab, published whole from the current state (a view, not a message)."""
        view = self.home(row) if self.home is not None else None
        if view is None:
            self.store.outbox.sent(row.id, "-", row.channel, row.version, self.clock())
            stats.dropped += 1
            return
        try:
            self.client.views_publish(user_id=row.ref, view=view)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            metrics.SLACK_ERRORS.labels("views.publish", metrics.label(error or "unknown")).inc()
            self._failed(row, error or str(exc))
            stats.failed += 1
            return
        except (SlackClientError, OSError) as exc:
            self._unreachable(row, stats, "views.publish", exc)
            return
        self.store.outbox.sent(row.id, "-", row.channel, row.version, self.clock())
        stats.updated += 1

    def _find_posted(self, row: MessageRow, channel: str, thread_ts: str | None, filename: str = "") -> str | None:
        """After an interrupted post: the ts of our message if Slack has it (found by metadata), or
        with ``filename``, the id of the file we shared there."""
        try:
            oldest = str(parse_iso(row.created_at).timestamp() - 5)
            if thread_ts:
                resp = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=oldest, limit=200, include_all_metadata=True
                )
            else:
                resp = self.client.conversations_history(
                    channel=channel, oldest=oldest, limit=200, include_all_metadata=True
                )
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("could not check for an interrupted post", extra={"outbox_id": row.id, "error": str(exc)})
            return None
        for msg in resp.get("messages", []):
            for shared in msg.get("files") or [] if filename else []:
                if shared.get("name") == filename:
                    return str(shared.get("id") or "-")
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == METADATA_TYPE and (meta.get("event_payload") or {}).get("id") == row.id:
                return str(msg["ts"])
        return None

    def _unreachable(self, row: MessageRow, stats: FlushStats, method: str, exc: Exception) -> None:
        """Slack could not be reached, or the client failed: counted, and the row retried with backoff."""
        metrics.SLACK_ERRORS.labels(method, type(exc).__name__).inc()
        self._failed(row, f"{type(exc).__name__}: {exc}")
        stats.failed += 1

    def _failed(self, row: MessageRow, error: str) -> None:
        log.warning("slack post failed; kept in the outbox", extra={"outbox_id": row.id, "error": error})
        self.store.outbox.failed(row.id, error, self.clock() + backoff(row.attempts + 1))
