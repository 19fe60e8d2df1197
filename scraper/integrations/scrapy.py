"""A Scrapy item pipeline that cleans the HTML of items your own spiders yield.

    # settings.py
    ITEM_PIPELINES = {"scraper.integrations.scrapy.CleanPipeline": 300}
    SCRAPER_HTML_FIELD = "html"      # the item field holding the page (str or bytes)
    SCRAPER_URL_FIELD = "url"        # the item field holding its URL
    SCRAPER_FIELDS = ["title", "author", "date", "text"]   # what to add; default: every field
    SCRAPER_FIELD_PREFIX = ""        # e.g. "clean_" to keep the item's own fields apart

    # the spider
    def parse(self, response):
        yield {"url": response.url, "html": response.body}

Each item with HTML comes out with the article's fields added; an item whose page cannot be
cleaned comes out with `<prefix>failure` (the reason) instead, or is dropped with
`SCRAPER_DROP_FAILED = True`. Items without the HTML field pass through untouched. Pages are
cleaned in worker processes (`SCRAPER_JOBS`, default 1) under the same limits as `scraper
clean` (`SCRAPER_PAGE_TIMEOUT` seconds, default 30; `SCRAPER_MAX_MEMORY` bytes, default 2 GiB),
so a hostile page neither blocks Scrapy's event loop nor hangs the crawl. A `scrapy.Item`
must declare the fields added; a dict item takes any.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

try:
    from itemadapter import ItemAdapter
    from scrapy.exceptions import DropItem
    from twisted.internet import defer
except ImportError as exc:  # pragma: no cover - said plainly, with the command that fixes it
    raise ImportError("scraper.integrations.scrapy needs Scrapy: pip install 'scraper[scrapy]'") from exc

from scraper.article import FIELDS, Article, Failure
from scraper.clean.cleaner import Cleaner, CleanOptions
from scraper.run.pagepool import PageLimits
from scraper.run.executors import LocalProcesses, Stream
from scraper.crawl.workers import clean_page


class CleanPipeline:
    """Adds the cleaned article's fields to each item that carries HTML (see the module doc),
    cleaned by `cleaner` (one built from `options` when None)."""

    def __init__(self, options: CleanOptions | None = None, html_field: str = "html", url_field: str = "url",
                 fields: Sequence[str] = FIELDS, prefix: str = "", drop_failed: bool = False,
                 jobs: int = 1, limits: PageLimits = PageLimits(), cleaner: Cleaner | None = None) -> None:
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise ValueError(f"SCRAPER_FIELDS: not article fields: {', '.join(sorted(unknown))}")
        # Rules read once, here (a bad rule file stops the pipeline loading); workers get the cleaner.
        self.cleaner = cleaner or Cleaner(options)
        self.options = self.cleaner.options
        self.html_field, self.url_field = html_field, url_field
        self.fields, self.prefix, self.drop_failed = tuple(fields), prefix, drop_failed
        self.jobs, self.limits = jobs, limits
        self._stream: Stream | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CleanPipeline:
        s = crawler.settings
        memory = s.get("SCRAPER_MAX_MEMORY", 2 << 30)
        return cls(CleanOptions(rule_files=tuple(s.getlist("SCRAPER_RULES"))),
                   html_field=s.get("SCRAPER_HTML_FIELD", "html"), url_field=s.get("SCRAPER_URL_FIELD", "url"),
                   fields=s.getlist("SCRAPER_FIELDS") or FIELDS, prefix=s.get("SCRAPER_FIELD_PREFIX", ""),
                   drop_failed=s.getbool("SCRAPER_DROP_FAILED", False), jobs=s.getint("SCRAPER_JOBS", 1),
                   limits=PageLimits(s.getfloat("SCRAPER_PAGE_TIMEOUT", 30.0) or None,
                                     int(memory) if memory else None))

    def open_spider(self, spider: Any = None) -> None:
        from twisted.internet import reactor  # the one Scrapy installed, never a default of ours

        def failed(task: tuple, reason: str) -> tuple[Failure, None]:
            return Failure(task[1] or "item", reason, "InputError", task[1]), None

        def done(task: tuple, result: tuple) -> None:
            reactor.callFromThread(task[0].callback, result[0])

        work = partial(clean_page, cleaner=self.cleaner)
        self._stream = LocalProcesses(self.jobs, self.limits).stream(work, self._args, failed, done)

    def close_spider(self, spider: Any = None) -> None:
        if self._stream is not None:
            self._stream.close(abandon=True)
            self._stream = None

    def _args(self, task: tuple) -> tuple:
        _, url, html = task
        body, charset = (html.encode("utf-8", "surrogatepass"), "utf-8") if isinstance(html, str) else (html, None)
        return body, url, charset, url, (), None

    def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        html = adapter.get(self.html_field)
        if html is None:
            return item
        if not isinstance(html, (str, bytes)):
            return self._finish(item, Failure(str(adapter.get(self.url_field)), "HTML field is not text or bytes",
                                              "InputError"))
        if self._stream is None:
            self.open_spider(spider)
        assert self._stream is not None
        url = adapter.get(self.url_field)
        finished: defer.Deferred = defer.Deferred()
        self._stream.submit((finished, str(url) if url else None, html))
        finished.addCallback(lambda result: self._finish(item, result))
        return finished

    def _finish(self, item: Any, result: Article | Failure) -> Any:
        adapter = ItemAdapter(item)
        if isinstance(result, Failure):
            if self.drop_failed:
                raise DropItem(f"not cleaned: {result.reason}")
            adapter[self.prefix + "failure"] = result.reason
            return item
        article = result.to_dict()
        for name in self.fields:
            adapter[self.prefix + name] = article[name]
        return item
