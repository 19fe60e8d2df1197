"""Cleaning one batch input: the batch's options, reading the input under its byte cap,
telling HTML, text and e-mail apart, and stamping the article with the input's id and fields.

Everything here runs in worker processes (see `scraper.run.pagepool`), one input per call;
`scraper.run.batch` and `scraper.run.learning` hand inputs out and gather results.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from lxml.html import HtmlElement

from scraper import newsletters as mail
from scraper.article import OUT_OF_MEMORY, Article, Failure
from scraper.clean.cleaner import Cleaner, CleanOptions, cleaner_for
from scraper.clean.decode import decode_bytes
from scraper.clean.rules import RuleFile
from scraper.errors import CONTAINED, InputError, too_large
from scraper.learn.fingerprints import TemplateOptions, page_site
from scraper.run.pagepool import MEMORY_EXCEEDED, PageLimits
from scraper.sources import HTML_SUFFIXES, TEXT_SUFFIXES, Page
from scraper.sources.page import EMAIL, TEXT

# Sees a page's (or an e-mail's) parsed tree and the site (or sender) it learns for.
Seen = Callable[[HtmlElement, "str | None"], None]

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
                learned: tuple[RuleFile, ...] = (), seen: Seen | None = None) -> Article | Failure | tuple[Article, ...]:
    """Clean one input into an article, or a failure with its reason; never raises ScraperError.
    An e-mail digest split into stories gives a tuple of articles. `cleaner` (one for
    `options.clean` when None) cleans it, with its site's template in `learned`. `seen(root,
    site)` gets a page's or an e-mail's parsed tree, and the site (or sender) it learns for,
    before rules remove anything: a learning batch fingerprints it there (text gives none)."""
    url = options.url or item.url
    try:
        cleaner = cleaner or cleaner_for(options.clean)
        data = read_input(item, cleaner.options.max_bytes)
        if _is_mail(item, data):
            assert isinstance(data, bytes)
            articles = mail.clean_message(data, mail=options.mail, source=item.source, url=options.url,
                                          cleaner=cleaner, learned=learned, before_prune=seen)
            return _stamped(articles[0], item) if len(articles) == 1 else tuple(_stamped(a, item) for a in articles)
        if _is_text(item, data):
            text = data if isinstance(data, str) else decode_bytes(data, item.charset)[0]
            return _stamped(cleaner.clean_text(text, url, source=item.source), item)
        web_seen = None if seen is None else lambda root, url: seen(root, page_site(root, url))
        return _stamped(cleaner.clean_html(data, url, http_charset=item.charset, source=item.source,
                                           learned=learned, before_prune=web_seen), item)
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


def clean_in_worker(cleaner: Cleaner, options: BatchOptions, item: Input, learned: tuple[RuleFile, ...] = (),
                    seen: Seen | None = None) -> Article | Failure | tuple[Article, ...]:
    """`clean_input` under a memory budget: running out of memory there means over the budget."""
    result = clean_input(item, options, cleaner, learned, seen)
    if isinstance(result, Failure) and result.reason == OUT_OF_MEMORY and options.max_memory is not None:
        return replace(result, reason=MEMORY_EXCEEDED)
    return result


def failure(item: Input, options: BatchOptions, reason: str) -> Failure:
    """A page over its time or memory limit, or one that took its worker down: hostile input."""
    return Failure(item.source, reason, "InputError", options.url or item.url)
