"""A batch split into partitions, each written to its own output part plus a completion marker,
so a re-run (after a killed worker, a killed client, or a failed partition) redoes only the
partitions without a marker. This is how `clean --dask` runs; any `Executor` can run it.

    parts/part-00003-1f2e3d4c5b.jsonl            articles, one JSON line each
    parts/part-00003-1f2e3d4c5b.failures.jsonl   failures
    parts/part-00003-1f2e3d4c5b.done             the marker: the partition's counts (JSON)

A part's files are written under temporary names and renamed before its marker is written, so
a part without a marker is never read as finished, and a partition run twice at once (a cluster
may retry a task whose worker seemed lost) leaves one copy. A partition's name holds a hash of
its inputs: the same inputs in the same order give the same names, other inputs other names.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from scraper.article import Article
from scraper.errors import OutputError
from scraper.clean.cleaner import Cleaner
from scraper.run.batch import BatchOptions, Input, find_inputs, run_batch
from scraper.sinks.base import write_result
from scraper.sinks.store import StreamStore
from scraper.run.executors import Executor, LocalProcesses

log = logging.getLogger(__name__)

PARTITION_FAILED = "partition failed"


@dataclass(frozen=True)
class Partition:
    """Some inputs of a batch, cleaned together into one output part named `name`."""

    name: str
    items: tuple[Input, ...]


def partitions(paths: Sequence[str | Input], size: int) -> list[Partition]:
    """Split inputs (files and folders, expanded as `clean` does) into partitions of at most
    `size` inputs each, in input order."""
    if size < 1:
        raise ValueError("a partition holds at least one input")
    items = list(find_inputs(paths))
    parts = []
    for index, start in enumerate(range(0, len(items), size)):
        chunk = tuple(items[start:start + size])
        digest = hashlib.sha256("\n".join(i.source for i in chunk).encode("utf-8", "surrogatepass"))
        parts.append(Partition(f"part-{index:05d}-{digest.hexdigest()[:10]}", chunk))
    return parts


def marker(folder: str | Path, part: Partition) -> Path:
    return Path(folder) / f"{part.name}.done"


def finished(folder: str | Path, part: Partition) -> Counter[str] | None:
    """The counts of a partition finished by an earlier run, or None."""
    try:
        return Counter(json.loads(marker(folder, part).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


# Page workers kept by a cluster worker process stop after this long without a partition.
_IDLE_SECONDS = 30.0


class _KeptWorkers:
    """The page workers a cluster worker process keeps from one partition to the next, for the
    one Cleaner it is sent (a Dask executor sends it once per process: the same object for
    every partition of a job). Fresh page workers start with cold caches, about 0.15 s a
    partition; one slot, as a process runs one job's partitions at a time. A partition that
    finds the slot in use (a worker process running several at once) starts its own."""

    def __init__(self, idle: float = _IDLE_SECONDS) -> None:
        self._lock = threading.Lock()
        self._cleaner: weakref.ref[Cleaner] | None = None
        self._executor: LocalProcesses | None = None
        self._idle = idle
        self._timer: threading.Timer | None = None

    @contextmanager
    def executor(self, cleaner: Cleaner, options: BatchOptions) -> Iterator[Executor | None]:
        if not self._lock.acquire(blocking=False):
            yield None
            return
        try:
            if self._timer is not None:
                self._timer.cancel()
            executor = self._executor
            if (executor is None or self._cleaner is None or self._cleaner() is not cleaner
                    or executor.jobs != options.jobs or executor.limits != options.limits):
                if executor is not None:
                    executor.close()
                executor = self._executor = LocalProcesses(options.jobs, options.limits, keep=True)
                self._cleaner = weakref.ref(cleaner)
            yield executor
        finally:
            self._timer = threading.Timer(self._idle, self._close_idle)
            self._timer.daemon = True
            self._timer.start()
            self._lock.release()

    def _close_idle(self) -> None:
        """No partition came for a while (the job ended): stop the page workers."""
        if self._lock.acquire(blocking=False):
            try:
                if self._executor is not None:
                    self._executor.close()
                self._executor = self._cleaner = None
            finally:
                self._lock.release()


_KEPT = _KeptWorkers()


def clean_partition(part: Partition, options: BatchOptions, folder: str, cleaner: Cleaner,
                    origin: int | None = None) -> dict[str, int]:
    """Clean one partition with `cleaner` into its part files and write its marker; return its
    counts ("cleaned", and "failed: <reason>" per reason). Runs wherever the executor puts it:
    the cleaner comes pickled, with its rules, so the worker needs no rule files. In a process
    other than `origin` (the job's own), the page workers are kept for its next partition."""
    done = finished(folder, part)
    if done is not None:  # another run of this task got here first
        return dict(done)
    if multiprocessing.current_process().daemon and (options.page_timeout or options.max_memory):
        # A daemonic process may not start the worker processes that hold pages to their
        # limits (Dask's default: set `distributed.worker.daemon: False` on the workers).
        log.warning("%s: daemonic worker, pages run without time and memory limits", part.name)
        options = replace(options, page_timeout=None, max_memory=None)
    base = Path(folder) / part.name
    names = (base.with_name(part.name + ".jsonl"), base.with_name(part.name + ".failures.jsonl"))
    temporary = [path.with_name(f"{path.name}.{os.getpid()}.tmp") for path in names]
    counts: Counter[str] = Counter()
    try:
        with open(temporary[0], "w", encoding="utf-8") as out, open(temporary[1], "w", encoding="utf-8") as bad:
            store = StreamStore(out, bad)
            keep = origin is not None and origin != os.getpid() and (options.page_timeout or options.max_memory)
            with _KEPT.executor(cleaner, options) if keep else nullcontext() as executor:
                for result in run_batch(part.items, options, cleaner=cleaner, executor=executor):
                    result = write_result(store, result)
                    counts["cleaned" if isinstance(result, Article) else f"{result.status}: {result.reason}"] += 1
            for fh in (out, bad):
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, name in zip(temporary, names):
            os.replace(tmp, name)
    finally:
        for tmp in temporary:
            tmp.unlink(missing_ok=True)
    done_tmp = marker(folder, part).with_suffix(f".{os.getpid()}.tmp")
    done_tmp.write_text(json.dumps(dict(counts)), encoding="utf-8")
    os.replace(done_tmp, marker(folder, part))
    return dict(counts)


def _bytes(part: Partition) -> int:
    """What a partition holds, in bytes: the measure of its work that costs nothing to take."""
    total = 0
    for item in part.items:
        if item.data is not None:
            total += len(item.data)
        else:
            try:
                total += os.stat(item.source).st_size
            except (OSError, ValueError):
                pass  # unreadable: its failure costs next to nothing
    return total


def _refuse_other_inputs(parts: list[Partition], folder: str) -> None:
    """A parts folder belongs to one input list: parts another list left there would be read
    with this run's, twice over for the inputs both lists hold, so the run stops instead."""
    ours = {part.name for part in parts}
    others = sorted({p.name.split(".", 1)[0] for p in Path(folder).glob("part-*.*")} - ours)
    if others:
        raise OutputError(f"{folder} holds {len(others)} parts of another input list ({others[0]}, ...): "
                          "partitions are made from the whole list, so use a new folder for it")


def run_partitions(parts: Iterable[Partition], options: BatchOptions, folder: str, executor: Executor,
                   cleaner: Cleaner | None = None) -> Iterator[tuple[Partition, Counter[str], bool]]:
    """Run every partition that has no marker yet, cleaned by `cleaner` (built here from
    `options.clean` when None, and sent to the workers with its rules); yield
    `(partition, counts, ran_now)` for each, finished ones first. A partition that fails as a whole (its worker kept dying) counts
    as one failure and has no marker, so the next run tries it again."""
    parts = list(parts)
    cleaner = cleaner or Cleaner(options.clean)
    Path(folder).mkdir(parents=True, exist_ok=True)
    _refuse_other_inputs(parts, folder)
    todo = []
    for part in parts:
        done = finished(folder, part)
        if done is None:
            todo.append(part)
            for stale in Path(folder).glob(f"{part.name}.*.tmp"):  # from a killed worker
                stale.unlink(missing_ok=True)
        else:
            yield part, done, False

    def failed(part: Partition, reason: str) -> dict[str, int]:
        return {f"failed: {PARTITION_FAILED}: {reason}": 1}

    # Largest first: the last partitions to start are then the smallest, so workers finish
    # together rather than one running a large partition while the others idle.
    todo.sort(key=_bytes, reverse=True)
    origin = os.getpid()
    for part, counts in executor.map(clean_partition, todo, lambda part: (part, options, folder, cleaner, origin),
                                     failed):
        yield part, Counter(counts), True
