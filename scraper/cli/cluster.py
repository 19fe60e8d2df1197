"""`--dask` for `clean` and `crawl`: run the partitions of a job on a Dask cluster and merge
their counts into one summary."""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import click
from tqdm import tqdm

from scraper.crawl.job import CrawlOptions
from scraper.errors import ScraperError
from scraper.run.batch import BatchOptions
from scraper.sinks.outfiles import reason_of
from scraper.cli.base import _fail_usage, _group, summarise


def _clean_on_cluster(inputs: tuple[str, ...], output: str, options: BatchOptions, address: str,
                      size: int, quiet: bool) -> None:
    """`clean --dask`: every partition without a marker runs on the cluster (one page at a time
    per worker process); the summary covers the whole job, earlier runs' partitions included."""
    from scraper.run.dask import DaskExecutor
    from scraper.run.partitions import partitions, run_partitions

    if "-" in inputs or output == "-" or output.endswith((".jsonl", ".db", ".sqlite", ".sqlite3")):
        _fail_usage("--dask reads files and writes a folder of parts: give input paths and -o FOLDER")
    counts: Counter[str] = Counter()
    ran = earlier = 0
    try:
        parts = partitions(list(inputs), size)
        _quiet_dask()
        with DaskExecutor(address) as executor:  # started only if a partition is left to run
            results = run_partitions(parts, options, output, executor)
            for _, part_counts, now in _progress_parts(results, quiet, total=len(parts)):
                counts.update(part_counts)
                ran, earlier = ran + now, earlier + (not now)
    except ScraperError as exc:
        _fail_usage(exc.reason)
    except OSError as exc:
        _fail_usage(f"cannot write output {output}: {reason_of(exc)}")
    click.echo(f"{len(parts)} partitions: {ran} run now, {earlier} done before (in {output})", err=True)
    sys.exit(summarise(counts))


def _quiet_dask() -> None:
    """Dask logs each step of a cluster's life at INFO, on loggers of its own levels: only its
    warnings go with ours."""
    try:
        import distributed  # noqa: F401  (its loggers exist once it is imported)
    except ImportError:
        return  # DaskExecutor says what to install
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.WARNING)


def _progress_parts(results: Iterable[Any], quiet: bool, total: int) -> Iterator[Any]:
    if quiet or not sys.stderr.isatty():
        yield from results
        return
    yield from tqdm(results, unit="partition", file=sys.stderr, dynamic_ncols=True, total=total)


def _crawl_on_cluster(urls: str, output: str, options: CrawlOptions, address: str, count: int,
                      state_path: str | None, quiet: bool) -> None:
    """`crawl --dask`: each partition of the URLs is a crawl job of its own on the cluster; the
    summary merges them all."""
    from scraper.crawl.parts import domain_partitions, run_crawl_partitions
    from scraper.run.dask import DaskExecutor

    if output == "-" or output.endswith((".jsonl", ".db", ".sqlite", ".sqlite3")) or state_path:
        _fail_usage("--dask writes a folder of parts, each with its own state: give -o FOLDER, no --state")
    counts: Counter[str] = Counter()
    try:
        with click.open_file(urls, encoding="utf-8", errors="replace") as fh:
            parts = domain_partitions(fh, count)
        _quiet_dask()
        with DaskExecutor(address) as executor:
            results = run_crawl_partitions(parts, options, output, executor)
            for _, part_counts in _progress_parts(results, quiet, total=len(parts)):
                for key, n in part_counts.items():
                    status, _, reason = key.partition(": ")
                    counts[f"{status}: {_group(reason)}" if reason else key] += n
    except ScraperError as exc:
        _fail_usage(exc.reason)
    except OSError as exc:
        _fail_usage(f"cannot write output {output}: {reason_of(exc)}")
    click.echo(f"{len(parts)} partitions by registered domain (in {output})", err=True)
    sys.exit(summarise(counts))
