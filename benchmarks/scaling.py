"""Scaling of `clean` over executors: one worker process, two local worker processes, and a
Dask `local:2` cluster, on the same pages, in one sitting, in a rotating order per round.

    python benchmarks/scaling.py ../shared/bench/wcxb-dev --pages 300 --rounds 2

Every configuration holds pages to the default limits (30 s, 2 GiB), so each runs pages in
worker processes: "1 process" is `clean -j 1`, "2 processes" `clean -j 2`, and "dask local:2"
`clean --dask local:2` (partitions of `--partition-size` pages, each cleaned in its worker's own
page-limit process). The cluster's start is timed apart and not counted in its docs/s; it is
paid once per job. Site-template learning is off: it would add a pass, the same for all.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraper.pipeline import BatchOptions, Input, run_batch  # noqa: E402
from scraper.run.dask import DaskExecutor  # noqa: E402
from scraper.run.partitions import partitions, run_partitions  # noqa: E402


def local(items: list[Input], jobs: int) -> float:
    started = time.perf_counter()
    n = sum(1 for _ in run_batch(items, BatchOptions(jobs=jobs, learn_templates=False)))
    assert n == len(items)
    return time.perf_counter() - started


def on_dask(paths: list[str], cluster: DaskExecutor, size: int) -> float:
    out = tempfile.mkdtemp(prefix="scaling-")
    try:
        started = time.perf_counter()
        parts = partitions(paths, size)
        list(run_partitions(parts, BatchOptions(jobs=1, learn_templates=False), out, cluster))
        return time.perf_counter() - started
    finally:
        shutil.rmtree(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", help="a folder with html/ (aeb, wcxb layouts)")
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--partition-size", type=int, default=25)
    args = parser.parse_args()
    files = sorted(str(p) for p in Path(args.dataset, "html").glob("*.htm*"))[:args.pages]
    items = [Input(f) for f in files]
    print(f"{len(files)} pages from {args.dataset}; {os.cpu_count()} cores; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    started = time.perf_counter()
    cluster = DaskExecutor("local:2")
    cluster.client  # noqa: B018  (start it now, timed apart)
    print(f"dask local:2 start: {time.perf_counter() - started:.1f} s")
    configs = {"1 process": lambda: local(items, 1), "2 processes": lambda: local(items, 2),
               "dask local:2": lambda: on_dask(files, cluster, args.partition_size)}
    best: dict[str, float] = {}
    try:
        names = list(configs)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                seconds = configs[name]()
                best[name] = min(best.get(name, seconds), seconds)
                print(f"  round {r + 1}: {name:<13} {seconds:6.1f} s  {len(files) / seconds:6.1f} docs/s")
    finally:
        cluster.close()
    base = best["1 process"]
    print(f"\nbest of {args.rounds}; load average now {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, seconds in best.items():
        print(f"{name:<13} {len(files) / seconds:6.1f} docs/s  {base / seconds:4.2f}x one process")


if __name__ == "__main__":
    main()
