"""Recording a crawl's results: each URL's one record in the store, then its row in the state.

The crawl hands every result here, with the URL as the state knows it (a record's own `source`
is cleaned for output and need not match). The store is written first and the state second,
and both are made durable together about once a second (`scraper.resume.sync`), so a kill in
between is settled by `reconcile`. A URL is recorded once, even if a bug reports it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from .article import Article, Failure
from .errors import ScraperError
from .resume import sync
from .sitelearn import SiteLearning
from .state import CrawlState, Outcome
from .store import Store

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

    def fail(self, source: str, error: Exception, attempts: int = 0, url: str | None = None) -> None:
        """Record an exception met while handling `source` as its failure (`Failure.of`)."""
        failure = Failure.of(source, error, url)
        if not isinstance(error, ScraperError):
            log.warning("%s: %s", source, failure.reason)
            log.debug("traceback of the internal error", exc_info=error)
        self.emit(source, failure, Outcome(failure.status, failure.reason, attempts))

    def emit(self, source: str, result: Article | Failure, outcome: Outcome) -> None:
        """Record `result` for `source`. A record the store cannot take becomes the URL's
        failure; if that cannot be written either, the output itself is broken: it raises."""
        if self.state.status(source) != "pending":
            log.error("%s was recorded already; a later result for it is dropped", source)
            return
        try:
            self._write(result)
        except Exception as exc:  # noqa: BLE001  (this record's failure, not the crawl's)
            failure = Failure.of(source, exc, result.url)
            log.warning("%s: %s (while storing it)", source, failure.reason)
            log.debug("traceback of the internal error", exc_info=exc)
            result, outcome = failure, outcome._replace(status=failure.status, reason=failure.reason)
            self._write(result)
        self.state.record(source, outcome)
        self._ready.append(result)
        if time.monotonic() - self._last_sync >= self.sync_every:
            self.sync()

    def _write(self, result: Article | Failure) -> None:
        if isinstance(result, Failure):
            self.store.fail(result)
        else:
            self.store.add(result)

    def sync(self) -> None:
        """Make store and state durable together (and the learned templates, when due)."""
        self.sites.save_if_due()
        sync(self.store, self.state)
        self._last_sync = time.monotonic()

    def flush(self) -> Iterator[Article | Failure]:
        ready, self._ready = self._ready, []
        yield from ready
