"""The pipelined SQS source: the next batch is received while the current one commits, through a
hand-off of one batch; a message is deleted only after its events are committed; a stop is
honoured within a second, and what was received but not committed is left on the queue."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import pytest

from bot.catalog import load as load_catalog
from bot.sources import Deps, SqsSource
from bot.store import Store
from tests.conftest import ALERTS
from tests.support.records import as_account, envelope, load

URL = "https://sqs.us-east-1.amazonaws.com/123456789012/iambot-events"
WAIT = 5.0  # the longest any test waits for the other thread (it never sleeps)


def body(n: int) -> str:
    record = as_account(load("UpdateAccessKey__authored__1.json"))
    record["eventID"] = f"evt-{n:04d}"
    return envelope(record)


class StubQueue:
    """An SQS client whose receives long-poll like SQS (until a message or the wait is over) and
    whose calls are logged in order with the sink's commits."""

    def __init__(self, batches: list[list[int]], log: list[tuple[str, Any]], fail_first: bool = False):
        self.batches = deque(batches)
        self.log = log
        self.fail_first = fail_first
        self.cond = threading.Condition()
        self.receives = 0
        self.released = False

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        with self.cond:
            self.receives += 1
            self.cond.notify_all()
            if self.fail_first:
                self.fail_first = False
                raise ConnectionError("the endpoint did not answer")
            self.cond.wait_for(lambda: self.batches or self.released, kwargs["WaitTimeSeconds"])
            batch = self.batches.popleft() if self.batches else []
            self.log.append(("receive", batch))
        return {
            "Messages": [
                {"MessageId": f"m{n}", "ReceiptHandle": f"r{n}", "Body": body(n),
                 "Attributes": {"ApproximateReceiveCount": "1"}}
                for n in batch
            ]
        }

    def delete_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        with self.cond:
            self.log.append(("delete", [int(e["ReceiptHandle"][1:]) for e in kwargs["Entries"]]))
        return {"Successful": [{"Id": e["Id"]} for e in kwargs["Entries"]], "Failed": []}

    def wait_for_receives(self, n: int) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.receives >= n, timeout=WAIT)

    def release(self) -> None:
        """The end of the test: a receive waiting on an empty queue returns at once."""
        with self.cond:
            self.released = True
            self.cond.notify_all()


class Sink:
    """Logs each commit; ``hold`` keeps the first commit waiting until ``go`` is set."""

    def __init__(self, log: list[tuple[str, Any]], hold: bool = False):
        self.log = log
        self.hold = hold
        self.holding = threading.Event()
        self.go = threading.Event()

    def take(self, events: Any, source: str = "") -> None:
        ids = [int(e.event_id.split("-")[1]) for e in events]
        if self.hold:
            self.hold = False
            self.holding.set()
            assert self.go.wait(WAIT)
        self.log.append(("commit", ids))


@pytest.fixture
def store():
    made = Store(":memory:")
    yield made
    made.close()


def source(queue: StubQueue, sink: Sink, store: Store, wait: int = 20) -> SqsSource:
    deps = Deps(None, sink, store, load_catalog().selection())
    return SqsSource(queue, URL, deps, wait_seconds=wait, prefetch=1)


def in_thread(fn: Any) -> threading.Thread:
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread


def test_the_next_batch_is_received_while_the_current_one_commits(store):
    log: list[tuple[str, Any]] = []
    queue, sink = StubQueue([[1, 2], [3], [4]], log), Sink(log, hold=True)
    src, stop = source(queue, sink, store), threading.Event()
    first = in_thread(lambda: src.poll(stop))
    assert sink.holding.wait(WAIT)  # batch 1 is committing…
    assert queue.wait_for_receives(2)  # …and batch 2 has been received meanwhile
    assert queue.receives == 2  # no further: the hand-off holds one batch
    sink.go.set()
    first.join(WAIT)
    src.poll(stop)
    src.poll(stop)
    stop.set()
    queue.release()
    at = {entry: i for i, entry in enumerate((kind, tuple(ids)) for kind, ids in log)}
    assert at[("receive", (3,))] < at[("commit", (1, 2))]  # received while batch 1 committed
    assert at[("delete", (1, 2))] < at[("receive", (4,))]  # room again only once batch 2 was taken
    for batch in ((1, 2), (3,), (4,)):
        assert at[("receive", batch)] < at[("commit", batch)] < at[("delete", batch)]


def test_deletes_only_after_the_commit_and_each_message_once(store):
    log: list[tuple[str, Any]] = []
    batches = [[n, n + 1] for n in range(0, 20, 2)]
    queue = StubQueue(batches, log)
    src, stop = source(queue, Sink(log), store), threading.Event()
    events = sum(src.poll(stop).events for _ in batches)
    stop.set()
    queue.release()
    assert events == 20
    committed: set[int] = set()
    deleted: list[int] = []
    for kind, ids in log:
        if kind == "commit":
            committed.update(ids)
        elif kind == "delete":
            assert set(ids) <= committed  # never before its commit
            deleted.extend(ids)
    assert sorted(deleted) == list(range(20))


def test_a_stop_is_honoured_within_a_second_and_an_uncommitted_batch_stays(store):
    log: list[tuple[str, Any]] = []
    queue, sink = StubQueue([[1], [2]], log), Sink(log, hold=True)
    src, stop = source(queue, sink, store), threading.Event()
    first = in_thread(lambda: src.poll(stop))
    assert sink.holding.wait(WAIT) and queue.wait_for_receives(2)  # batch 2 waits in the hand-off
    stop.set()
    sink.go.set()
    first.join(WAIT)
    assert src.poll(stop).received == 0  # stopping: batch 2 is not taken
    assert ("delete", [1]) in log and not any(kind == "delete" and 2 in ids for kind, ids in log)
    queue.release()


def test_a_poll_waiting_on_an_empty_queue_returns_within_a_second_of_a_stop(store):
    log: list[tuple[str, Any]] = []
    queue = StubQueue([], log)
    src, stop = source(queue, Sink(log), store), threading.Event()
    done = threading.Event()
    waiting = in_thread(lambda: (src.poll(stop), done.set()))
    assert queue.wait_for_receives(1)
    stop.set()
    waiting.join(1.5)
    assert done.is_set()
    queue.release()


def test_a_receive_error_is_raised_by_the_poll_then_receiving_goes_on(store):
    log: list[tuple[str, Any]] = []
    queue = StubQueue([[7]], log, fail_first=True)
    src, stop = source(queue, Sink(log), store), threading.Event()
    with pytest.raises(ConnectionError):
        src.poll(stop)
    assert src.poll(stop).events == 1
    stop.set()
    queue.release()
    assert ("delete", [7]) in log


def test_close_stops_the_receiver(store):
    log: list[tuple[str, Any]] = []
    queue = StubQueue([[1]], log)
    src, stop = source(queue, Sink(log), store), threading.Event()
    assert src.poll(stop).events == 1
    receiver = src._receiver
    assert receiver is not None and receiver.thread.is_alive()
    src.close()
    queue.release()
    receiver.thread.join(WAIT)
    assert not receiver.thread.is_alive()


def test_iambot_run_builds_the_pipelined_source(settings_for, aws):
    from remediations.aws import Aws

    settings = settings_for(IAMBOT_SQS_QUEUE_URL=URL)
    store = Store(":memory:")
    deps = Deps(Aws.from_settings(settings, aws), Sink([]), store, load_catalog().selection())
    built = SqsSource.from_settings(settings, deps)
    assert isinstance(built, SqsSource) and built.prefetch == 1
    store.close()


def test_end_to_end_through_moto_each_event_stored_and_posted_once(runtime, slack, aws):
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName="iambot-pipeline", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    for n in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=body(n))
    deps = Deps(runtime.aws, runtime.workflow.intake, runtime.store, load_catalog().selection())
    src, stop = SqsSource(sqs, url, deps, wait_seconds=0, prefetch=1), threading.Event()
    taken = 0
    for _ in range(100):
        taken += src.poll(stop).events
        if taken >= 25:
            break
    stop.set()
    src.close()
    assert taken == 25 and runtime.store.events.count() == 25
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert slack.posted(ALERTS)  # the first alert posted; its repeats go into its thread
