"""Where work runs: executors (in this process, a local pool of worker processes, a Dask
cluster) and the partitioned, resumable batch that runs `clean` on a cluster.

Executors take plain callables and counts, never batch or crawl options, so that the batch,
the crawl and the cluster code can all use them without importing each other.
"""

from scraper.run.executors import Executor, InProcess, LocalProcesses, Stream, executor_for

__all__ = ["Executor", "InProcess", "LocalProcesses", "Stream", "executor_for"]
