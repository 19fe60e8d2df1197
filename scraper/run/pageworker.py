"""One worker process of a `scraper.run.pagepool.PagePool`: its memory budget and its serve loop.

The worker caps its own address space (RLIMIT_AS) at its size when it starts plus the page
budget, dies with its parent, ignores Ctrl-C (the parent's to handle) and answers each task
with `("ok", result)` or `("failed", reason)`, so one page's bug is that page's failure.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

try:
    import resource
except ImportError:  # Windows: no address-space limit; the time limit still holds
    resource = None  # type: ignore[assignment]

T = TypeVar("T")

MEMORY_EXCEEDED = "memory budget exceeded"


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when its parent dies, even by SIGKILL; elsewhere an
    idle worker still ends when its pipe closes."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _vm_kib(field: str) -> int | None:
    """A size from /proc/self/status (Linux) in KiB: VmSize now, VmPeak the most so far."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _set_budget(memory: int | None) -> int:
    """Cap this worker's address space at what it holds now plus `memory` (a forked worker
    starts with its parent's size, which is not the page's to pay for); return the base."""
    base = (_vm_kib("VmSize") or 0) * 1024
    if memory is not None and resource is not None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = base + memory if hard == resource.RLIM_INFINITY else min(base + memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return base


def _near_budget(memory: int | None, base: int, start_peak: int | None) -> bool:
    """Whether this worker came near its memory budget: a failed allocation inside lxml shows
    up as a parse error ("unknown error"), not a MemoryError, so the peak size tells instead.
    Allocations grow by doubling, so a peak of half the budget means the next one was refused.
    (A forked worker inherits its parent's peak: only a peak it raised itself counts.)"""
    peak = _vm_kib("VmPeak")
    return (memory is not None and peak is not None and peak != start_peak
            and peak * 1024 - base >= memory // 2)


def _block_sigint(block: bool, was_blocked: bool = False) -> bool:
    """Block SIGINT in this thread (or unblock it unless it `was_blocked`); return whether it was."""
    if not hasattr(signal, "pthread_sigmask"):
        return False
    if block:
        return signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    if not was_blocked:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    return was_blocked


def _serve(conn: Connection, memory: int | None, work: Callable[..., Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _block_sigint(False)
    _die_with_parent()
    base, start_peak = _set_budget(memory), _vm_kib("VmPeak")
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if task is None:
            os._exit(0)
        try:
            reply: tuple[str, Any] = ("ok", work(*task))
        except MemoryError:
            reply = ("failed", MEMORY_EXCEEDED)
        except Exception as exc:  # noqa: BLE001 - one page's bug is that page's failure, not the batch's
            reply = ("failed", MEMORY_EXCEEDED if _near_budget(memory, base, start_peak)
                     else f"internal error: {type(exc).__name__}: {exc}"[:500])
        try:
            conn.send(reply)
        except MemoryError:
            conn.send(("failed", MEMORY_EXCEEDED))


class Worker(Generic[T]):
    """A started worker process running `work`, given once at its start (a forked worker
    inherits it, a Cleaner and its compiled rules included; tasks carry only their own
    arguments), the pipe to it, and the tasks sent to it."""

    def __init__(self, memory: int | None, work: Callable[..., Any]) -> None:
        self.work = work
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_serve, args=(child, memory, work), daemon=True)
        # The worker starts with Ctrl-C blocked, until it ignores it: a Ctrl-C in between would
        # print a traceback from the worker and take its first page down.
        blocked = _block_sigint(True)
        try:
            self.process.start()
        finally:
            _block_sigint(False, blocked)
        child.close()
        self.tasks: deque[tuple[T, bytes]] = deque()  # sent, with their pickles, oldest first
        self.deadline = float("inf")  # of the task it works on: tasks[0]

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()
