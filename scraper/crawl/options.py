"""How to crawl: the options of a crawl job, shared by the crawl (`scraper.crawl.job`), its command
line and the cluster split (`scraper.crawl.parts`); kept apart so they can be read and built
without the crawl's machinery.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from scraper.learn.fingerprints import TemplateOptions
from scraper.clean.cleaner import CleanOptions
from scraper.crawl.fetch import FetchOptions
from scraper.crawl.guard import PRIVATE_REFUSED
from scraper.run.pagepool import PageLimits
from scraper.crawl.robots import DISALLOWED

__all__ = ["CrawlOptions"]


@dataclass(frozen=True)
class CrawlOptions:
    """How to crawl. `delay` is the minimum time between request starts on one host (seconds;
    robots.txt's Crawl-delay wins if longer), `per_host` the requests in flight per host,
    `concurrency` the requests in flight overall, `jobs` the cleaning worker processes, and
    `page_timeout` (seconds) and `max_memory` (bytes) each page's limits there (None: none)."""

    fetch: FetchOptions = field(default_factory=FetchOptions)
    clean: CleanOptions = field(default_factory=CleanOptions)
    delay: float = 1.0
    per_host: int = 1
    concurrency: int = 16
    ignore_robots: bool = False
    retry_failed: bool = False
    save_html: str | None = None
    jobs: int = os.cpu_count() or 1
    backlog: int = 4  # fetched pages waiting per cleaning worker: keeps workers busy, memory bounded
    sync_every: float = 1.0  # seconds between making store and state durable together
    learn_templates: bool = True
    templates: TemplateOptions = field(default_factory=TemplateOptions)
    page_timeout: float | None = 30.0
    max_memory: int | None = 2 << 30

    @property
    def limits(self) -> PageLimits:
        return PageLimits(self.page_timeout, self.max_memory)

    @property
    def lifted(self) -> tuple[str, ...]:
        """Reasons of refusals by a policy these options lift (`--allow-private`,
        `--ignore-robots`): a URL refused so is tried again without `--retry-failed`."""
        return ((PRIVATE_REFUSED,) if self.fetch.allow_private else ()) \
            + ((DISALLOWED,) if self.ignore_robots else ())
