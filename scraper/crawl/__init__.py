"""Crawling URL lists politely and resumably: fetching with limits and guards, robots, per-host
scheduling, state, and recording results.
"""

from scraper.crawl.job import Crawl, crawl
from scraper.crawl.options import CrawlOptions

__all__ = ["Crawl", "CrawlOptions", "crawl"]
