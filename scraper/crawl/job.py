"""Crawl a URL list politely and resumably: fetch in threads, clean in processes, record each URL.

    >>> from scraper.crawl.job import CrawlOptions, crawl
    >>> from scraper.sinks.store import open_store
    >>> store = open_store("articles.jsonl", append=True)
    >>> for result in crawl(open("urls.txt"), store, CrawlOptions(delay=1.0), "articles.state.db"):
    ...     print(result.source, getattr(result, "reason", "cleaned"))
    >>> store.close()

Every URL of the job ends as exactly one article or one failure (status "failed" or "skipped")
with its reason, in the store and in the state database; running the same job again resumes it.
An exception while handling one URL, in a fetch thread, a cleaning worker or this loop (robots
check, saving, indexing, storing), foreseen or not, becomes that URL's failure (`internal error:
<type>: <message>`) and the crawl goes on; a URL that killed the crawler twice ends as failed.
Fetching runs in `concurrency` threads under the per-host rules of `scraper.crawl.schedule`; pages are
cleaned in `jobs` worker processes while fetching goes on, with a bounded backlog between them.

Site templates are learned while crawling (`scraper.learn.sites`): later pages of a site are
cleaned with its template; its first pages are held back, not recorded as done, until the site
can decide, then cleaned again with the template, as are pages being cleaned when it appeared.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from scraper.article import OUT_OF_MEMORY, Article, Failure
from scraper.clean.cleaner import Cleaner
from scraper.crawl.options import CrawlOptions
from scraper.errors import HTTPStatusError, WorkerError
from scraper.crawl.fetch import Fetched
from scraper.run.pagepool import MEMORY_EXCEEDED
from scraper.crawl.recorder import Recorder
from scraper.crawl.robots import RobotsCache
from scraper.crawl.resume import JobStatus, open_job_state, running, start_job
from scraper.crawl.schedule import Politeness, Scheduler, Task
from scraper.crawl.state import Outcome
from scraper.clean.rules import RuleFile
from scraper.learn.sites import SiteLearning
from scraper.sinks.store import Store
from scraper.run.executors import LocalProcesses, Stream
from scraper.sources.savedpages import index_saved
from scraper.crawl.workers import FetchPool, FetchResult, clean_page

__all__ = ["Crawl", "CrawlOptions", "crawl"]

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Page:
    """A fetched page on its way through cleaning; `source` is its URL as the state knows it."""

    source: str
    page: Fetched
    outcome: Outcome
    site: str | None = None
    learned: RuleFile | None = None  # the site template it is cleaned with
    previous: Article | None = None  # when cleaned again with a newer template: the first result


class Crawl:
    """One crawl job: `load` URLs, `prepare` (reconcile, retry), then iterate `run`."""

    def __init__(self, store: Store, options: CrawlOptions | None = None,
                 state_path: str | Path | None = None, cleaner: Cleaner | None = None) -> None:
        self.store = store
        self.options = options or CrawlOptions()
        # Built before the state opens: a bad rule file stops the job with nothing to close.
        self.cleaner = cleaner or Cleaner(self.options.clean)
        self.state = open_job_state(store, state_path)
        self._events: queue.Queue[tuple] = queue.Queue()
        self._pages: dict[int, _Page] = {}  # being cleaned, by id
        self._robots_errors: dict[str, BaseException] = {}  # host -> what broke its robots.txt
        self.sites: SiteLearning[_Page, Article] = SiteLearning.of_store(store, self.options.templates,
                                                                self.options.learn_templates)
        self.rec = Recorder(store, self.state, self.sites, self.options.sync_every)

    def __enter__(self) -> Crawl:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.state.close()

    def load(self, urls: Iterable[str]) -> tuple[int, int]:
        """Stream URLs into the job; return `(read, new)`. Known URLs keep their status."""
        return self.state.load(urls)

    def prepare(self) -> JobStatus:
        """Settle results a killed run left unrecorded and, if asked, reopen failures."""
        return start_job(self.store, self.state, self.options.retry_failed, self.options.lifted)

    # --- the crawl loop --------------------------------------------------------------------

    def run(self) -> Iterator[Article | Failure]:
        """Fetch and clean every pending URL; yield each result once it is recorded."""
        o = self.options
        with running(self.store, self.state, before_sync=self.sites.save):
            yield from self.rec.unfetchable()
            self.scheduler = Scheduler(self.state, Politeness(
                o.delay, o.per_host, not o.ignore_robots, window=max(64, 4 * o.concurrency),
                chunk=max(16, 4 * o.per_host)))
            if not self.scheduler.done():
                yield from self._loop()

    def _loop(self) -> Iterator[Article | Failure]:
        o = self.options
        self._cleaners = self._start_cleaners()
        self._fetch = FetchPool(o.fetch, o.concurrency, self._events, o.save_html)
        self._robots = RobotsCache(self._fetch.fetcher)
        self._fetch.robots = self._robots
        interrupted = True
        try:
            while True:
                self._dispatch()
                yield from self.rec.flush()
                if self.scheduler.done() and not self._pages:
                    if not self.sites.holding():
                        break
                    self._finish_all(self.sites.release_all())
                    continue
                wait = self.scheduler.wait(time.monotonic())
                try:
                    event = self._events.get(timeout=0.5 if wait is None else min(wait, 0.5))
                except queue.Empty:
                    if self._cleaners.error is not None:  # a bug in the pool: pages would wait forever
                        raise WorkerError(f"the cleaning workers stopped: {self._cleaners.error!r}")
                    continue
                self._handle(event)
                while True:
                    try:
                        self._handle(self._events.get_nowait())
                    except queue.Empty:
                        break
                yield from self.rec.flush()
            interrupted = False
        finally:
            self._fetch.close()
            self._robots.close()
            self._cleaners.close(abandon=interrupted)

    def _start_cleaners(self) -> Stream[tuple[_Page, tuple]]:
        """Worker processes, started before any fetch thread, that clean each page under its
        limits: a page over its time or memory, or one that kills its worker, is that URL's
        failure and the worker is replaced."""
        def failed(task: tuple[_Page, tuple], reason: str) -> tuple[Failure, None]:
            item = task[0]
            return Failure(item.source, reason, "InputError", item.page.final_url), None

        def done(task: tuple[_Page, tuple], result: tuple) -> None:
            self._events.put(("cleaned", (task[0], result)))

        executor = LocalProcesses(self.options.jobs, self.options.limits)
        return executor.stream(partial(clean_page, cleaner=self.cleaner), lambda task: task[1], failed, done)

    def _dispatch(self) -> None:
        o = self.options
        now = time.monotonic()
        started = []
        while (self.scheduler.in_flight < o.concurrency
               and len(self._pages) < o.jobs * o.backlog):
            task = self.scheduler.next(now)
            if task is None:
                self.scheduler.widen()  # slots are free but no active host may start now
                break
            if task.row is not None and not o.ignore_robots and not self._may_fetch(task):
                continue
            started.append(task)
        if not started:
            return
        # Durable before any request goes out: if one of these kills the crawler, the next
        # run knows which URLs were in flight (a robots.txt fetch counts for its first URL).
        self.state.take_off(task.url for task in started)
        self.rec.sync()
        for task in started:
            self._fetch.submit(task, self.scheduler.hosts[task.host].delay)

    def _may_fetch(self, task: Task) -> bool:
        """Whether robots.txt lets the task go; if not, its URL is recorded as disallowed, or
        as failed with the error met while checking (this URL's, never the crawl's)."""
        assert task.row is not None
        url = task.row.url
        error = self._robots_errors.get(task.host)  # its robots.txt fetch failed with a bug
        if error is None:
            try:
                self._robots.check(url)
                return True
            except Exception as exc:  # noqa: BLE001  (SkippedError "disallowed...", or a bug: this URL's)
                error = exc
        self.scheduler.put_back(task)
        self.rec.fail(url, error)
        return False

    def _handle(self, event: tuple) -> None:
        if event[0] == "fetched":
            self._fetched(event[1])
        else:
            self._cleaned(event[1])

    def _fetched(self, result: FetchResult) -> None:
        task = result.task
        if task.row is None:
            if result.error is not None:  # a bug, not a ScraperError (robots.txt handles those)
                self._robots_errors[task.host] = result.error
            self.scheduler.robots_ready(task.host, result.crawl_delay)
            self.scheduler.finished(task, result.last_start)
            return
        source = task.row.url
        try:
            self.scheduler.finished(task, result.last_start)
            if result.error is not None:
                error = result.error
                status = error.status if isinstance(error, HTTPStatusError) else None
                self.rec.fail(source, error, result.tries, http_status=status)
                return
            page = result.page
            assert page is not None
            outcome = Outcome("done", None, result.tries, page.status, page.final_url, page.etag,
                              page.last_modified, page.fetched_at)
            if result.saved:
                index_saved(self.options.save_html or ".", result.saved, page)
            site = self.sites.site(page.final_url)
            self._submit(_Page(source, page, outcome, site=site,
                               learned=self.sites.template(site)[1] if site else None))
            log.debug("fetched %s (%d bytes)", source, len(page.body))
        except Exception as exc:  # noqa: BLE001  (this URL's failure, not the crawl's)
            self.rec.fail(source, exc, result.tries)

    def _clean_args(self, item: _Page) -> tuple:
        page, o = item.page, self.options
        learned = () if item.learned is None else (item.learned,)
        prints = o.templates if item.previous is None and self.sites.wants_print(item.site, page.url) else None
        return page.body, page.final_url, page.http_charset, item.source, learned, prints

    def _submit(self, item: _Page) -> None:
        self._pages[id(item)] = item
        self._cleaners.submit((item, self._clean_args(item)))  # args made here: the crawl's state is this thread's

    def _cleaned(self, finished: tuple[_Page, tuple]) -> None:
        item, outcome = finished
        self._pages.pop(id(item), None)
        try:
            self._take_result(item, outcome)
        except Exception as exc:  # noqa: BLE001  (this URL's failure, not the crawl's)
            self.rec.fail(item.source, exc, url=item.page.final_url)

    def _take_result(self, item: _Page, outcome: tuple) -> None:
        source = item.source
        try:
            result, fingerprint = outcome
            if (isinstance(result, Failure) and result.reason == OUT_OF_MEMORY
                    and self.options.max_memory is not None):
                result = replace(result, reason=MEMORY_EXCEEDED)
        except Exception as exc:  # noqa: BLE001  (a bug in cleaning must not stop the crawl)
            result, fingerprint = Failure.of(source, exc, item.page.final_url), None
        if fingerprint is not None:
            self.sites.add_print(fingerprint)
        if item.previous is not None and isinstance(result, Failure):
            result = item.previous  # the template made it fail: keep the page cleaned without it
        if isinstance(result, Failure) or item.site is None or item.previous is not None:
            self._finish(item, result)
            return
        done = self.sites.cleaned(item.site, item, result, len(item.page.body) + len(result.text))
        if all(page is not item for page, _ in done):
            self.state.land(source)  # held in memory until its site decides: not in flight
        self._finish_all(done)

    def _finish(self, item: _Page, result: Article | Failure) -> None:
        """Record a cleaned page, or clean it again if it was cleaned before its site had a
        template. (A template that changed later is not worth cleaning pages twice for.)"""
        template = self.sites.template(item.site)[1] if isinstance(result, Article) and item.learned is None \
            and item.previous is None else None
        if template is not None:
            self._submit(replace(item, learned=template, previous=result))
            return
        outcome = item.outcome
        if isinstance(result, Failure):
            outcome = outcome._replace(status=result.status, reason=result.reason)
        self.rec.emit(item.source, result, outcome)

    def _finish_all(self, done: list[tuple[_Page, Article]]) -> None:
        for item, article in done:
            try:
                self._finish(item, article)
            except Exception as exc:  # noqa: BLE001  (this URL's failure; the others go on)
                self.rec.fail(item.source, exc, url=item.page.final_url)


def crawl(urls: Iterable[str], store: Store, options: CrawlOptions | None = None,
          state_path: str | Path | None = None) -> Iterator[Article | Failure]:
    """Crawl `urls` into `store` (opened for appending); yield one result per URL.

    The state database (default `<output>.state.db`) makes the job resumable: URLs already
    done are not fetched again, and a killed crawl run again loses and repeats nothing.
    """
    with Crawl(store, options, state_path) as job:
        job.load(urls)
        job.prepare()
        yield from job.run()
