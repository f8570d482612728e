"""`iambot triage --format json` reads files on every usable CPU and writes them in file order:
the same output, byte for byte, as the one-process path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import parallel
from tests.support.cli import clean_environment, invoke
from tests.support.records import FIXTURES


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)


def test_parallel_json_triage_matches_the_sequential_one(tmp_path, monkeypatch):
    assert 1 <= parallel.workers() <= 8
    monkeypatch.setattr(parallel, "workers", lambda: 2)  # on a one-core machine too
    calls = []
    real = parallel.triage_json
    monkeypatch.setattr(parallel, "triage_json", lambda *a, **k: calls.append(1) or real(*a, **k))
    fast = invoke("triage", "--format", "json", str(FIXTURES))  # several files: read on every core
    slow = invoke("triage", "--format", "json", "--db", str(tmp_path / "x.db"), str(FIXTURES))  # one process
    assert calls == [1]  # the first went through the process pool, the second did not
    assert fast.exit_code == slow.exit_code == 0
    assert fast.stdout == slow.stdout and fast.stdout.count("\n") > 150


def test_workers_follow_the_cpus_this_process_may_use(monkeypatch):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert parallel.workers() == 3
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert parallel.workers() == 8


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")
def test_the_results_pipe_is_widened_and_a_pool_without_one_is_left_alone() -> None:
    import fcntl
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1) as pool:
        reader = pool._result_queue._reader  # type: ignore[attr-defined]
        before = fcntl.fcntl(reader.fileno(), fcntl.F_GETPIPE_SZ)
        parallel.widen_results(pool)
        after = fcntl.fcntl(reader.fileno(), fcntl.F_GETPIPE_SZ)
        assert list(pool.map(abs, [-1, 2])) == [1, 2]  # still the pool's pipe, and it still works
    assert after > before
    assert after == parallel.RESULTS_PIPE or after == int(Path("/proc/sys/fs/pipe-max-size").read_text())

    class Bare:  # an executor of another implementation: nothing to widen, and no error
        pass

    parallel.widen_results(Bare())  # type: ignore[arg-type]
