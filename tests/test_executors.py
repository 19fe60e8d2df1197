"""One executor interface for batches and crawls: `map` over tasks, or `stream` tasks in while a
job runs; in worker processes each page is held to its time limit, a crash is that page's."""

from __future__ import annotations

import os
import queue
import time
from functools import partial

from scraper.run.pagepool import CRASHED, PageLimits, PagePool
from scraper.run import InProcess, LocalProcesses, executor_for


def square_or_misbehave(n: int) -> int:
    if n == 3:
        time.sleep(60)
    if n == 5:
        os._exit(1)
    if n == 7:
        raise ValueError("seven")
    return n * n


def failed(n: int, reason: str) -> str:
    return reason


def pid_of(*_: object) -> int:
    return os.getpid()


def test_in_process_map_turns_a_bug_into_that_tasks_failure() -> None:
    results = dict(InProcess().map(square_or_misbehave, [1, 2, 7], lambda n: (n,), failed))
    assert results == {1: 1, 2: 4, 7: "internal error: ValueError: seven"}


def test_process_map_holds_each_page_to_its_limits() -> None:
    executor = LocalProcesses(2, PageLimits(timeout=1, memory=None))
    started = time.monotonic()
    results = dict(executor.map(square_or_misbehave, range(9), lambda n: (n,), failed))
    assert results == {0: 0, 1: 1, 2: 4, 3: "timed out after 1 s", 4: 16, 5: CRASHED, 6: 36,
                       7: "internal error: ValueError: seven", 8: 64}
    assert time.monotonic() - started < 1 + 10


def test_a_stream_takes_tasks_while_it_runs_and_reports_each_once() -> None:
    done: queue.Queue = queue.Queue()
    stream = LocalProcesses(2, PageLimits(timeout=1, memory=None)).stream(
        square_or_misbehave, lambda n: (n,), failed, lambda n, r: done.put((n, r)))
    got = {}
    try:
        for n in (2, 3, 4):
            stream.submit(n)
        for _ in range(3):
            n, result = done.get(timeout=10)
            got[n] = result
        stream.submit(5)  # after the others finished: the stream was idle, waiting
        n, result = done.get(timeout=10)
        got[n] = result
    finally:
        stream.close()
    assert got == {2: 4, 3: "timed out after 1 s", 4: 16, 5: CRASHED}
    assert done.empty()


def test_a_stream_that_breaks_says_why_instead_of_leaving_its_job_waiting() -> None:
    def done(n: int, result: int) -> None:
        raise ValueError("a bug in the job's own callback")

    stream = LocalProcesses(1, PageLimits(timeout=5, memory=None)).stream(
        square_or_misbehave, lambda n: (n,), failed, done)
    try:
        assert stream.error is None
        stream.submit(2)
        deadline = time.monotonic() + 10
        while stream.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stream.close(abandon=True)
    assert isinstance(stream.error, ValueError)


def test_kept_workers_outlive_a_finished_run_of_the_same_work_only() -> None:
    pool: PagePool = PagePool(1, PageLimits(timeout=5, memory=None), keep=True)
    try:
        first = dict(pool.run(pid_of, [1], lambda n: (n,), failed))[1]
        again = dict(pool.run(pid_of, [2], lambda n: (n,), failed))[2]
        assert again == first  # the worker (and whatever it built) carried over
        other = dict(pool.run(partial(pid_of, 0), [3], lambda n: (n,), failed))[3]
        assert other != first  # other work: a worker of its own
        run = pool.run(pid_of, [4, 5], lambda n: (n,), failed)
        next(run)
        run.close()  # left with a page queued: its workers are of no use
        assert dict(pool.run(pid_of, [6], lambda n: (n,), failed))[6] != other
    finally:
        pool.close()


def test_without_keep_every_run_starts_its_own_workers() -> None:
    executor = LocalProcesses(1, PageLimits(timeout=5, memory=None))
    first = dict(executor.map(pid_of, [1], lambda n: (n,), failed))[1]
    assert dict(executor.map(pid_of, [2], lambda n: (n,), failed))[2] != first


def test_an_in_process_stream_reports_at_once() -> None:
    done: list = []
    stream = InProcess().stream(square_or_misbehave, lambda n: (n,), failed, lambda n, r: done.append((n, r)))
    stream.submit(4)
    stream.close()
    assert done == [(4, 16)]


def test_no_limits_and_one_job_run_in_this_process() -> None:
    assert isinstance(executor_for(1, PageLimits(None, None)), InProcess)
    assert isinstance(executor_for(1, PageLimits(30, None)), LocalProcesses)
    assert isinstance(executor_for(4, PageLimits(None, None)), LocalProcesses)


def test_a_task_whose_arguments_cannot_be_sent_fails_alone() -> None:
    executor = LocalProcesses(1, PageLimits(timeout=5, memory=None))
    results = dict(executor.map(square_or_misbehave, [1, 2, 4], lambda n: (n, lambda: 0) if n == 2 else (n,),
                                failed))
    assert results[1] == 1 and results[4] == 16
    assert results[2].startswith("internal error: ")
