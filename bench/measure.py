"""How the bench measures: wall time and the peak RSS of a whole process tree (children
included, sampled from /proc every 50 ms), repeated in interleaved rounds so that a machine
whose speed drifts during the run slows every contender alike, and reported as min/median/max."""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KB (shared pages count in each)."""
    tree = _children()
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):  # it may have just exited
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_KB
        stack.extend(tree.get(p, ()))
    return total


class PeakSampler:
    """The peak of :func:`tree_rss_kb` while a process runs."""

    def __init__(self, pid: int, every: float = 0.05):  # a sample costs ~1 ms of a core: 2% at 50 ms
        self.pid, self.every, self.peak = pid, every, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss_kb(self.pid))
            self.done.wait(self.every)

    def stop(self) -> int:
        self.done.set()
        self.thread.join()
        return self.peak


@dataclass
class Sample:
    seconds: float
    rss_mb: float
    cpu: float  # user + system seconds of the whole tree: what a busier machine cannot hide


@dataclass
class Contender:
    name: str
    command: str  # a bash command line
    setup: Callable[[], Any] | None = None  # run before each repetition, not timed
    samples: list[Sample] = field(default_factory=list)

    def once(self, env: dict[str, str] | None = None) -> Sample:
        if self.setup is not None:
            self.setup()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.Popen(["bash", "-c", self.command], stderr=subprocess.PIPE, env=env)
        sampler = PeakSampler(proc.pid)
        _, err = proc.communicate()
        seconds = time.perf_counter() - t0
        peak = sampler.stop()
        if proc.returncode not in (0,):
            raise RuntimeError(f"{self.name}: exit {proc.returncode}: {err.decode(errors='replace')[-800:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # every descendant is waited for by its parent
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        sample = Sample(seconds, peak / 1024, cpu)
        self.samples.append(sample)
        return sample

    def seconds(self) -> Spread:
        return Spread([s.seconds for s in self.samples])

    def rss(self) -> Spread:
        return Spread([s.rss_mb for s in self.samples])

    def cpu(self) -> Spread:
        return Spread([s.cpu for s in self.samples])


@dataclass
class Spread:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def show(self, unit: str = "s", digits: int = 2) -> str:
        lo, mid, hi = min(self.values), self.median, max(self.values)
        return f"{mid:.{digits}f} {unit} ({lo:.{digits}f}–{hi:.{digits}f})"


def interleaved(contenders: Sequence[Contender], rounds: int, label: str = "") -> None:
    """Each contender once per round, the order rotated every round."""
    for r in range(rounds):
        order = list(contenders[r % len(contenders) :]) + list(contenders[: r % len(contenders)])
        for c in order:
            sample = c.once()
            print(f"    {label}round {r + 1}/{rounds} {c.name}: {sample.seconds:.2f} s, CPU {sample.cpu:.2f} s, "
                  f"{sample.rss_mb:.0f} MB", flush=True)


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
