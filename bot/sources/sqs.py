"""The SQS queue an EventBridge rule feeds (and, for Organization trails, S3 event notifications).

Long polling, ten messages a batch. What happens to a message:

- its events are committed (one unit of work for the batch), then it is deleted; a crash
  between the two means a redelivery, which the store turns into nothing;
- an S3 event notification (direct, through SNS, or through EventBridge): the objects it names
  are read through the files reader and their records taken in, then it is deleted;
- a body that is not JSON or holds no records: stored in ``rejected`` with the reason and the
  whole body, then deleted — retrying cannot change it, and nothing is lost;
- a failure that may pass (the database locked, an object not readable yet, a bug): the
  message is not deleted and comes back after the visibility timeout; on its last receive
  before the dead-letter queue takes it (``sqs_max_receive_count``) it is also stored in
  ``rejected`` with the reason, so the operator sees it in iambot as well as in the DLQ.

Pipelined (``prefetch`` > 0, as `iambot run` builds it): a receiver thread fetches the next
batch while this one commits (at most ``prefetch`` batches wait); commit, then delete, as above.
A stop is honoured within a second: a batch received but not committed comes back.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import orjson

from bot.events import IamEvent, ReadStats, Rejected, UnreadableInput, events_from_bytes, excerpt, is_digest
from bot.sources.base import Deps, PollResult, Source, Statement, store_rejections
from bot.sources.files import SUFFIXES, bucket_statements, read_object
from bot.store import StoreBusy

if TYPE_CHECKING:
    from bot.config.settings import Settings

log = logging.getLogger(__name__)
BUSY_RETRY_SECONDS = 30  # how long a batch waits out a locked database before letting SQS redeliver it


def queue_arn(url: str) -> str | None:
    """arn:aws:sqs:us-east-1:123456789012:name from https://sqs.us-east-1.amazonaws.com/123456789012/name."""
    parts = url.split("/")
    host = parts[2] if len(parts) > 4 else ""
    labels = host.split(".")
    if len(labels) < 3 or labels[0] != "sqs" or not (parts[3].isascii() and parts[3].isdigit()):
        return None
    return f"arn:aws:sqs:{labels[1]}:{parts[3]}:{parts[4]}"


def queue_region(url: str) -> str | None:
    arn = queue_arn(url)
    return arn.split(":")[3] if arn else None


def s3_objects(doc: Any) -> list[tuple[str, str]] | None:
    """The (bucket, key) pairs an S3 event notification names, or None when ``doc`` is not one."""
    if isinstance(doc, dict) and doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str):
        try:
            doc = orjson.loads(doc["Message"])  # through SNS
        except orjson.JSONDecodeError:
            return None
    if isinstance(doc, dict) and doc.get("source") == "aws.s3" and isinstance(doc.get("detail"), dict):
        detail = doc["detail"]  # through EventBridge ("Object Created")
        bucket = (detail.get("bucket") or {}).get("name") if isinstance(detail.get("bucket"), dict) else None
        key = (detail.get("object") or {}).get("key") if isinstance(detail.get("object"), dict) else None
        return [(bucket, key)] if isinstance(bucket, str) and isinstance(key, str) else []
    if isinstance(doc, dict) and doc.get("Event") == "s3:TestEvent":
        return []
    records = doc.get("Records") if isinstance(doc, dict) else None
    if not isinstance(records, list) or not records:
        return None
    if not all(isinstance(r, dict) and r.get("eventSource") == "aws:s3" for r in records):
        return None
    found = []
    for r in records:
        s3 = r.get("s3") if isinstance(r.get("s3"), dict) else {}
        bucket = (s3.get("bucket") or {}).get("name") if isinstance(s3.get("bucket"), dict) else None
        key = (s3.get("object") or {}).get("key") if isinstance(s3.get("object"), dict) else None
        if isinstance(bucket, str) and isinstance(key, str):
            found.append((bucket, key.replace("+", " ")))  # notifications URL-encode keys
    return found


@dataclass
class _Message:
    id: str
    receipt: str
    receives: int
    body: str
    events: list[IamEvent] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    outcome: str = "ok"  # ok | unreadable | retry
    reason: str = ""


class SqsSource:
    kind: ClassVar[str] = "sqs"
    exclusive: ClassVar[bool] = False

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        deps: Deps,
        wait_seconds: int = 20,
        max_receive_count: int = 5,
        s3: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        prefetch: int = 0,
    ):
        self.sqs = sqs
        self.queue_url = queue_url
        self.deps = deps
        self.wait_seconds = wait_seconds
        self.max_receive_count = max_receive_count
        self.s3 = s3
        self.sleep = sleep
        self.prefetch = prefetch
        self._receiver: _Receiver | None = None
        self.name = "sqs"
        self.interval = 0.0
        self.stale_after = max(120.0, 4 * wait_seconds)

    @classmethod
    def from_settings(cls, settings: Settings, deps: Deps) -> Source | None:
        if not settings.sqs_queue_url:
            return None
        aws = deps.aws
        return cls(
            aws.client("sqs", region_name=queue_region(settings.sqs_queue_url)),
            settings.sqs_queue_url,
            deps,
            wait_seconds=settings.sqs_wait_seconds,
            max_receive_count=settings.sqs_max_receive_count,
            s3=aws.client("s3"),
            prefetch=1,
        )

    @classmethod
    def permissions(cls, settings: Settings) -> list[Statement]:
        if not settings.sqs_queue_url:
            return []
        arn = queue_arn(settings.sqs_queue_url) or "*"
        return [
            {"Sid": "IambotQueue", "Effect": "Allow", "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
             "Resource": arn},
            *bucket_statements(list(settings.trail_buckets), list(settings.trail_kms_keys)),
        ]

    # ------------------------------------------------------------------ one batch

    def poll(self, stop: threading.Event) -> PollResult:
        """Receive one batch (pipelined: take the one received meanwhile), commit its events, then
        delete what is done."""
        if self.prefetch <= 0:
            return self._process(self._receive(), stop)
        receiver = self._receiver
        if receiver is None or receiver.stop is not stop or not receiver.thread.is_alive():
            self.close()
            receiver = self._receiver = _Receiver(self._receive, self.prefetch, stop, idle=self.wait_seconds == 0)
        item = receiver.take(max(1.0, float(self.wait_seconds)))
        if isinstance(item, BaseException):
            raise item
        return self._process(item or [], stop)

    def close(self) -> None:
        """Stop the receiver thread; what it received and nobody committed comes back later."""
        if self._receiver is not None:
            self._receiver.close()
            self._receiver = None

    def _receive(self) -> list[dict[str, Any]]:
        resp = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self.wait_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return list(resp.get("Messages", []))

    def _process(self, raw: list[dict[str, Any]], stop: threading.Event) -> PollResult:
        if stop.is_set() or not raw:
            return PollResult(len(raw))  # stopping: what was received comes back after the visibility timeout
        batch = [self._read(m) for m in raw]
        self._commit(batch, stop)
        self._reject(batch)
        done = [m for m in batch if m.outcome in ("ok", "unreadable")]
        if done:
            entries = [{"Id": str(i), "ReceiptHandle": m.receipt} for i, m in enumerate(done)]
            result = self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
            for failure in result.get("Failed", []):
                log.warning(
                    "sqs delete failed; the message will come back and be deduplicated",
                    extra={"code": failure.get("Code")},
                )
        return PollResult(len(raw), sum(len(m.events) for m in batch), sum(len(m.rejected) for m in batch))

    def _read(self, raw: dict[str, Any]) -> _Message:
        attrs = raw.get("Attributes")
        count = attrs.get("ApproximateReceiveCount", "1") if isinstance(attrs, dict) else "1"
        body = raw.get("Body")
        body = body if isinstance(body, str) else ""
        msg = _Message(
            str(raw.get("MessageId", "?")),
            str(raw.get("ReceiptHandle", "")),
            int(count) if str(count).isascii() and str(count).isdigit() else 1,
            body,
        )
        where = f"sqs:{msg.id}"
        data = body.encode("utf-8", "surrogatepass")
        try:
            objects = s3_objects(orjson.loads(data))
        except orjson.JSONDecodeError:
            objects = None
        stats = ReadStats()
        try:
            if objects is not None:
                for bucket, key in objects:
                    if key.endswith(SUFFIXES) and not is_digest(key) and self.s3 is not None:
                        self._take_object(msg, bucket, key, stats)
                return msg
            for item in events_from_bytes(data, where, stats, self.deps.selection):
                (msg.rejected if isinstance(item, Rejected) else msg.events).append(item)  # type: ignore[arg-type]
        except UnreadableInput as exc:
            msg.outcome, msg.reason = "retry", str(exc)
            return msg
        if stats.records == 0 and not msg.events:
            reason = msg.rejected[0].reason if msg.rejected else "the message holds no CloudTrail record"
            msg.outcome, msg.reason = "unreadable", reason
            if not msg.rejected:
                msg.rejected.append(Rejected(where, reason, excerpt(body)))
        return msg

    def _take_object(self, msg: _Message, bucket: str, key: str, stats: ReadStats) -> None:
        uri = f"s3://{bucket}/{key}"
        data = read_object(self.s3, bucket, key)  # UnreadableInput: try again later
        for item in events_from_bytes(data, uri, stats, self.deps.selection):
            (msg.rejected if isinstance(item, Rejected) else msg.events).append(item)  # type: ignore[arg-type]

    def _commit(self, batch: list[_Message], stop: threading.Event) -> None:
        ready = [m for m in batch if m.outcome == "ok" and m.events]
        if not ready:
            return
        waited = 0.0
        while True:
            try:
                self.deps.sink.take([e for m in ready for e in m.events], source=self.kind)
                return
            except StoreBusy as exc:
                if waited >= BUSY_RETRY_SECONDS or stop.is_set():
                    for m in ready:
                        m.outcome, m.reason = "retry", str(exc)
                    return
                if self.sleep is time.sleep:
                    stop.wait(2.0)  # woken at once by a stop
                else:
                    self.sleep(2.0)
                waited += 2.0
            except Exception:  # isolate the message that breaks the batch
                log.exception("sqs batch failed; taking its messages one by one")
                for m in ready:
                    try:
                        self.deps.sink.take(m.events, source=self.kind)
                    except Exception as one:
                        m.outcome, m.reason = "retry", f"{type(one).__name__}: {one}"
                return

    def _reject(self, batch: list[_Message]) -> None:
        """Rejections are stored once: with the message when it is deleted, or on its last receive."""
        for m in batch:
            last = m.receives >= self.max_receive_count
            try:
                if m.outcome == "ok":
                    store_rejections(self.deps.store, m.rejected, self.kind)
                elif m.outcome == "unreadable":
                    store_rejections(self.deps.store, m.rejected, self.kind, body=m.body[: 256 * 1024])
                elif last:
                    gave_up = Rejected(
                        f"sqs:{m.id}", f"gave up after {m.receives} receives: {m.reason}", excerpt(m.body)
                    )
                    store_rejections(self.deps.store, [*m.rejected, gave_up], self.kind, body=m.body[: 256 * 1024])
            except StoreBusy:
                if m.outcome == "unreadable":
                    m.outcome = "retry"  # keep it until its rejection is stored
            if m.outcome != "ok":
                log.warning(
                    "sqs message not taken", extra={"sqs_message": m.id, "outcome": m.outcome, "reason": m.reason[:300]}
                )


class _Receiver:
    """A daemon thread that receives batches ahead of the committer: it receives only when the
    hand-off has room (``depth`` batches), hands over errors for the poll to raise, and drops
    what it holds once stopped (SQS makes it visible again)."""

    def __init__(self, receive: Callable[[], list[dict[str, Any]]], depth: int, stop: threading.Event, idle: bool):
        self.receive = receive
        self.stop = stop
        self.idle = idle  # no long polling: pause between empty receives
        self.closed = threading.Event()
        self.room = threading.Semaphore(depth)
        self.handoff: queue.Queue[list[dict[str, Any]] | Exception] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="iambot-sqs-receiver", daemon=True)
        self.thread.start()

    def halted(self) -> bool:
        return self.stop.is_set() or self.closed.is_set()

    def _run(self) -> None:
        while not self.halted():
            if not self.room.acquire(timeout=1.0):
                continue
            try:
                item: list[dict[str, Any]] | Exception = self.receive()
            except Exception as exc:  # the poll raises it: the runner logs it and backs off
                item = exc
            if self.halted():
                return  # received while stopping: left for the visibility timeout
            if isinstance(item, list) and not item:
                self.room.release()
                if self.idle:
                    self.closed.wait(0.05)
                continue
            self.handoff.put(item)

    def take(self, wait: float) -> list[dict[str, Any]] | Exception | None:
        """The next batch received (or the error receiving it), waiting at most ``wait`` seconds
        and never more than a second after a stop."""
        deadline = time.monotonic() + wait
        while not self.halted():
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                item = self.handoff.get(timeout=min(1.0, left))
            except queue.Empty:
                continue
            self.room.release()
            return item
        return None

    def close(self) -> None:
        self.closed.set()
