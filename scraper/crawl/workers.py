"""The crawl's workers: fetch threads, and the processes that clean what they fetch.

A fetch thread takes a `Task`, makes its request(s) and reports the outcome. Retries happen
inside a task (the fetcher's backoff), holding the host's slot, and each retry and each redirect
hop waits at least the host's delay, so the per-host spacing holds for them too. The threads are
daemons: a crawl that is interrupted does not wait for a long Retry-After to pass. Cleaning
processes (`scraper.run.LocalProcesses`, each page under its time and memory limits) run
`clean_page`, which also fingerprints the page, from the same parse, for site-template
learning in the parent; each process gets the crawl's `Cleaner` once, at its start.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

from lxml.html import HtmlElement

from scraper.article import Article, Failure
from scraper.learn.fingerprints import PagePrint, TemplateOptions, fingerprint_tree
from scraper.clean.cleaner import Cleaner
from scraper.crawl.fetch import Fetched, Fetcher, FetchOptions
from scraper.crawl.robots import RobotsCache
from scraper.clean.rules import RuleFile
from scraper.sources.savedpages import save_page
from scraper.crawl.schedule import Task


@dataclass(frozen=True)
class FetchResult:
    """What one task produced: a page or an error (pages), or the Crawl-delay (robots).

    `tries` counts requests made (1 = no retry), as the `Fetcher` counted them; `last_start` is
    when the last one began
    (`time.monotonic()`), which is what the next request to the host is spaced from.
    """

    task: Task
    page: Fetched | None = None
    error: BaseException | None = None
    crawl_delay: float | None = None
    tries: int = 1
    last_start: float = 0.0
    saved: str | None = None


def clean_page(body: bytes, url: str, http_charset: str | None, source: str, learned: tuple[RuleFile, ...] = (),
               templates: TemplateOptions | None = None, *,
               cleaner: Cleaner) -> tuple[Article | Failure, PagePrint | None]:
    """Clean one fetched page (in a worker process) with its site's template in `learned` and,
    given `templates`, fingerprint it from the same parse (None when that fails or the site is
    unknown); never raises. A bug met on this page comes back as its `Failure` (an exception
    object may not even survive the trip to the parent)."""
    page = None

    def fingerprint(root: HtmlElement, url: str | None) -> None:
        nonlocal page
        try:
            page = fingerprint_tree(root, url, templates)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001  (cleaning says why, if it fails too; a page
            pass           # without a print only teaches nothing)

    try:
        return cleaner.clean_html(body, url, http_charset=http_charset, source=source, learned=learned,
                                  before_prune=fingerprint if templates is not None else None), page
    except (Exception, SystemExit) as exc:  # noqa: BLE001  (CONTAINED, or a bug: this page's)
        return Failure.of(source, exc, url=url), page


class FetchPool:
    """`size` daemon threads sharing one `Fetcher` (a pooled session per thread)."""

    def __init__(self, options: FetchOptions, size: int, events: queue.Queue,
                 save_html: str | None = None) -> None:
        self._local = threading.local()
        self._stop = threading.Event()
        self.fetcher = Fetcher(options, sleep=self._backoff, before_hop=self._space)
        self.robots: RobotsCache | None = None
        self._tasks: queue.Queue[tuple[Task, float] | None] = queue.Queue()
        self._events = events
        self._save_html = save_html
        self._threads = [threading.Thread(target=self._work, name=f"fetch-{i}", daemon=True)
                         for i in range(size)]
        for thread in self._threads:
            thread.start()

    def submit(self, task: Task, spacing: float) -> None:
        """Run `task`; retries of it wait at least `spacing` seconds."""
        self._tasks.put((task, spacing))

    def close(self) -> None:
        """Stop the threads (without waiting for a request in progress) and the sessions."""
        self._stop.set()
        for _ in self._threads:
            self._tasks.put(None)
        self.fetcher.close()

    def _backoff(self, seconds: float) -> None:
        # Outside a fetch thread (robots.txt read from the crawl's own thread) there is no task:
        # no spacing to add.
        self._stop.wait(max(seconds, getattr(self._local, "spacing", 0.0)))
        self._local.started = time.monotonic()

    def _space(self) -> None:
        """Before a redirect hop: the next request of this task waits the host's delay too."""
        self._stop.wait(getattr(self._local, "spacing", 0.0))
        self._local.started = time.monotonic()

    def _work(self) -> None:
        # Every task taken is answered, whatever happens: the crawl waits for each one.
        while (item := self._tasks.get()) is not None:
            task, spacing = item
            result = FetchResult(task, error=RuntimeError("fetch thread failed"))
            try:
                self._local.spacing = spacing
                self._local.started = time.monotonic()
                result = self._run(task)
            finally:
                if not self._stop.is_set():
                    self._events.put(("fetched", result))

    def _run(self, task: Task) -> FetchResult:
        local = self._local
        page = None
        try:
            if task.row is None:
                assert self.robots is not None
                delay = self.robots.crawl_delay(task.url)
                return FetchResult(task, crawl_delay=delay, last_start=local.started)
            page = self.fetcher.fetch(task.row.url)
            saved = save_page(self._save_html, page) if self._save_html else None
            return FetchResult(task, page=page, tries=page.attempts, last_start=local.started,
                               saved=saved)
        except (Exception, SystemExit) as exc:  # noqa: BLE001  (ScraperError, or a bug: recorded)
            return FetchResult(task, error=exc, tries=page.attempts if page else Fetcher.attempts_of(exc),
                               last_start=local.started)
