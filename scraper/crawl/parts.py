"""A crawl split for a cluster: URLs partitioned by registered domain, so every host of a site
lives in one partition, crawled by one worker at a time, and the per-host politeness of
`scraper.crawl.schedule` holds across the cluster. Each partition is a crawl job of its own, with its
own output part and state database in one folder, so each resumes on its own:

    out/crawl-00003-of-00008.jsonl             its articles (failures beside it, as for any .jsonl)
    out/crawl-00003-of-00008.state.db          its state: run the same command again to resume

Keep the number of partitions when resuming: it decides which partition a URL belongs to (and
is in the names, so another number starts new partitions rather than mixing them up).
"""

from __future__ import annotations

import multiprocessing
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scraper.clean.cleaner import Cleaner
from scraper.crawl.job import Crawl, CrawlOptions
from scraper.errors import ClusterError
from scraper.sinks.store import open_store
from scraper.urls import site_of
from scraper.run.executors import Executor

PARTITION_FAILED = "partition failed"


@dataclass(frozen=True)
class CrawlPartition:
    """The URLs of some registered domains, crawled as one job named `name`."""

    name: str
    urls: tuple[str, ...]


def domain_partitions(urls: Iterable[str], count: int) -> list[CrawlPartition]:
    """Group URLs into `count` partitions by registered domain (a stable hash of it); empty
    partitions are left out. Lines that are blank or comments are dropped, as a crawl does."""
    if count < 1:
        raise ValueError("at least one partition")
    groups: dict[int, list[str]] = {}
    for line in urls:
        url = line.strip()
        if not url or url.startswith("#"):
            continue
        key = site_of(url) or url  # no host: a URL of its own, failed by its crawl
        groups.setdefault(zlib.crc32(key.encode("utf-8", "surrogatepass")) % count, []).append(url)
    return [CrawlPartition(f"crawl-{i:05d}-of-{count:05d}", tuple(groups[i])) for i in sorted(groups)]


def crawl_partition(part: CrawlPartition, options: CrawlOptions, folder: str, cleaner: Cleaner) -> dict[str, int]:
    """Crawl one partition to its end (resuming its state), cleaning with `cleaner` (sent
    pickled, rules and all); return the counts of its whole job: "cleaned", and
    "<status>: <reason>" per reason."""
    if multiprocessing.current_process().daemon:
        raise ClusterError("a daemonic Dask worker cannot start cleaning processes: "
                           "set distributed.worker.daemon: False on the workers")
    Path(folder).mkdir(parents=True, exist_ok=True)
    base = Path(folder) / part.name
    store = open_store(str(base.with_name(part.name + ".jsonl")), append=True)
    try:
        with Crawl(store, options, base.with_name(part.name + ".state.db"), cleaner=cleaner) as job:
            job.load(part.urls)
            job.prepare()
            for _ in job.run():
                pass
            counts: Counter[str] = Counter({"cleaned": job.state.counts()["done"]})
            for status, reason, n in job.state.reasons():
                counts[f"{status}: {reason or 'unknown'}"] += n
    finally:
        store.close()
    return dict(counts)


def run_crawl_partitions(parts: list[CrawlPartition], options: CrawlOptions, folder: str, executor: Executor,
                         cleaner: Cleaner | None = None) -> Iterator[tuple[CrawlPartition, Counter[str]]]:
    """Crawl every partition, cleaning with `cleaner` (built here from `options.clean` when
    None); yield each with its counts as it ends. A partition that fails as
    a whole (its worker kept dying) counts as one failure; its state keeps what it did."""
    def failed(part: CrawlPartition, reason: str) -> dict[str, int]:
        return {f"failed: {PARTITION_FAILED}: {reason}": 1}

    cleaner = cleaner or Cleaner(options.clean)
    for part, counts in executor.map(crawl_partition, parts, lambda part: (part, options, folder, cleaner),
                                     failed):
        yield part, Counter(counts)
