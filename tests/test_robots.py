"""robots.txt: rules, crawl delay, availability rules, one fetch per host, same address guard."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

import pytest

from faultserver import FaultServer
from scraper.errors import SkippedError
from scraper.crawl.fetch import Fetcher, FetchOptions
from scraper.crawl.robots import ROBOTS_MAX_BYTES, RobotsCache

OPTIONS = FetchOptions(allow_private=True, connect_timeout=2, read_timeout=2, retries=1,
                       backoff_base=0.01, backoff_cap=0.02, robots_timeout=2)


@pytest.fixture
def robots():
    cache = RobotsCache(OPTIONS)
    yield cache
    cache.close()


def test_disallow_and_crawl_delay(robots: RobotsCache, fault_server: FaultServer) -> None:
    assert robots.allowed(fault_server.url("/article"))
    assert not robots.allowed(fault_server.url("/private/page"))
    assert not robots.allowed(fault_server.url("/private"))
    assert robots.crawl_delay(fault_server.url("/")) == 2.0
    with pytest.raises(SkippedError) as info:
        robots.check(fault_server.url("/private/page"))
    assert info.value.reason == "disallowed by robots.txt"


def test_rules_for_our_user_agent(robots: RobotsCache, fault_server: FaultServer) -> None:
    fault_server.robots_txt = ("User-agent: scraper\nDisallow: /article\nCrawl-delay: 5\n\n"
                               "User-agent: *\nDisallow: /\n")
    assert not robots.allowed(fault_server.url("/article"))
    assert robots.allowed(fault_server.url("/other"))
    assert robots.crawl_delay(fault_server.url("/")) == 5.0
    assert not robots.allowed(fault_server.url("/other"), user_agent="SomeOtherBot/1.0")


def test_fetched_once_per_host_even_from_many_threads(robots: RobotsCache,
                                                      fault_server: FaultServer) -> None:
    fault_server.latency = 0.1  # keep the first fetch in flight while the others arrive
    threads = [threading.Thread(target=robots.allowed, args=(fault_server.url(f"/p{i}"),))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    robots.allowed(fault_server.url("/again"))
    assert fault_server.count("/robots.txt") == 1


def test_hosts_are_keyed_by_port(robots: RobotsCache) -> None:
    with FaultServer() as open_site, FaultServer(robots_txt="User-agent: *\nDisallow: /\n") \
            as closed_site:
        assert robots.allowed(open_site.url("/article"))
        assert not robots.allowed(closed_site.url("/article"))


def test_crawl_delay_by_host_key(robots: RobotsCache, fault_server: FaultServer) -> None:
    key = f"127.0.0.1:{fault_server.port}"
    assert robots.crawl_delay(key) == 2.0
    fault_server.robots_txt = "User-agent: *\nDisallow:\n"
    assert robots.crawl_delay(fault_server.url("/")) == 2.0  # cached, not fetched again
    assert fault_server.count("/robots.txt") == 1


@pytest.mark.parametrize(("status", "allowed"), [
    (404, True), (410, True), (500, True), (503, True), (401, False), (403, False),
])
def test_status_rules(robots: RobotsCache, fault_server: FaultServer, status: int,
                      allowed: bool) -> None:
    fault_server.robots_status = status
    assert robots.allowed(fault_server.url("/article")) is allowed
    assert robots.crawl_delay(fault_server.url("/")) is None


def test_5xx_is_retried_before_giving_up(robots: RobotsCache, fault_server: FaultServer) -> None:
    fault_server.robots_status = 503
    robots.allowed(fault_server.url("/article"))
    assert fault_server.count("/robots.txt") == 1 + OPTIONS.retries


def test_missing_robots_allows_everything(robots: RobotsCache) -> None:
    with FaultServer(robots_txt=None) as site:
        assert robots.allowed(site.url("/private/page"))
        assert robots.rules(site.url("/")).source == "HTTP 404"


def test_unreachable_robots_allows(robots: RobotsCache, fault_server: FaultServer) -> None:
    fault_server.latency = 1.0
    cache = RobotsCache(replace(OPTIONS, robots_timeout=0.2, retries=0))
    try:
        assert cache.allowed(fault_server.url("/private/page"))
        assert cache.rules(fault_server.url("/")).source == "timeout after 0.2 s"
    finally:
        cache.close()


def test_redirected_robots_is_followed(robots: RobotsCache, fault_server: FaultServer) -> None:
    fault_server.robots_txt = None
    fault_server.add_page("/robots.txt", "", status=301,
                          headers={"Location": "/real-robots.txt"})
    fault_server.add_page("/real-robots.txt", "User-agent: *\nDisallow: /article\n",
                          content_type="text/plain")
    assert not robots.allowed(fault_server.url("/article"))


def test_robots_fetch_goes_through_the_address_guard(fault_server: FaultServer) -> None:
    cache = RobotsCache(Fetcher(FetchOptions()))
    try:
        assert cache.allowed(fault_server.url("/private/page"))
        assert cache.rules(fault_server.url("/")).source.startswith("private address refused")
    finally:
        cache.close()
    assert fault_server.log == []


# --- limits: time, size, crawl delay ------------------------------------------------------

def test_a_dripping_robots_txt_is_given_up_at_its_own_deadline(fault_server: FaultServer) -> None:
    fault_server.add_page("/robots.txt", "", status=302, headers={"Location": "/drip-body"})
    cache = RobotsCache(replace(OPTIONS, robots_timeout=1, read_timeout=5))
    try:
        started = time.monotonic()
        assert cache.allowed(fault_server.url("/private/page"))  # no rules: allowed
        elapsed = time.monotonic() - started
        assert cache.rules(fault_server.url("/")).source == "timeout after 1 s"
    finally:
        cache.close()
    assert elapsed < 2
    assert fault_server.count("/drip-body") == 1  # a whole-attempt timeout is not retried


def test_an_oversized_robots_txt_is_parsed_up_to_512_kib(robots: RobotsCache,
                                                       fault_server: FaultServer) -> None:
    comments = "# " + "padding " * 99 + "\n"
    fault_server.robots_txt = ("User-agent: *\nDisallow: /\n" + comments * (1024 * 1024 // 700)
                               + "User-agent: *\nAllow: /\n")
    assert len(fault_server.robots_txt) > 1024 * 1024
    assert not robots.allowed(fault_server.url("/article"))
    assert robots.rules(fault_server.url("/")).source == "robots.txt"


def test_a_rule_cut_at_the_limit_is_dropped(robots: RobotsCache,
                                           fault_server: FaultServer) -> None:
    head = "User-agent: *\nDisallow: /private\n"
    filler = "#" * (ROBOTS_MAX_BYTES - len(head) - len("Disallow: /ar")) + "\n"
    fault_server.robots_txt = head + filler + "Disallow: /article-and-more\n"
    assert robots.allowed(fault_server.url("/article"))  # not "Disallow: /ar"
    assert not robots.allowed(fault_server.url("/private/page"))


def test_crawl_delay_is_capped_and_the_cap_is_logged(fault_server: FaultServer,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    fault_server.robots_txt = "User-agent: *\nCrawl-delay: 100000000\n"
    cache = RobotsCache(OPTIONS)
    try:
        with caplog.at_level(logging.INFO, logger="scraper.crawl.robots"):
            assert cache.crawl_delay(fault_server.url("/")) == 60.0
    finally:
        cache.close()
    assert f"Crawl-delay 100000000 s of 127.0.0.1:{fault_server.port} capped at 60 s" \
        in caplog.text


def test_the_crawl_delay_cap_is_an_option(fault_server: FaultServer) -> None:
    fault_server.robots_txt = "User-agent: *\nCrawl-delay: 90\n"
    cache = RobotsCache(replace(OPTIONS, max_crawl_delay=120))
    try:
        assert cache.crawl_delay(fault_server.url("/")) == 90.0
    finally:
        cache.close()
