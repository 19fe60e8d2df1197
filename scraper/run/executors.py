"""One interface for running pages: `map` a function over tasks (a batch), or `stream` tasks
in while a job runs (a crawl's cleaning), each page under the same time and memory limits.

    >>> from scraper.run import executor_for
    >>> from scraper.run.pagepool import PageLimits
    >>> executor = executor_for(jobs=2, limits=PageLimits(timeout=30, memory=2 << 30))
    >>> for task, result in executor.map(len, ["a", "bb"], lambda t: (t,), lambda t, why: -1):
    ...     print(task, result)

A page over its time or memory, or one that kills its worker, becomes `failed(task, reason)`:
the job goes on. Only `LocalProcesses` enforces those limits; `InProcess` is for one job with
none (tests, debugging), and Dask (`scraper.run.dask`) runs whole partitions, each of which
holds its own pages to the limits in a `LocalProcesses` of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, Protocol, TypeVar

from scraper.run.pagepool import Feed, PageLimits, PagePool

T = TypeVar("T")
R = TypeVar("R")


class Stream(Protocol[T]):
    """Tasks submitted one at a time while the job runs; each result goes to the `done`
    callback given to `Executor.stream`, from another thread. `error` is what stopped the
    stream if it broke (then no more results come), else None."""

    error: BaseException | None

    def submit(self, task: T) -> None: ...
    def close(self, abandon: bool = False) -> None: ...


class Executor(Protocol):
    """Runs `work(*args(task))` for tasks; results come as they finish, not in task order."""

    def map(self, work: Callable[..., R], tasks: Iterable[T], args: Callable[[T], tuple],
            failed: Callable[[T, str], R]) -> Iterator[tuple[T, R]]: ...

    def stream(self, work: Callable[..., R], args: Callable[[T], tuple], failed: Callable[[T, str], R],
               done: Callable[[T, R], None]) -> Stream[T]: ...


class InProcess:
    """Every page in this process, one at a time: no limits, nothing to start."""

    def map(self, work: Callable[..., R], tasks: Iterable[T], args: Callable[[T], tuple],
            failed: Callable[[T, str], R]) -> Iterator[tuple[T, R]]:
        for task in tasks:
            try:
                result = work(*args(task))
            except Exception as exc:  # noqa: BLE001  (one page's bug is that page's failure)
                result = failed(task, f"internal error: {type(exc).__name__}: {exc}"[:500])
            yield task, result

    def stream(self, work: Callable[..., R], args: Callable[[T], tuple], failed: Callable[[T, str], R],
               done: Callable[[T, R], None]) -> Stream[T]:
        return _InlineStream(self, work, args, failed, done)


class _InlineStream(Generic[T, R]):
    def __init__(self, executor: InProcess, work: Callable[..., R], args: Callable[[T], tuple],
                 failed: Callable[[T, str], R], done: Callable[[T, R], None]) -> None:
        self._run = lambda task: executor.map(work, [task], args, failed)
        self._done = done
        self.error: BaseException | None = None

    def submit(self, task: T) -> None:
        for finished, result in self._run(task):
            self._done(finished, result)

    def close(self, abandon: bool = False) -> None:
        pass


class LocalProcesses:
    """Up to `jobs` worker processes on this machine (`scraper.run.pagepool`): each page is held to
    `limits`; a page that hangs, bloats or crashes its worker is failed and the worker replaced.
    Workers die with this process and never keep a crawl's state lock (see `scraper.crawl.statefile`)."""

    def __init__(self, jobs: int, limits: PageLimits, keep: bool = False) -> None:
        """With `keep`, the workers stay up between runs (`map`s and streams, one at a time)
        of the same work, until `close`: see `PagePool`."""
        self.jobs, self.limits = max(1, jobs), limits
        self._kept: PagePool | None = PagePool(self.jobs, self.limits, keep=True) if keep else None

    def _pool(self) -> PagePool:
        return self._kept if self._kept is not None else PagePool(self.jobs, self.limits)

    def map(self, work: Callable[..., R], tasks: Iterable[T], args: Callable[[T], tuple],
            failed: Callable[[T, str], R]) -> Iterator[tuple[T, R]]:
        yield from self._pool().run(work, tasks, args, failed)

    def stream(self, work: Callable[..., R], args: Callable[[T], tuple], failed: Callable[[T, str], R],
               done: Callable[[T, R], None]) -> Stream[T]:
        return _PoolStream(self._pool(), work, args, failed, done)

    def close(self) -> None:
        """Stop kept workers."""
        if self._kept is not None:
            self._kept.close()


class _PoolStream(Generic[T, R]):
    """A pool run in a thread of its own, fed through a `Feed`. Its workers start now, from the
    calling thread, before the caller starts others (a replaced worker is forked from the pool's
    thread: a page that found a lock held in it would time out, never hang the job)."""

    def __init__(self, pool: PagePool[T, R], work: Callable[..., R], args: Callable[[T], tuple],
                 failed: Callable[[T, str], R], done: Callable[[T, R], None]) -> None:
        self._feed: Feed[T] = Feed()
        self.error: BaseException | None = None
        pool.start(work)
        self._thread = threading.Thread(target=self._serve, args=(pool, work, args, failed, done),
                                        name="cleaners", daemon=True)
        self._thread.start()

    def _serve(self, pool: PagePool[T, R], work: Callable[..., R], args: Callable[[T], tuple],
               failed: Callable[[T, str], R], done: Callable[[T, R], None]) -> None:
        try:
            for task, result in pool.run(work, self._feed, args, failed):
                done(task, result)
        except BaseException as exc:  # noqa: BLE001  (a bug in the pool: the job waiting on
            self.error = exc          # results hears of it through `error`, not from this thread)

    def submit(self, task: T) -> None:
        if self._feed.closed:
            raise RuntimeError("submit to a closed stream")
        self._feed.put(task)

    def close(self, abandon: bool = False) -> None:
        """Let submitted pages finish (or, with `abandon`, stop them) and stop the workers."""
        self._feed.close(abandon)
        self._thread.join(None if not abandon else 10)
        if not self._thread.is_alive():
            self._feed.release()


def executor_for(jobs: int, limits: PageLimits) -> Executor:
    """Worker processes when there is a limit to hold or more than one job, else this process."""
    if jobs <= 1 and limits.timeout is None and limits.memory is None:
        return InProcess()
    return LocalProcesses(jobs, limits)
