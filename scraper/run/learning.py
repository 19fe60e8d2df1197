"""A learning batch: clean every page and learn its site's template in one pass, one parse each.

Workers clean a page and fingerprint it from the same parse, as a crawl's do; the parent counts
the prints (`scraper.learn.sites`). A site's pages cleaned before it has pages enough to decide
its template wait there, bounded in number and bytes, and are then cleaned again with it; later
pages are cleaned with the template from the start. So only the first few pages of a site are
parsed twice, and inputs stream through without being listed. A page's template is learned
from the pages counted before it: with several workers, arrival order can change it a little
from run to run.

A page's site is known for sure only once it is parsed (a saved page may name it only in its
canonical link), so each task carries the template of the site it is likely of: its URL's,
else that of the last page from the same folder. A page that turns out to be of another site
with a template is cleaned again (a template only applies to its own site, or sender).
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial

from lxml.html import HtmlElement

from scraper.article import Article, Failure
from scraper.clean.cleaner import Cleaner
from scraper.clean.rules import RuleFile
from scraper.errors import WorkerError
from scraper.learn.fingerprints import PagePrint, TemplateOptions, fingerprint
from scraper.learn.sites import SiteLearning
from scraper.learn.templates import TemplateLearner
from scraper.run.cleaning import BatchOptions, Input, clean_in_worker, failure
from scraper.run.executors import Executor, Stream, executor_for
from scraper.urls import site_of

Result = Article | Failure | tuple[Article, ...]
_IN_FLIGHT_PER_JOB = 2  # enough to keep workers busy; more only holds inputs in memory
_POLL = 1.0  # seconds between checks that the workers still run


@dataclass(frozen=True)
class _Task:
    item: Input
    seq: int  # its place among the inputs
    site: str | None  # the site the page is thought (or, once cleaned, known) to be of
    learned: RuleFile | None  # that site's template when the task was made
    prints: bool  # fingerprint it as well
    previous: Result | None = None  # what it gave without a template, when cleaned again

    @property
    def folder(self) -> str:
        return os.path.dirname(self.item.source)


def clean_and_print(cleaner: Cleaner, options: BatchOptions, item: Input, learned: tuple[RuleFile, ...],
                    prints: TemplateOptions | None) -> tuple[Result, str | None, PagePrint | None]:
    """Clean one input (in a worker) as a batch does; from the same parse, say the site (or
    sender) it is of and, given `prints`, fingerprint it. Never raises."""
    found: list = [None, None]

    def seen(root: HtmlElement, site: str | None) -> None:
        found[0] = site
        if prints is not None and site is not None:
            try:
                found[1] = fingerprint(root, site, prints)
            except Exception:  # noqa: BLE001  (a page without a print only teaches nothing)
                pass

    result = clean_in_worker(cleaner, options, item, learned, seen)
    return result, found[0], found[1]


def learning_batch(items: Iterable[Input], options: BatchOptions, learner: TemplateLearner,
                   cleaner: Cleaner, executor: Executor | None = None) -> Iterator[Article | Failure]:
    """Clean `items` with their sites' templates, learned into `learner` as they come, on
    `executor` (by default, the one `options` call for); results come as they are final, not
    in input order."""
    executor = executor or executor_for(options.jobs, options.limits)
    yield from _LearningBatch(options, learner, cleaner).run(items, executor)


class _LearningBatch:
    def __init__(self, options: BatchOptions, learner: TemplateLearner, cleaner: Cleaner) -> None:
        self.options = options
        self.sites: SiteLearning[_Task, Result] = SiteLearning(learner)
        self.cleaner = cleaner
        self.folders: dict[str, str] = {}  # folder -> site of its last page cleaned
        self.results: queue.Queue[tuple[_Task, tuple]] = queue.Queue()
        self.in_flight = 0
        self.out: list[Result] = []
        self._stream: Stream[_Task] | None = None

    def run(self, items: Iterable[Input], executor: Executor) -> Iterator[Article | Failure]:
        o = self.options
        stream = executor.stream(
            partial(clean_and_print, self.cleaner, o), self._args,
            lambda task, reason: (failure(task.item, o, reason), None, None),
            lambda task, outcome: self.results.put((task, outcome)))
        self._stream = stream
        window = _IN_FLIGHT_PER_JOB * max(1, o.jobs)
        pending = enumerate(items)
        more = True
        abandon = True
        try:
            while True:
                while more and self.in_flight < window:
                    numbered = next(pending, None)
                    if numbered is None:
                        more = False
                    else:
                        self._submit(self._task(*numbered))
                if self.in_flight == 0 and not more:
                    if not self.sites.holding():
                        break
                    # Sites that never decided: their pages go in input order.
                    self._finish_all(sorted(self.sites.release_all(), key=lambda done: done[0].seq))
                else:
                    self._take(*self._next_result(stream))
                yield from self._flush()
            yield from self._flush()
            abandon = False
        finally:
            stream.close(abandon)

    def _next_result(self, stream: Stream[_Task]) -> tuple[_Task, tuple]:
        """The next page cleaned. Each page's time is bounded by the pool (`page_timeout`), so
        one comes, unless the pool itself broke."""
        while True:
            try:
                return self.results.get(timeout=_POLL)
            except queue.Empty:
                if stream.error is not None:
                    raise WorkerError(f"the cleaning workers stopped: {stream.error!r}") from stream.error

    def _task(self, seq: int, item: Input) -> _Task:
        url = self.options.url or item.url
        site = site_of(url) if url else self.folders.get(os.path.dirname(item.source))
        learned = self.sites.template(site)[1] if site else None
        prints = site is None or self.sites.wants_print(site, item.source)
        return _Task(item, seq, site, learned, prints)

    def _args(self, task: _Task) -> tuple:
        learned = () if task.learned is None else (task.learned,)
        prints = self.options.templates if task.prints and task.previous is None else None
        return task.item, learned, prints

    def _submit(self, task: _Task) -> None:
        assert self._stream is not None
        self.in_flight += 1
        self._stream.submit(task)

    def _take(self, task: _Task, outcome: tuple) -> None:
        self.in_flight -= 1
        result, site, page = outcome
        if page is not None:
            self.sites.add_print(page)
        if site is not None:
            self.folders[task.folder] = site
        if task.previous is not None:
            # Cleaned again with the template: a failure there keeps the page as it was.
            self.out.append(task.previous if isinstance(result, Failure) else result)
            return
        if isinstance(result, Failure) or site is None:
            self.out.append(result)
            return
        known = replace(task, site=site, learned=task.learned if site == task.site else None)
        size = len(task.item.data or "") + sum(len(a.text) for a in _articles(result))
        self._finish_all(self.sites.cleaned(site, known, result, size))

    def _finish_all(self, done: list[tuple[_Task, Result]]) -> None:
        """Pages that may go: out, or cleaned again when their site has a template they lacked."""
        for task, result in done:
            template = self.sites.template(task.site)[1] if task.learned is None else None
            if template is not None:
                self._submit(replace(task, learned=template, previous=result))
            else:
                self.out.append(result)

    def _flush(self) -> Iterator[Article | Failure]:
        out, self.out = self.out, []
        for result in out:
            yield from result if isinstance(result, tuple) else (result,)


def _articles(result: Result) -> tuple[Article, ...]:
    return result if isinstance(result, tuple) else (result,) if isinstance(result, Article) else ()
