"""Keeping the output and the state database in step, so a killed crawl loses and repeats nothing.

The crawl writes each result to the sink first and records it in the state second, and makes
both durable together about once a second (`sync`: the sink first, then its marks saved in the
state). After a kill, results written since the last sync are in the output but still pending
in the state; `reconcile` asks the sink what it holds past those marks and settles them.
`--retry-failed` has the sink drop the old failure records of the URLs it retries
(`drop_failures`), so every URL keeps exactly one record. Nothing here knows a sink's kind: the
sink says what it holds (`scraper.sinks.base.Sink`). `open_job_state` opens the state of an
output, `start_job` does all of this when a crawl starts and counts a crash for the URLs a dead
run had in flight, and `running` marks a run so the next start knows whether it died.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pathlib import Path

from scraper.errors import InputError, OutputError
from scraper.crawl.state import CrawlState, default_state_path
from scraper.sinks.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobStatus:
    """Where a job stands before fetching: URL counts by status and what start-up did."""

    counts: dict[str, int]
    resumed: bool
    settled: int = 0
    retried: int = 0
    output: str = "-"
    crashed: int = 0  # URLs that were in flight when the last run died


def open_job_state(store: Store, state_path: str | Path | None) -> CrawlState:
    """The state database of the crawl into `store` (default `<output>.state.db`), which must be
    this output's: a state of another output is refused rather than mixed in."""
    output = describe(store)
    if state_path is None:
        if output == "-":
            raise InputError("a crawl to standard output needs a state path")
        state_path = default_state_path(output)
    state = CrawlState(state_path)
    known = state.get("output")
    if known is not None and known != output:
        state.close()
        raise InputError(f"state {state_path} belongs to the crawl into {known}; "
                         "use another state file for a new job")
    if known is None:
        state.set("output", output)
        state.set("created", time.strftime("%Y-%m-%d %H:%M:%S"))
        state.commit()
    return state


def start_job(store: Store, state: CrawlState, retry_failed: bool, lifted: tuple[str, ...] = ()) -> JobStatus:
    """Settle results a killed run left unrecorded, count a crash for the URLs it had in flight
    and, if asked, reopen failures (their old records removed). Failures and skips whose reason
    starts with one of `lifted` (a policy this run no longer applies) are reopened as well."""
    if not getattr(store, "resumable", True):
        raise OutputError(f"a crawl cannot resume into {describe(store)}: crawl into .jsonl, .db or a folder")
    resumed = not state.is_new and state.get("started") is not None
    died = state.get("running") == "1"
    if state.get("retrying") == "1":
        drop_failures(store, state)
    settled = reconcile(store, state, state.is_new or died)
    crashed = state.count_crash() if died else 0
    if crashed:
        log.warning("the last run died with %d URLs in flight; a URL in flight at two such deaths "
                    "in a row is not tried again", crashed)
    retried = state.reopen(lifted)
    if retry_failed:
        retried += state.retry_failed()
    if retried:
        state.set("retrying", 1)
        state.commit()
        drop_failures(store, state)
    state.set("retrying", 0)
    state.commit()
    return JobStatus(state.counts(), resumed, settled, retried, describe(store), crashed)


@contextmanager
def running(store: Store, state: CrawlState, before_sync: Callable[[], None]) -> Iterator[None]:
    """Mark the job running while it runs (what tells `start_job` a run died), and make store
    and state durable however it ends; `before_sync` saves what must go with them (templates).
    A run stopped in good order (Ctrl-C, the caller gone) clears its in-flight marks: no URL
    crashed anything."""
    state.set("started", time.strftime("%Y-%m-%d %H:%M:%S"))
    state.set("running", 1)
    state.commit()
    clean_exit = False
    try:
        yield
        clean_exit = True
    except BaseException as exc:
        if not isinstance(exc, Exception):
            state.land_all()
        raise
    finally:
        before_sync()
        sync(store, state)
        if clean_exit:
            state.set("running", 0)
            state.commit()


def describe(store: Store) -> str:
    """The output a store writes to, as an absolute path ("-" for a stream)."""
    return getattr(store, "output", "-")


def sync(store: Store, state: CrawlState) -> None:
    """Make the store durable, then commit the state with the marks it gives."""
    for key, value in store.checkpoint().items():
        state.set(key, value)
    state.set("synced_at", time.time())
    state.commit()


def reconcile(store: Store, state: CrawlState, dirty: bool) -> int:
    """Settle URLs whose result reached the output but not the state; return how many.

    `dirty` says the last run did not end cleanly (or the state is new); sinks with marks
    (JSONL offsets) are read past them either way, which costs nothing after a clean run.
    """
    settled = 0
    for held in store.held_since(state.get, dirty):
        if held.status == "done":
            settled += state.settle(held.source, "done")
        else:
            settled += state.settle(held.source, held.status, held.reason)
    sync(store, state)
    return settled


def drop_failures(store: Store, state: CrawlState) -> None:
    """Remove failure records of URLs that are pending again, keeping every other record (the
    sink rewrites through a copy and an atomic rename, so a kill part-way loses nothing and
    the next start, seeing `retrying`, does it again)."""
    store.drop_failures(lambda source: state.status(source) == "pending")
    sync(store, state)
