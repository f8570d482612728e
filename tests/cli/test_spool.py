"""The table's spool and its writer thread: rows by key, written in order, and a writer's error
(a pipe nobody reads, a full disk) raised where the table is printed, with nothing after it."""

from __future__ import annotations

import io
import threading

import pytest

from bot.cli import spool as spool_module
from bot.cli.spool import Spool, Writer


def test_the_spool_prints_by_key_and_in_file_order_among_equals():
    spool = Spool()
    spool.extend([5, 3, 5], [2, 3, 1], b"aabbbc")
    spool.add(3, "dé".encode())
    spool.extend([], [], b"")
    assert len(spool) == 4
    assert b"".join(spool.sorted(between=b"|")) == "bbb|dé|aa|c".encode()
    spool.close()


def test_the_spool_reads_back_a_batch_at_a_time(monkeypatch):
    monkeypatch.setattr(spool_module, "READ_BATCH", 2)
    spool = Spool()
    spool.extend(range(5, 0, -1), [1] * 5, b"edcba")
    assert list(spool.sorted(between=b"-")) == [b"a-b", b"-c-d", b"-e"]
    spool.close()


def test_an_empty_spool_prints_nothing():
    assert list(Spool().sorted()) == []


def test_the_writer_writes_everything_in_order_from_another_thread():
    out = io.BytesIO()
    threads = set()
    write = out.write

    def noting(data):
        threads.add(threading.current_thread())
        return write(data)

    out.write = noting  # type: ignore[method-assign]
    with Writer(out) as writer:
        for i in range(100):
            writer.write(b"%d," % i)
    assert out.getvalue() == b"".join(b"%d," % i for i in range(100))
    assert threading.current_thread() not in threads and len(threads) == 1


class Failing(io.RawIOBase):
    """An output that takes ``good`` writes, then fails as a closed pipe does."""

    def __init__(self, good: int):
        self.good, self.taken = good, []

    def writable(self):
        return True

    def write(self, data):
        if len(self.taken) >= self.good:
            raise BrokenPipeError(32, "Broken pipe")
        self.taken.append(bytes(data))
        return len(data)


def test_a_writers_error_is_raised_in_the_callers_thread_and_nothing_after_it_is_written():
    out = Failing(good=3)
    with pytest.raises(BrokenPipeError), Writer(out) as writer:
        for i in range(50):
            writer.write(b"%d" % i)
    assert out.taken == [b"0", b"1", b"2"]


def test_a_writers_error_after_the_last_write_is_raised_at_the_end():
    out = Failing(good=0)
    with pytest.raises(BrokenPipeError), Writer(out) as writer:
        writer.write(b"x")
    assert out.taken == []


def test_when_the_caller_fails_its_error_stands_and_the_thread_ends():
    out = io.BytesIO()
    with pytest.raises(ValueError, match="mine"), Writer(out) as writer:
        writer.write(b"a")
        raise ValueError("mine")
    assert not writer.thread.is_alive()
