"""Worker processes that hold each page to a time limit and a memory budget.

A hostile page (a decompression bomb, pathological nesting) can keep lxml or trafilatura busy
for minutes inside C code, where no Python-level timer reaches; only killing the process that
works on it does. So every page runs in a worker process, one page per worker at a time: a
page over its time is recorded as a failure and its worker is killed and replaced, and each
worker's address space is capped (RLIMIT_AS), so a page that would need more memory fails with
`MemoryError` in that worker instead of taking the machine's memory.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

try:
    import resource
except ImportError:  # Windows: no address-space limit; the time limit still holds
    resource = None  # type: ignore[assignment]

T = TypeVar("T")
R = TypeVar("R")

MEMORY_EXCEEDED = "memory budget exceeded"
CRASHED = "worker process crashed on this input"


@dataclass(frozen=True)
class PageLimits:
    """Per-page limits of a worker: seconds per page and bytes of address space (None: no limit)."""

    timeout: float | None = 30.0
    memory: int | None = 2 << 30


def timed_out(limits: PageLimits) -> str:
    return f"timed out after {limits.timeout:g} s"


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when its parent dies, even by SIGKILL; elsewhere an
    idle worker still ends when its pipe closes."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _near_budget(memory: int | None) -> bool:
    """Whether this worker came near its memory budget: a failed allocation inside lxml shows
    up as a parse error ("unknown error"), not a MemoryError, so the peak size tells instead.
    Allocations grow by doubling, so a peak of half the budget means the next one was refused."""
    if memory is None:
        return False
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024 >= memory // 2
    except (OSError, ValueError):
        pass
    return False


def _serve(conn: Connection, memory: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    if memory is not None and resource is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if task is None:
            os._exit(0)
        work, args = task
        try:
            reply: tuple[str, Any] = ("ok", work(*args))
        except MemoryError:
            reply = ("failed", MEMORY_EXCEEDED)
        except Exception as exc:  # noqa: BLE001 - one page's bug is that page's failure, not the batch's
            reply = ("failed", MEMORY_EXCEEDED if _near_budget(memory)
                     else f"internal error: {type(exc).__name__}: {exc}"[:500])
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("failed", MEMORY_EXCEEDED))


class _Worker(Generic[T]):
    def __init__(self, memory: int | None) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_serve, args=(child, memory), daemon=True)
        self.process.start()
        child.close()
        self.task: T | None = None
        self.deadline = float("inf")

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class PagePool(Generic[T, R]):
    """Up to `jobs` worker processes; `run` maps a function over tasks under `limits`."""

    def __init__(self, jobs: int, limits: PageLimits) -> None:
        self.jobs, self.limits = max(1, jobs), limits
        self._workers: list[_Worker[T]] = []

    def run(self, work: Callable[..., R], tasks: Iterable[T], args: Callable[[T], tuple],
            failed: Callable[[T, str], R]) -> Iterator[tuple[T, R]]:
        """Yield `(task, work(*args(task)))` as pages finish; a page that times out, crashes its
        worker, runs out of memory or raises becomes `failed(task, reason)`."""
        iterator = iter(tasks)
        exhausted = False
        try:
            while True:
                while not exhausted and (idle := self._idle()) is not None:
                    task = next(iterator, None)
                    if task is None:
                        exhausted = True
                        break
                    idle.task = task
                    idle.deadline = time.monotonic() + (self.limits.timeout or float("inf"))
                    idle.conn.send((work, args(task)))
                busy = [w for w in self._workers if w.task is not None]
                if not busy:
                    return
                soonest = min(w.deadline for w in busy) - time.monotonic()
                wait([w.conn for w in busy] + [w.process.sentinel for w in busy],
                     timeout=None if soonest == float("inf") else max(0.0, soonest))
                for worker in busy:
                    outcome = self._collect(worker)
                    if outcome is not None:
                        task, worker.task = worker.task, None
                        kind, value = outcome
                        yield task, value if kind == "ok" else failed(task, value)
        finally:
            self.close()

    def _idle(self) -> _Worker[T] | None:
        for worker in self._workers:
            if worker.task is None:
                return worker
        if len(self._workers) < self.jobs:
            self._workers.append(_Worker(self.limits.memory))
            return self._workers[-1]
        return None

    def _collect(self, worker: _Worker[T]) -> tuple[str, Any] | None:
        """The worker's reply if it has one; a failure if it died or ran out of time."""
        try:
            if worker.conn.poll():
                return worker.conn.recv()
        except (EOFError, OSError):
            pass
        else:
            if worker.process.is_alive():
                if time.monotonic() < worker.deadline:
                    return None
                self._replace(worker)
                return "failed", timed_out(self.limits)
        self._replace(worker)
        return "failed", CRASHED

    def _replace(self, worker: _Worker[T]) -> None:
        worker.stop()
        self._workers.remove(worker)

    def close(self) -> None:
        """Stop every worker now (a page still running is abandoned)."""
        for worker in self._workers:
            worker.stop()
        self._workers.clear()
