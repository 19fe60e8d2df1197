"""Worker processes that hold each page to a time limit and a memory budget.

A hostile page (a decompression bomb, pathological nesting) can keep lxml or trafilatura busy
for minutes inside C code, where no Python-level timer reaches; only killing the process that
works on it does. So every page runs in a worker process, one page per worker at a time: a
page over its time is recorded as a failure and its worker is killed and replaced, and each
worker's address space is capped (RLIMIT_AS), so a page that would need more memory fails with
`MemoryError` in that worker instead of taking the machine's memory. The worker's side is
`scraper.run.pageworker`; this module hands out pages and enforces their time.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, Generic, TypeVar

from scraper.run.pageworker import MEMORY_EXCEEDED, Worker

__all__ = ["CRASHED", "IDLE", "MEMORY_EXCEEDED", "Feed", "PageLimits", "PagePool", "timed_out"]

T = TypeVar("T")
R = TypeVar("R")

CRASHED = "worker process crashed on this input"


@dataclass(frozen=True)
class PageLimits:
    """Per-page limits of a worker: seconds per page, and bytes of address space a page may add
    to the worker's size at its start (None: no limit)."""

    timeout: float | None = 30.0
    memory: int | None = 2 << 30


def timed_out(limits: PageLimits) -> str:
    return f"timed out after {limits.timeout:g} s"


# Tasks sent ahead to a busy worker hide the round trip to the parent on a loaded machine.
_DEPTH = 4
# ...but only while they all fit the pipe's buffer (64 KiB on Linux) with room to spare: past
# it the parent would block sending while the worker may be blocked sending it a result.
_QUEUED_BYTES = 48 * 1024
_END = object()
IDLE = object()  # from a task iterator: no task just now, more may come (see `Feed`)


class Feed(Generic[T]):
    """Tasks handed to a running `PagePool.run` from another thread: iterating yields each task
    put, `IDLE` while there is none, and ends once closed; `fileno` becomes readable on news."""

    def __init__(self) -> None:
        self._tasks: deque[T] = deque()
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        self.closed = self.abandoned = False

    def fileno(self) -> int:
        return self._read

    def put(self, task: T) -> None:
        self._tasks.append(task)  # before the wake-up byte, so a woken reader finds it
        os.write(self._write, b"!")

    def close(self, abandon: bool = False) -> None:
        """No more tasks; with `abandon`, also drop the pages still running."""
        self.closed, self.abandoned = True, self.abandoned or abandon
        os.write(self._write, b"!")

    def release(self) -> None:
        for fd in (self._read, self._write):
            os.close(fd)

    def __iter__(self) -> Iterator[T]:
        while not self.abandoned:
            try:
                while os.read(self._read, 4096):
                    pass
            except BlockingIOError:
                pass
            if self._tasks:
                yield self._tasks.popleft()
            elif self.closed:
                return
            else:
                yield IDLE  # type: ignore[misc]


class PagePool(Generic[T, R]):
    """Up to `jobs` worker processes; `run` maps a function over tasks under `limits`. With
    `keep`, workers outlive a run that finished every task, for the next run of the same work:
    a fresh worker starts with cold caches (compiled rules, class-name matches, trafilatura's
    own), which costs a cluster that runs many partitions per process about 0.15 s each."""

    def __init__(self, jobs: int, limits: PageLimits, keep: bool = False) -> None:
        self.jobs, self.limits, self.keep = max(1, jobs), limits, keep
        self._workers: list[Worker[T]] = []
        self._work: Callable[..., Any] | None = None
        self._refused: deque[tuple[T, str]] = deque()  # tasks that could not be sent, and why

    def start(self, work: Callable[..., Any]) -> None:
        """Start every worker, to run `work`, now (say, before the caller starts threads: a fork
        copies only the thread that forks, and a lock another thread held stays locked in the child)."""
        self._use(work)
        while len(self._workers) < self.jobs:
            self._workers.append(Worker(self.limits.memory, work))

    def _use(self, work: Callable[..., Any]) -> None:
        """Run `work` from now on: workers started for other work are stopped."""
        kept = [w for w in self._workers if _same_work(w.work, work)]
        for worker in self._workers:
            if worker not in kept:
                worker.stop()
        self._workers = kept
        self._work = work

    def run(self, work: Callable[..., R], tasks: Iterable[T], args: Callable[[T], tuple],
            failed: Callable[[T, str], R]) -> Iterator[tuple[T, R]]:
        """Yield `(task, work(*args(task)))` as pages finish; a page that times out, crashes its
        worker, runs out of memory or raises becomes `failed(task, reason)`. `tasks` may be a
        `Feed`, filled while this runs."""
        self._use(work)
        iterator = iter(tasks)
        feed = tasks if isinstance(tasks, Feed) else None
        backlog: deque[tuple[T, bytes]] = deque()  # taken from `tasks`, not yet with a worker
        finished = False
        try:
            while True:
                ended = self._dispatch(iterator, backlog, lambda task: ForkingPickler.dumps(args(task)))
                while self._refused:
                    task, reason = self._refused.popleft()
                    yield task, failed(task, reason)
                busy = [w for w in self._workers if w.tasks]
                if feed is not None and feed.abandoned:
                    return
                if not busy and (ended or feed is None):
                    finished = True
                    return
                soonest = min((w.deadline for w in busy), default=float("inf")) - time.monotonic()
                wait([w.conn for w in busy] + [w.process.sentinel for w in busy] + ([feed] if feed else []),
                     timeout=None if soonest == float("inf") else max(0.0, soonest))
                for worker in busy:
                    for task, kind, value in self._collect(worker, backlog):
                        yield task, value if kind == "ok" else failed(task, value)
        finally:
            if not (self.keep and finished):  # workers with pages still queued are of no use
                self.close()

    def _dispatch(self, iterator: Iterator[T], backlog: deque[tuple[T, bytes]],
                  pickled: Callable[[T], bytes]) -> bool:
        """Hand tasks to workers with room; return whether the tasks have run out."""
        while (worker := self._free()) is not None:
            if backlog:
                task, data = backlog.popleft()
            elif (task := next(iterator, _END)) is _END:  # type: ignore[comparison-overlap]
                return True
            elif task is IDLE:
                return False
            else:
                try:
                    data = pickled(task)
                except Exception as exc:  # noqa: BLE001  (an argument that cannot be sent: this task's failure)
                    self._refused.append((task, f"internal error: {type(exc).__name__}: {exc}"[:500]))
                    continue
            if worker.tasks and sum(len(d) for _, d in worker.tasks) + len(data) > _QUEUED_BYTES:
                backlog.appendleft((task, data))
                return False
            if not worker.tasks:
                worker.deadline = time.monotonic() + (self.limits.timeout or float("inf"))
            worker.tasks.append((task, data))
            try:
                worker.conn.send_bytes(data)
            except OSError:
                return False  # the worker died: collecting it settles its tasks
        return False

    def _free(self) -> Worker[T] | None:
        """An idle worker (started if there are fewer than `jobs`), else one with room to queue."""
        for worker in self._workers:
            if not worker.tasks:
                return worker
        if len(self._workers) < self.jobs:
            assert self._work is not None
            self._workers.append(Worker(self.limits.memory, self._work))
            return self._workers[-1]
        return min((w for w in self._workers if len(w.tasks) < _DEPTH), key=lambda w: len(w.tasks), default=None)

    def _collect(self, worker: Worker[T], backlog: deque[tuple[T, bytes]]) -> list[tuple[T, str, Any]]:
        """The worker's next reply if it has one; a failure of the task it works on if it died
        or ran out of time (tasks queued behind that one go back to the backlog)."""
        try:
            if worker.conn.poll():
                kind, value = worker.conn.recv()
                task, _ = worker.tasks.popleft()
                worker.deadline = time.monotonic() + (self.limits.timeout or float("inf")) \
                    if worker.tasks else float("inf")
                return [(task, kind, value)]
        except (EOFError, OSError):
            reason = CRASHED
        else:
            if worker.process.is_alive() and time.monotonic() < worker.deadline:
                return []
            reason = timed_out(self.limits) if worker.process.is_alive() else CRASHED
        task, _ = worker.tasks.popleft()
        backlog.extendleft(reversed(worker.tasks))
        worker.stop()
        self._workers.remove(worker)
        return [(task, "failed", reason)]

    def close(self) -> None:
        """Stop every worker now (a page still running is abandoned)."""
        for worker in self._workers:
            worker.stop()
        self._workers.clear()


def _same_work(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    """Whether a worker started for `a` can run `b`: the same function, or partials of one
    function over the same (or equal) arguments, as each run builds its own."""
    if a is b:
        return True
    if not (isinstance(a, partial) and isinstance(b, partial)) or a.func is not b.func:
        return False
    return (len(a.args) == len(b.args) and all(x is y or x == y for x, y in zip(a.args, b.args))
            and a.keywords == b.keywords)
