"""The command line and the library share their defaults: the same job run either way behaves alike."""

from __future__ import annotations

from scraper.cli import _size, cli
from scraper.crawl.job import CrawlOptions
from scraper.crawl.fetch import FetchOptions
from scraper.run.batch import BatchOptions


def defaults(command: str) -> dict[str, object]:
    return {p.name: p.default for p in cli.commands[command].params}


def test_clean_defaults_are_the_librarys() -> None:
    flags, batch = defaults("clean"), BatchOptions()
    assert flags["jobs"] == batch.jobs
    assert flags["page_timeout"] == batch.page_timeout
    assert _size(flags["max_memory"]) == batch.max_memory
    assert _size(flags["max_bytes"]) == batch.clean.max_bytes


def test_crawl_defaults_are_the_librarys() -> None:
    flags, crawl, fetch = defaults("crawl"), CrawlOptions(), FetchOptions()
    assert flags["timeout"] == fetch.connect_timeout == fetch.read_timeout == fetch.total_timeout
    assert flags["robots_timeout"] == fetch.robots_timeout
    assert flags["max_crawl_delay"] == fetch.max_crawl_delay
    assert flags["max_retry_after"] == fetch.retry_after_cap
    assert flags["retries"] == fetch.retries and flags["max_redirects"] == fetch.max_redirects
    assert _size(flags["max_bytes"]) == fetch.max_bytes
    assert flags["user_agent"] == fetch.user_agent
    assert (flags["delay"], flags["per_host"], flags["concurrency"], flags["jobs"]) == \
        (crawl.delay, crawl.per_host, crawl.concurrency, crawl.jobs)
    assert flags["page_timeout"] == crawl.page_timeout and _size(flags["max_memory"]) == crawl.max_memory
