"""Dask as an executor: `local:N` starts a `LocalCluster` of N worker processes on 127.0.0.1,
`tcp://HOST:PORT` joins a running scheduler. Each task is a whole partition
(`scraper.run.partitions`), which holds its own pages to their time and memory limits.

Workers of a cluster we start are not daemonic (this process's Dask config says so from then on,
for workers restarted later too), so they may start the page-limit worker processes; on a
cluster of your own set `distributed.worker.daemon: False` (otherwise `clean` partitions run
pages without those limits, with a warning, and `crawl` partitions fail saying so). Inputs are read by path on the workers: they must see
the same files (one machine, or a shared file system). Rule files need not be there: each task
carries the job's `Cleaner`, rules and all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from scraper.errors import ClusterError

T = TypeVar("T")
R = TypeVar("R")

INSTALL = "pip install 'scraper[dask]'"
_LOCAL = re.compile(r"local:(\d+)\Z")


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError(f"--dask needs Dask: {INSTALL}") from exc
    return distributed


def check_address(address: str) -> None:
    """Refuse an address that is neither `local:N` (N ≥ 1) nor `tcp://HOST:PORT`."""
    local = _LOCAL.match(address)
    if (local and int(local.group(1)) >= 1) or re.match(r"tls?://[^/\s]+:\d+\Z|tcp://[^/\s]+:\d+\Z", address):
        return
    raise ClusterError(f"--dask {address}: expected local:N (N worker processes) or tcp://HOST:PORT")


class DaskExecutor:
    """Runs each task on a Dask cluster; use as a context manager (closes what it started)."""

    def __init__(self, address: str, connect_timeout: float = 30.0) -> None:
        check_address(address)
        _distributed()  # a missing extra is said now, not after the inputs were read
        self.address, self.connect_timeout = address, connect_timeout
        self._cluster: Any = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The `distributed.Client`, connected (and its local cluster started) on first use."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        distributed = _distributed()
        import dask

        local = _LOCAL.match(self.address)
        try:
            if local:
                # Not in a `with`: a nanny reads it again when it restarts a worker that died.
                dask.config.set({"distributed.worker.daemon": False})
                self._cluster = distributed.LocalCluster(
                    n_workers=int(local.group(1)), threads_per_worker=1, processes=True,
                    host="127.0.0.1", dashboard_address="127.0.0.1:0")
                return distributed.Client(self._cluster, timeout=self.connect_timeout)
            return distributed.Client(self.address, timeout=self.connect_timeout)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise ClusterError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from exc
        except RuntimeError as exc:  # "Nanny failed to start", with the cause in its chain
            self.close()
            raise ClusterError(f"cannot start a local Dask cluster: {exc.__cause__ or exc} (a script that "
                               "starts one must do it under `if __name__ == \"__main__\":`)") from exc

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def map(self, work: Callable[..., R], tasks: Iterable[T], args: Callable[[T], tuple],
            failed: Callable[[T, str], R]) -> Iterator[tuple[T, R]]:
        """Submit every task; yield each as it finishes. A task that raised, or whose workers
        kept dying (Dask retries it on another worker first), becomes `failed(task, reason)`."""
        distributed = _distributed()
        futures = {}
        tasks = list(tasks)
        if not tasks:
            return  # nothing to run: no cluster to start
        arg_lists = [args(task) for task in tasks]
        shared = self._scatter_shared(arg_lists)
        for task, task_args in zip(tasks, arg_lists):
            sent = tuple(shared.get(i, arg) for i, arg in enumerate(task_args))
            futures[self.client.submit(work, *sent, pure=False)] = task
        futures_kept = list(shared.values())
        try:
            for future in distributed.as_completed(list(futures)):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001  (a task's failure, not the job's)
                    result = failed(task, f"{type(exc).__name__}: {exc}"[:500])
                yield task, result
        finally:
            for future in [*futures, *futures_kept]:
                future.release()

    def _scatter_shared(self, arg_lists: list[tuple]) -> dict[int, Any]:
        """Arguments every task shares (the same object: a Cleaner, the options), sent to each
        worker once rather than with every task, by position. Each worker process then hands
        its tasks one object, so what they build on it (compiled rules, kept page workers)
        carries over from one task to the next."""
        if len(arg_lists) < 2:
            return {}
        first = arg_lists[0]
        positions = [i for i, arg in enumerate(first)
                     if not isinstance(arg, (str, bytes, int, float, bool, type(None)))
                     and all(len(other) == len(first) and other[i] is arg for other in arg_lists)]
        # In a list of one: Dask scatters a dict, list or set given alone item by item.
        return {i: self.client.scatter([first[i]], broadcast=True, hash=False)[0] for i in positions}

    def stream(self, work: Callable[..., R], args: Callable[[T], tuple], failed: Callable[[T, str], R],
               done: Callable[[T, R], None]) -> _DaskStream[T, R]:
        return _DaskStream(self.client, work, args, failed, done)


class _DaskStream(Generic[T, R]):
    """Tasks submitted one at a time; `done` is called from Dask's callback thread."""

    def __init__(self, client: Any, work: Callable[..., R], args: Callable[[T], tuple],
                 failed: Callable[[T, str], R], done: Callable[[T, R], None]) -> None:
        self._client, self._work, self._args, self._failed, self._done = client, work, args, failed, done
        self._futures: set[Any] = set()
        self.error: BaseException | None = None  # a task's failure is its own: the stream never breaks

    def submit(self, task: T) -> None:
        future = self._client.submit(self._work, *self._args(task), pure=False)
        self._futures.add(future)

        def finished(future: Any) -> None:
            self._futures.discard(future)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001  (a task's failure, not the job's)
                result = self._failed(task, f"{type(exc).__name__}: {exc}"[:500])
            self._done(task, result)

        future.add_done_callback(finished)

    def close(self, abandon: bool = False) -> None:
        if abandon:
            for future in list(self._futures):
                future.cancel()
