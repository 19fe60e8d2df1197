"""The worker pool behind batches: every task ends exactly once, as its result or as a failure
with a reason, whatever the task does to its worker; the pool goes on with a fresh worker."""

from __future__ import annotations

import faulthandler
import os
import signal
import time

from scraper.run.pagepool import CRASHED, MEMORY_EXCEEDED, PageLimits, PagePool


def hostile(task: str) -> str:
    if task == "segfault":
        faulthandler.disable()  # pytest's dump would only be noise here
        os.kill(os.getpid(), signal.SIGSEGV)
    if task == "exit":
        os._exit(3)
    if task == "raise":
        raise KeyError("boom")
    if task == "hog":
        return "x" * (1 << 30)
    if task == "sleep":
        time.sleep(60)
    return task.upper()


def run(tasks: list[str], jobs: int, limits: PageLimits) -> dict[str, str]:
    pool: PagePool = PagePool(jobs, limits)
    results = list(pool.run(hostile, tasks, lambda task: (task,), lambda task, reason: f"failed: {reason}"))
    assert sorted(task for task, _ in results) == sorted(tasks)
    return dict(results)


def test_every_task_ends_once_whatever_it_does_to_its_worker():
    tasks = ["a", "segfault", "b", "exit", "c", "raise", "d", "hog", "e", "sleep", "f"]
    for jobs in (1, 2):
        started = time.monotonic()
        results = run(tasks, jobs, PageLimits(timeout=2, memory=512 << 20))
        assert time.monotonic() - started < 2 + 20
        assert results == {
            "a": "A", "b": "B", "c": "C", "d": "D", "e": "E", "f": "F",
            "segfault": f"failed: {CRASHED}", "exit": f"failed: {CRASHED}",
            "raise": "failed: internal error: KeyError: 'boom'",
            "hog": f"failed: {MEMORY_EXCEEDED}", "sleep": "failed: timed out after 2 s",
        }


def test_workers_ignore_ctrl_c_and_end_with_the_pool():
    pool: PagePool = PagePool(2, PageLimits())
    results = pool.run(hostile, ["a", "b", "c", "d"], lambda task: (task,), lambda task, reason: reason)
    first = [next(results)]
    pids = [w.process.pid for w in pool._workers]
    for pid in pids:
        os.kill(pid, signal.SIGINT)  # what a terminal's Ctrl-C sends to the whole group
    assert sorted(r for _, r in first + list(results)) == ["A", "B", "C", "D"]
    for pid in pids:  # stopped and reaped once the batch is over
        try:
            os.kill(pid, 0)
            raise AssertionError(f"worker {pid} outlived the pool")
        except ProcessLookupError:
            pass
