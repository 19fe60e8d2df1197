"""Fetching: success, conditional requests, retries, redirects, limits and failure reasons."""

from __future__ import annotations

import re
import socket
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from faultserver import ARTICLE_HTML, LEGACY_HTML, FaultServer
from scraper.clean.decode import decode_bytes
from scraper.errors import (FetchError, HTTPStatusError, InputError, SecurityError,
                            SkippedError, TooLargeError, too_large)
from scraper.crawl.fetch import (DEFAULT_USER_AGENT, Fetched, Fetcher, FetchOptions, format_size,
                           retry_after_seconds)

OPTIONS = FetchOptions(allow_private=True, connect_timeout=2, read_timeout=2, retries=2,
                       backoff_base=0.01, backoff_cap=0.05, max_bytes=64 * 1024)


class Sleeps(list[float]):
    """Records the backoff waits instead of sleeping, so retry tests stay fast."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def fetcher(sleeps: Sleeps):
    with Fetcher(OPTIONS, sleep=sleeps) as fetcher:
        yield fetcher


def fetch_error(fetcher: Fetcher, url: str, kind: type[Exception] = FetchError) -> Exception:
    with pytest.raises(kind) as info:
        fetcher.fetch(url)
    return info.value


# --- success ------------------------------------------------------------------------------

def test_fetches_an_html_page(fetcher: Fetcher, fault_server: FaultServer) -> None:
    url = fault_server.url("/article")
    page = fetcher.fetch(url)
    assert isinstance(page, Fetched)
    assert (page.url, page.final_url, page.status, page.attempts) == (url, url, 200, 1)
    assert page.body == ARTICLE_HTML.encode("utf-8")
    assert (page.content_type, page.http_charset) == ("text/html", "utf-8")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert all(key == key.lower() for key in page.headers)
    assert page.etag and page.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", page.fetched_at)
    assert page.elapsed_s >= 0


def test_sends_the_project_user_agent(fetcher: Fetcher, fault_server: FaultServer) -> None:
    fetcher.fetch(fault_server.url("/"))
    agent = fault_server.log[0].headers["user-agent"]
    assert agent == DEFAULT_USER_AGENT
    assert re.fullmatch(r"scraper/\S+ \(\+https://github.com/scraper-dev/scraper\)", agent)


def test_conditional_requests_return_304_without_body(fetcher: Fetcher,
                                                      fault_server: FaultServer) -> None:
    first = fetcher.fetch(fault_server.url("/article"))
    by_etag = fetcher.fetch(fault_server.url("/article"), etag=first.etag)
    by_date = fetcher.fetch(fault_server.url("/article"), last_modified=first.last_modified)
    assert (by_etag.status, by_etag.body) == (304, b"")
    assert (by_date.status, by_date.body) == (304, b"")
    assert fault_server.log[1].headers["if-none-match"] == first.etag
    changed = fetcher.fetch(fault_server.url("/article"), etag='"stale"')
    assert changed.status == 200 and changed.body


def test_gzip_is_decoded(fetcher: Fetcher, fault_server: FaultServer) -> None:
    page = fetcher.fetch(fault_server.url("/gzip"))
    assert page.headers["content-encoding"] == "gzip"
    assert page.body == ARTICLE_HTML.encode("utf-8")
    assert "gzip" in fault_server.log[0].headers["accept-encoding"]


def test_legacy_page_keeps_its_bytes_and_has_no_http_charset(fetcher: Fetcher,
                                                             fault_server: FaultServer) -> None:
    page = fetcher.fetch(fault_server.url("/legacy"))
    assert page.body == LEGACY_HTML.encode("cp1252")
    assert (page.content_type, page.http_charset) == ("text/html", None)
    text, _ = decode_bytes(page.body, page.http_charset)
    assert "\u201cWe never thought we\u2019d see queues again,\u201d" in text


def test_http_charset_is_taken_from_the_content_type(fetcher: Fetcher,
                                                     fault_server: FaultServer) -> None:
    fault_server.add_page("/latin", "<p>x</p>", content_type="text/html; charset=ISO-8859-1")
    assert fetcher.fetch(fault_server.url("/latin")).http_charset == "ISO-8859-1"


def test_xhtml_and_untyped_html_are_accepted(fetcher: Fetcher, fault_server: FaultServer) -> None:
    fault_server.add_page("/x", ARTICLE_HTML, content_type="application/xhtml+xml")
    fault_server.add_page("/untyped", "\n  <!doctype html><html><p>hi</p></html>",
                          content_type=None)
    assert fetcher.fetch(fault_server.url("/x")).content_type == "application/xhtml+xml"
    untyped = fetcher.fetch(fault_server.url("/untyped"))
    assert (untyped.content_type, untyped.http_charset) == (None, None)


def test_any_type_is_accepted_when_not_html_only(fetcher: Fetcher,
                                                 fault_server: FaultServer) -> None:
    robots = fetcher.fetch(fault_server.url("/robots.txt"), html_only=False)
    assert robots.content_type == "text/plain" and b"Disallow: /private" in robots.body


def test_each_thread_keeps_its_own_pooled_connection(fetcher: Fetcher,
                                                     fault_server: FaultServer) -> None:
    fetcher.fetch(fault_server.url("/"))
    fetcher.fetch(fault_server.url("/article"))
    worker = threading.Thread(target=fetcher.fetch, args=(fault_server.url("/"),))
    worker.start()
    worker.join()
    ports = [record.client_port for record in fault_server.log]
    assert ports[0] == ports[1] != ports[2]


# --- retries ------------------------------------------------------------------------------

def test_5xx_is_retried_with_jittered_backoff(fetcher: Fetcher, fault_server: FaultServer,
                                              sleeps: Sleeps) -> None:
    page = fetcher.fetch(fault_server.url("/flaky"))
    assert (page.status, page.attempts) == (200, 2)
    assert fault_server.count("/flaky") == 2
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= OPTIONS.backoff_base


def test_persistent_5xx_gives_up_after_the_retries(fetcher: Fetcher, fault_server: FaultServer,
                                                   sleeps: Sleeps) -> None:
    error = fetch_error(fetcher, fault_server.url("/flaky?fail=9"), HTTPStatusError)
    assert (error.reason, error.status) == ("HTTP 503", 503)
    assert fault_server.count("/flaky") == 1 + OPTIONS.retries
    assert len(sleeps) == OPTIONS.retries


def test_backoff_doubles_up_to_the_cap(fault_server: FaultServer, sleeps: Sleeps) -> None:
    options = replace(OPTIONS, retries=5, backoff_base=1.0, backoff_cap=4.0)
    with Fetcher(options, sleep=sleeps) as fetcher:
        fetch_error(fetcher, fault_server.url("/flaky?fail=9"), HTTPStatusError)
    assert len(sleeps) == 5
    for attempt, waited in enumerate(sleeps, start=1):
        assert 0 <= waited <= min(4.0, 2 ** (attempt - 1))


def test_429_honours_retry_after(fetcher: Fetcher, fault_server: FaultServer,
                                 sleeps: Sleeps) -> None:
    page = fetcher.fetch(fault_server.url("/ratelimited"))
    assert (page.status, page.attempts) == (200, 2)
    assert sleeps == [1.0]


def test_retry_after_is_capped(fault_server: FaultServer, sleeps: Sleeps) -> None:
    with Fetcher(replace(OPTIONS, retry_after_cap=3.0), sleep=sleeps) as fetcher:
        fetcher.fetch(fault_server.url("/ratelimited?after=3600"))
    assert sleeps == [3.0]


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True),
                               now) == 30.0
    assert retry_after_seconds("Sat, 01 Mar 2025 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_timeout_is_retried_then_reported(fault_server: FaultServer, sleeps: Sleeps) -> None:
    options = replace(OPTIONS, read_timeout=0.3, retries=1)
    with Fetcher(options, sleep=sleeps) as fetcher:
        error = fetch_error(fetcher, fault_server.url("/slow"))
    assert error.reason == "timeout after 0.3 s (read)"
    assert fault_server.count("/slow") == 2


def test_connection_reset_mid_body(fetcher: Fetcher, fault_server: FaultServer) -> None:
    error = fetch_error(fetcher, fault_server.url("/reset"))
    assert error.reason == "connection reset while reading body"
    assert fault_server.count("/reset") == 1 + OPTIONS.retries


def test_connection_closed_mid_body(fetcher: Fetcher, fault_server: FaultServer) -> None:
    error = fetch_error(fetcher, fault_server.url("/truncated"))
    assert error.reason == "connection closed while reading body"


def test_connection_refused(fetcher: Fetcher, sleeps: Sleeps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens on it once closed
    error = fetch_error(fetcher, f"http://127.0.0.1:{port}/")
    assert error.reason == "connection refused"
    assert len(sleeps) == OPTIONS.retries


# --- redirects ----------------------------------------------------------------------------

def test_redirects_are_followed(fetcher: Fetcher, fault_server: FaultServer) -> None:
    page = fetcher.fetch(fault_server.url("/chain?n=5"))
    assert page.final_url == fault_server.url("/chain?n=0")
    assert page.url == fault_server.url("/chain?n=5")
    absolute = fetcher.fetch(fault_server.url("/redirect-to?status=301&url=" +
                                              fault_server.url("/article")))
    assert absolute.final_url == fault_server.url("/article")


def test_redirect_hops_and_error_pages_keep_the_connection(fetcher: Fetcher,
                                                           fault_server: FaultServer) -> None:
    fetcher.fetch(fault_server.url("/chain?n=3"))
    fetch_error(fetcher, fault_server.url("/missing"), HTTPStatusError)
    fetcher.fetch(fault_server.url("/article"))
    assert len({record.client_port for record in fault_server.log}) == 1


def test_too_many_redirects(fetcher: Fetcher, fault_server: FaultServer, sleeps: Sleeps) -> None:
    error = fetch_error(fetcher, fault_server.url("/chain?n=6"))
    assert error.reason == "too many redirects (>5)"
    assert sleeps == []


def test_redirect_loop(fetcher: Fetcher, fault_server: FaultServer) -> None:
    error = fetch_error(fetcher, fault_server.url("/loop"))
    assert error.reason == f"redirect loop: {fault_server.url('/loop')}"
    assert fault_server.count("/loop") == 1


# --- limits and content types -------------------------------------------------------------

def test_oversized_streamed_body_stops_early(fetcher: Fetcher, fault_server: FaultServer) -> None:
    error = fetch_error(fetcher, fault_server.url("/big"), TooLargeError)
    assert error.reason == "body larger than 64 KB"
    fault_server.wait_idle()
    assert fault_server.aborted == ["/big"]  # the 32 MB body was never sent whole


def test_declared_oversized_body_is_refused_from_its_headers(fetcher: Fetcher,
                                                             fault_server: FaultServer) -> None:
    error = fetch_error(fetcher, fault_server.url("/big?declare=1"), TooLargeError)
    assert error.reason == "body larger than 64 KB"


def test_gzip_bomb_is_capped_on_decoded_bytes(fetcher: Fetcher,
                                              fault_server: FaultServer) -> None:
    error = fetch_error(fetcher, fault_server.url("/bomb"), TooLargeError)
    assert error.reason == "body larger than 64 KB"


def test_default_cap_reason() -> None:
    assert FetchOptions().max_bytes == 10 * 1024 * 1024
    assert format_size(FetchOptions().max_bytes) == "10 MB"
    assert format_size(1000) == "1000 bytes"


def test_every_size_reason_words_a_byte_count_the_same_way() -> None:
    # One formatter for fetch, clean, batch, source and mailbox reasons.
    assert [format_size(n) for n in (64 * 1024, 100_000, 2 << 30)] == ["64 KB", "97.66 KB", "2 GB"]
    assert too_large("page", 10 << 20) == "page larger than 10 MB"


def test_non_html_is_skipped_without_reading_the_body(fault_server: FaultServer) -> None:
    # The server holds the PDF body back: reading it would end in a read timeout instead.
    with Fetcher(replace(OPTIONS, read_timeout=0.5, retries=0)) as fetcher:
        error = fetch_error(fetcher, fault_server.url("/pdf?stall=1"), SkippedError)
    assert error.reason == "not HTML: application/pdf"


def test_untyped_non_html_is_skipped(fetcher: Fetcher, fault_server: FaultServer) -> None:
    fault_server.add_page("/blob", b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000, content_type=None)
    error = fetch_error(fetcher, fault_server.url("/blob"), SkippedError)
    assert error.reason == "not HTML: missing content type"


def test_404_is_an_http_status_error_and_not_retried(fetcher: Fetcher,
                                                     fault_server: FaultServer) -> None:
    error = fetch_error(fetcher, fault_server.url("/missing"), HTTPStatusError)
    assert (error.reason, error.status) == ("HTTP 404", 404)
    assert fault_server.count("/missing") == 1


def test_unsolicited_304_is_an_error(fetcher: Fetcher, fault_server: FaultServer) -> None:
    fault_server.add_page("/odd", b"", status=304)
    assert fetch_error(fetcher, fault_server.url("/odd"), HTTPStatusError).reason == "HTTP 304"


@pytest.mark.parametrize(("url", "kind", "reason"), [
    ("not a url", InputError, "invalid URL: whitespace or control character"),
    ("http://", InputError, "invalid URL: no host"),
    ("ftp://example.com/file.html", SecurityError, "unsupported scheme: ftp"),
])
def test_bad_urls_fail_before_any_network(fetcher: Fetcher, url: str, kind: type[Exception],
                                          reason: str) -> None:
    assert fetch_error(fetcher, url, kind).reason == reason
