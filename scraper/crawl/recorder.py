"""Recording a crawl's results: each URL's one record in the store, then its row in the state.

The crawl hands every result here, with the URL as the state knows it (a record's own `source`
is cleaned for output and need not match). The store is written first and the state second,
and both are made durable together about once a second (`scraper.crawl.resume.sync`), so a kill in
between is settled by `reconcile`. A URL is recorded once, even if a bug reports it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from scraper.article import Article, Failure
from scraper.errors import ScraperError
from scraper.crawl.resume import sync
from scraper.sinks.base import write_result
from scraper.learn.sites import SiteLearning
from scraper.crawl.state import CRASHED_TWICE, CrawlState, Outcome
from scraper.sinks.store import Store

log = logging.getLogger(__name__)


class Recorder:
    """Writes results to `store` and `state`; `flush` yields those recorded since the last call."""

    def __init__(self, store: Store, state: CrawlState, sites: SiteLearning, sync_every: float) -> None:
        self.store = store
        self.state = state
        self.sites = sites
        self.sync_every = sync_every
        self._ready: list[Article | Failure] = []
        self._last_sync = time.monotonic()

    def unfetchable(self) -> Iterator[Article | Failure]:
        """Record the URLs that end without a request: those that could not be parsed, and
        those in flight at two deaths of the crawler in a row (not a third)."""
        while rows := self.state.pending("", 0, 500):
            for row in rows:
                reason = row.reason or "invalid URL"
                kind = ("InputError" if reason.startswith("invalid URL") else "InternalError"
                        if reason.startswith("internal error") else "SecurityError")
                self.emit(row.url, Failure(row.url, reason, kind), Outcome("failed", reason))
            yield from self.flush()
        while rows := self.state.crashed(500):
            for row in rows:
                self.emit(row.url, Failure(row.url, CRASHED_TWICE, "InternalError"),
                          Outcome("failed", CRASHED_TWICE))
            yield from self.flush()

    def fail(self, source: str, error: BaseException, attempts: int = 0, url: str | None = None,
             http_status: int | None = None) -> None:
        """Record an exception met while handling `source` as its failure (`Failure.of`)."""
        failure = Failure.of(source, error, url)
        if not isinstance(error, ScraperError):
            log.warning("%s: %s", source, failure.reason)
            log.info("where the internal error on %s happened", source, exc_info=error)
        self.emit(source, failure, Outcome(failure.status, failure.reason, attempts, http_status))

    def emit(self, source: str, result: Article | Failure, outcome: Outcome) -> None:
        """Record `result` for `source`. A record the store cannot take becomes the URL's
        failure; if that cannot be written either, the output itself is broken: it raises."""
        if self.state.status(source) != "pending":
            log.error("%s was recorded already; a later result for it is dropped", source)
            return
        try:
            written = write_result(self.store, result, source)
        except Exception as exc:  # noqa: BLE001  (this record's failure, not the crawl's)
            written = Failure.of(source, exc, result.url)
            log.info("where the internal error on %s happened", source, exc_info=exc)
            write_result(self.store, written)
        if written is not result:
            log.warning("%s: %s (while storing it)", source, written.reason)
            result, outcome = written, outcome._replace(status=written.status, reason=written.reason)
        self.state.record(source, outcome)
        self._ready.append(result)
        if time.monotonic() - self._last_sync >= self.sync_every:
            self.sync()

    def sync(self) -> None:
        """Make store and state durable together (and the learned templates, when due)."""
        self.sites.save_if_due()
        sync(self.store, self.state)
        self._last_sync = time.monotonic()

    def flush(self) -> Iterator[Article | Failure]:
        ready, self._ready = self._ready, []
        yield from ready
