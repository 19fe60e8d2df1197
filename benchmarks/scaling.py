"""Scaling of `clean` over executors: one worker process, two local worker processes, and a
Dask `local:2` cluster, on the same pages, in one sitting, in a rotating order per round.

    python benchmarks/scaling.py ../shared/bench/wcxb-dev --pages 0 --rounds 3 --partition-size 100

Every configuration holds pages to the default limits (30 s, 2 GiB), so each runs pages in
worker processes: "1 process" is `clean -j 1`, "2 processes" `clean -j 2`, and "dask local:2"
`clean --dask local:2` (partitions of `--partition-size` pages, each cleaned in its worker's own
page-limit process). The cluster's start (and the workers' import of the cleaning code) is
timed apart and not counted in its docs/s; it is paid once per job. Every configuration writes
its articles as JSON Lines (the local runs one file, the Dask partitions one part each, with
markers). Site-template learning is off: it costs the same in every configuration.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraper.article import Failure  # noqa: E402
from scraper.run.batch import BatchOptions, Input, run_batch  # noqa: E402
from scraper.run.dask import DaskExecutor  # noqa: E402
from scraper.run.partitions import partitions, run_partitions  # noqa: E402
from scraper.sinks.store import StreamStore  # noqa: E402


def local(items: list[Input], jobs: int) -> float:
    """`clean -j N` as the CLI runs it, writing JSON Lines as the Dask partitions do."""
    out = tempfile.mkdtemp(prefix="scaling-")
    try:
        started = time.perf_counter()
        with open(Path(out, "out.jsonl"), "w", encoding="utf-8") as good, \
                open(Path(out, "failures.jsonl"), "w", encoding="utf-8") as bad:
            store, n = StreamStore(good, bad), 0
            for result in run_batch(items, BatchOptions(jobs=jobs, learn_templates=False)):
                (store.fail if isinstance(result, Failure) else store.add)(result)
                n += 1
        assert n == len(items)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(out)


def on_dask(paths: list[str], cluster: DaskExecutor, size: int) -> float:
    out = tempfile.mkdtemp(prefix="scaling-")
    try:
        started = time.perf_counter()
        parts = partitions(paths, size)
        list(run_partitions(parts, BatchOptions(jobs=1, learn_templates=False), out, cluster))
        return time.perf_counter() - started
    finally:
        shutil.rmtree(out)


def _warm() -> None:
    importlib.import_module("scraper.run.partitions")
    importlib.import_module("trafilatura")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", help="a folder with html/ (aeb, wcxb layouts)")
    parser.add_argument("--pages", type=int, default=300, help="first N pages (id order); 0: all")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--partition-size", type=int, default=25)
    args = parser.parse_args()
    files = sorted(str(p) for p in Path(args.dataset, "html").glob("*.htm*"))[:args.pages or None]
    items = [Input(f) for f in files]
    print(f"{len(files)} pages from {args.dataset}; {os.cpu_count()} cores; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    cluster = DaskExecutor("local:2")
    # Start it and import the cleaning code on each worker now, timed apart: both are paid
    # once per job, as `-j N` pays its own imports before its workers fork.
    cluster.client.run(_warm)
    print(f"dask local:2 start and imports: {time.perf_counter() - started:.1f} s")
    configs = {"1 process": lambda: local(items, 1), "2 processes": lambda: local(items, 2),
               "dask local:2": lambda: on_dask(files, cluster, args.partition_size)}
    runs: dict[str, list[float]] = {name: [] for name in configs}
    try:
        names = list(configs)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                seconds = configs[name]()
                runs[name].append(seconds)
                print(f"  round {r + 1}: {name:<13} {seconds:6.1f} s  {len(files) / seconds:6.1f} docs/s"
                      f"  load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        cluster.close()
    print(f"\n{args.rounds} rounds; load average now {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    base, base_median = min(runs["1 process"]), statistics.median(runs["1 process"])
    for name, seconds in runs.items():
        best, median = min(seconds), statistics.median(seconds)
        print(f"{name:<13} best {len(files) / best:6.1f} docs/s {base / best:4.2f}x   "
              f"median {len(files) / median:6.1f} docs/s {base_median / median:4.2f}x one process")
    # Paired: each round's ratio against that round's own one-process run.
    for name in names[1:]:
        pairs = sorted(a / b for a, b in zip(runs["1 process"], runs[name]))
        print(f"{name:<13} per-round ratios {' '.join(f'{x:.2f}' for x in pairs)}")


if __name__ == "__main__":
    main()
