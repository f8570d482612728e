"""The table's rows on their way out: kept in a temporary file until every row is known (the
table is sorted), then written by a thread of their own while the main thread goes on.

Writing a table of a few hundred MB is mostly the kernel's work, which runs without the GIL: a
writer thread lets the main thread gather the next rows, and find the sequences, meanwhile.
"""

from __future__ import annotations

import itertools
import mmap
import queue
import tempfile
import threading
from array import array
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import IO

READ_BATCH = 2000  # table rows read back and written at once
QUEUED = 4  # batches handed to the writer and not yet written: a bound on the memory they hold


class Spool:
    """The table's rows, drawn as they come and kept in a temporary file; only their sort keys
    and places stay in memory, in arrays (no object a row), so a run over months of logs prints
    its table in flat memory."""

    def __init__(self) -> None:
        self.file: IO[bytes] | None = None
        self.keys = array("q")  # each row's sort key (parallel.row_key): severity, then time
        self.starts = array("q", [0])  # where each row starts in the file, and where the next one will

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: int, data: bytes) -> None:
        self.extend([key], [len(data)], data)

    def extend(self, keys: Iterable[int], sizes: Iterable[int], text: bytes) -> None:
        """Rows in the order they came: their sort keys and sizes, and their text, one after another."""
        if self.file is None:
            self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), after the table is printed
        self.file.write(text)
        self.keys.extend(keys)
        ends = itertools.accumulate(sizes, initial=self.starts[-1])
        next(ends)  # where these rows start: there already
        self.starts.extend(ends)

    def sorted(self, between: bytes = b"") -> Iterator[bytes]:
        """The rows by their keys (stable: file order among equals), with ``between`` between
        them, as UTF-8: read back a batch at a time (the file mapped, a batch one write)."""
        if self.file is None:
            return
        self.file.flush()
        order = sorted(range(len(self.keys)), key=self.keys.__getitem__)
        starts = self.starts
        with mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ) as view:
            for at in range(0, len(order), READ_BATCH):
                rows = [view[starts[i] : starts[i + 1]] for i in order[at : at + READ_BATCH]]
                yield (between if at else b"") + between.join(rows)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


class Writer:
    """Bytes written to ``out`` by a thread, in the order given. The first error the writer meets
    (a closed pipe, a full disk) is raised in the caller's thread, at its next :meth:`write` or at
    the end of the ``with`` block, and nothing after it is written."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.error: BaseException | None = None
        self.queue: queue.Queue[bytes | None] = queue.Queue(QUEUED)
        self.thread = threading.Thread(target=self._run, name="iambot-table-writer", daemon=True)

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.out.write(data)
                except BaseException as exc:  # any: handed to the caller's thread
                    self.error = exc

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, KeyboardInterrupt):
            self.error = exc
            return  # no wait for a pipe nobody reads: the thread ends with the process
        if kind is not None and self.error is None:
            self.error = exc  # the caller failed: what is queued is dropped, not written
        self.queue.put(None)
        self.thread.join()
        if kind is None and self.error is not None:
            raise self.error
