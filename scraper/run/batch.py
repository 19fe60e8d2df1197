"""Batches: clean each input Page (from `scraper.sources`) in worker processes, hand every
result to a store.

Every input ends as exactly one `Article` or one `Failure` (a mailbox is one input per message,
and an e-mail digest split into stories one article per story); a bad input never stops the batch.
Each page is held to limits: its size after decompression (`CleanOptions.max_bytes`), its time
and its memory (`BatchOptions.page_timeout`, `max_memory`, enforced in worker processes, see
`scraper.run.pagepool`); a page over a limit is a recorded failure. A batch
runs in two passes when it learns site templates: the first fingerprints every page, the second
cleans every page with its site's template, so the first pages of a site are cleaned as well as
the last; only that holds the inputs in a list. Without learning, Pages are taken as workers are
free, so a stream of any length flows through in constant memory.
"""

from __future__ import annotations

import gzip
import logging
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from scraper.article import OUT_OF_MEMORY, Article, Failure
from functools import partial

from scraper.clean.cleaner import Cleaner, CleanOptions, cleaner_for
from scraper.clean.decode import decode_bytes
from scraper.errors import CONTAINED, InputError, ScraperError, too_large
from scraper.learn.fingerprints import PagePrint, TemplateOptions, fingerprint_page
from scraper import newsletters as mail
from scraper.run.pagepool import MEMORY_EXCEEDED, PageLimits
from scraper.clean.rules import RuleFile
from scraper.run.executors import executor_for
from scraper.sources import HTML_SUFFIXES, TEXT_SUFFIXES, Page, find_inputs, stdin_input
from scraper.sources.page import EMAIL, TEXT
from scraper.learn.templates import TemplateLearner, learn_site_template

__all__ = ["BatchOptions", "Input", "Page", "clean_input", "find_inputs", "learn_rule_file", "read_input", "run_batch",
           "stdin_input"]

T = TypeVar("T")
log = logging.getLogger(__name__)

# A batch item is a Page (scraper.sources); `Input` is its older name.
Input = Page


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs: cleaning options, page URL override, worker processes, site templates,
    and the per-page limits of time (seconds) and memory (bytes per worker); None lifts a limit.
    With both lifted and one job, pages are cleaned in this process."""

    clean: CleanOptions = field(default_factory=CleanOptions)
    url: str | None = None
    jobs: int = os.cpu_count() or 1  # as `clean -j`: all cores
    learn_templates: bool = True
    templates: TemplateOptions = field(default_factory=TemplateOptions)
    page_timeout: float | None = 30.0
    max_memory: int | None = 2 << 30
    mail: mail.MailOptions = field(default_factory=mail.MailOptions)

    @property
    def limits(self) -> PageLimits:
        return PageLimits(self.page_timeout, self.max_memory)


def read_input(item: Input, limit: int) -> bytes | str:
    """The raw bytes of an input (text when its source decoded it), gunzipped when the name ends
    in `.gz`; at most `limit` bytes. A record its source could not read raises its reason."""
    if item.error is not None:
        raise InputError(item.error)
    if item.data is not None:
        if len(item.data) > limit:
            raise InputError(too_large("page", limit))
        return item.data
    if item.span is not None:
        return mail.read_span(item.span, limit)
    too_big = InputError(too_large("page", limit) + " after decompression")
    path = Path(item.source)
    try:
        if path.stat().st_size > limit:
            raise too_big
        if not path.name.lower().endswith(".gz"):
            return path.read_bytes()
        with gzip.open(path, "rb") as fh:
            data = fh.read(limit + 1)  # bounded: a gzip bomb stops here
    except FileNotFoundError as exc:
        raise InputError("no such file") from exc
    except IsADirectoryError as exc:
        raise InputError("is a directory") from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise InputError(f"corrupt or truncated gzip: {exc}") from exc
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise too_big
    return data


def _readable_pages(inputs: list[str], limit: int) -> Iterator[bytes | str]:
    for item in find_inputs(inputs):
        try:
            yield read_input(item, limit)
        except ScraperError:
            continue  # an unreadable input is one page fewer to learn from, as in a batch


def learn_rule_file(inputs: list[str], site: str | None = None,
                    options: TemplateOptions = TemplateOptions()) -> str:
    """The template of one site, learned from saved pages (files or folders), as reviewable TOML
    (see `scraper.learn.templates.learn_site_template`). Raises `InputError` when the site is ambiguous
    or has too few pages."""
    return learn_site_template(_readable_pages(inputs, CleanOptions().max_bytes), site, options)

def _is_text(item: Input, data: bytes | str) -> bool:
    if item.kind is not None:
        return item.kind == TEXT
    name = item.source.lower()
    if name.endswith(TEXT_SUFFIXES):
        return True
    if name.endswith(HTML_SUFFIXES):
        return False
    head = data.lstrip()[:1]
    return head not in (b"<", "<")  # stdin, a record or an unknown suffix: sniff


def _is_mail(item: Input, data: bytes | str) -> bool:
    if item.kind is not None:
        return item.kind == EMAIL
    if isinstance(data, str):
        return False
    name = item.source.lower()
    if item.span is not None or name.endswith(mail.EML_SUFFIXES):
        return True
    return not name.endswith(HTML_SUFFIXES + TEXT_SUFFIXES) and mail.looks_like_message(data)


def clean_input(item: Input, options: BatchOptions, cleaner: Cleaner | None = None,
                learned: tuple[RuleFile, ...] = ()) -> Article | Failure | tuple[Article, ...]:
    """Clean one input into an article, or a failure with its reason; never raises ScraperError.
    An e-mail digest split into stories gives a tuple of articles. `cleaner` (one for
    `options.clean` when None) cleans it, with its site's template in `learned`."""
    url = options.url or item.url
    try:
        cleaner = cleaner or cleaner_for(options.clean)
        data = read_input(item, cleaner.options.max_bytes)
        if _is_mail(item, data):
            assert isinstance(data, bytes)
            articles = mail.clean_message(data, mail=options.mail, source=item.source, url=options.url,
                                          cleaner=cleaner, learned=learned)
            return _stamped(articles[0], item) if len(articles) == 1 else tuple(_stamped(a, item) for a in articles)
        if _is_text(item, data):
            text = data if isinstance(data, str) else decode_bytes(data, item.charset)[0]
            return _stamped(cleaner.clean_text(text, url, source=item.source), item)
        return _stamped(cleaner.clean_html(data, url, http_charset=item.charset, source=item.source,
                                           learned=learned), item)
    except CONTAINED as exc:
        return Failure.of(item.source, exc, url=url)


def _stamped(article: Article, item: Input) -> Article:
    """The article with its input's stable id (unless the input gave one, as an e-mail's
    Message-ID) and the input's pass-through fields."""
    fields = dict(item.fields)
    if item.fetched is not None:
        fields.setdefault("fetched", item.fetched)
    if article.id is not None and not fields:
        return article
    return replace(article, id=article.id or item.stable_id, fields=fields)


def _clean_in_worker(cleaner: Cleaner, options: BatchOptions, item: Input,
                     learned: tuple[RuleFile, ...]) -> Article | Failure | tuple[Article, ...]:
    """`clean_input` under a memory budget: running out of memory there means over the budget."""
    result = clean_input(item, options, cleaner, learned)
    if isinstance(result, Failure) and result.reason == OUT_OF_MEMORY and options.max_memory is not None:
        return replace(result, reason=MEMORY_EXCEEDED)
    return result


def fingerprint_input(options: BatchOptions, item: Input) -> PagePrint | None:
    """Pass one of a learning batch: one HTML input's fingerprint (an e-mail's counts for its
    sender); None for text inputs, pages of unknown site and bad inputs (pass two records those)."""
    try:
        data = read_input(item, options.clean.max_bytes)
        if _is_mail(item, data):
            assert isinstance(data, bytes)
            return mail.fingerprint_message(data, options.templates)
        if _is_text(item, data):
            return None
        return fingerprint_page(data, options.url or item.url, options.templates, http_charset=item.charset)
    except Exception:  # noqa: BLE001  (a page without a print only teaches nothing; pass two records why)
        return None


def _failure(item: Input, options: BatchOptions, reason: str) -> Failure:
    """A page over its time or memory limit, or one that took its worker down: hostile input."""
    return Failure(item.source, reason, "InputError", options.url or item.url)


def _map(work: Callable[..., T], tasks: Iterable[tuple], options: BatchOptions,
         failed: Callable[[Input, BatchOptions, str], T]) -> Iterator[tuple[Input, T]]:
    """Run `work` on each task (an input first) in worker processes under the page limits (in
    this process when there are no limits and one job); results come as they finish."""
    executor = executor_for(options.jobs, options.limits)
    for task, result in executor.map(work, tasks, lambda task: task,
                                     lambda task, reason: failed(task[0], options, reason)):
        yield task[0], result


def run_batch(items: Iterable[Input], options: BatchOptions, learner: TemplateLearner | None = None,
              cleaner: Cleaner | None = None) -> Iterator[Article | Failure]:
    """Clean items, in worker processes when `jobs > 1`; results come as they finish.

    `cleaner` cleans every page (a new `Cleaner(options.clean)` when None); worker processes
    get it once, at their start. With `options.learn_templates`, pages are first fingerprinted
    into `learner` (a fresh one when None; pass one loaded from a store to build on earlier
    runs) and each page is then cleaned with its site's learned template as well."""
    cleaner = cleaner or Cleaner(options.clean)
    tasks: Iterable[tuple[Input, tuple[RuleFile, ...]]] = ((item, ()) for item in items)
    if options.learn_templates:
        items = list(items)
        learner = learner if learner is not None else TemplateLearner(options.templates)
        options = replace(options, templates=learner.options)
        tasks = ((item, ()) for item in items)
        if len(items) >= options.templates.min_pages or learner.sites:
            doomed: dict[str, Failure] = {}
            tasks = _with_templates(items, options, learner, doomed)
            yield from doomed.values()
    for _, result in _map(partial(_clean_in_worker, cleaner, options), tasks, options, _failure):
        yield from result if isinstance(result, tuple) else (result,)


def _with_templates(items: list[Input], options: BatchOptions, learner: TemplateLearner,
                    doomed: dict[str, Failure]) -> list[tuple[Input, tuple[RuleFile, ...]]]:
    """Pass one: fingerprint every page into `learner`; then pair each item with its own site's
    template only (small to send to workers, one rule book per site).
    A page over its time or memory limit here goes into `doomed` rather than being tried twice."""
    sites: dict[str, str] = {}

    def failed(item: Input, options: BatchOptions, reason: str) -> None:
        doomed[item.source] = _failure(item, options, reason)

    for item, page in _map(partial(fingerprint_input, options), ((item,) for item in items), options, failed):
        if page is not None:
            learner.add_print(page)
            sites[item.source] = page.site
    paired = []
    for item in items:
        if item.source in doomed:
            continue
        learned = learner.rule_file(sites.get(item.source))
        paired.append((item, () if learned is None else (learned,)))
    return paired
