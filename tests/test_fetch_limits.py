"""Fetch limits against hostile servers: one deadline per attempt, decoded bytes capped on
every reply of every status (redirects and errors included), stacked encodings counted."""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import replace

import pytest

from faultserver import ARTICLE_HTML, FaultServer, stacked_bomb
from scraper.errors import FetchError, HTTPStatusError, InputError, TooLargeError
from scraper.crawl.fetch import Fetcher, FetchOptions

OPTIONS = FetchOptions(allow_private=True, connect_timeout=2, read_timeout=5, total_timeout=2,
                       retries=2, backoff_base=0.01, backoff_cap=0.05, max_bytes=64 * 1024)


def fetch_error(fetcher: Fetcher, url: str, kind: type[Exception] = FetchError) -> Exception:
    with pytest.raises(kind) as info:
        fetcher.fetch(url)
    return info.value


# --- one deadline per attempt -------------------------------------------------------------

@pytest.mark.parametrize("path", ["/drip-headers", "/drip-body"])
def test_a_dripping_server_fails_at_the_attempt_deadline(fault_server: FaultServer,
                                                        path: str) -> None:
    # One byte a second never trips the 5 s read timeout: only the attempt deadline can.
    with Fetcher(OPTIONS) as fetcher:
        started = time.monotonic()
        error = fetch_error(fetcher, fault_server.url(path))
        elapsed = time.monotonic() - started
    assert error.reason == "timeout after 2 s"
    assert elapsed < 2 + 1
    assert fault_server.count(path) == 1  # not retried: the host had its chance


def test_the_deadline_covers_every_redirect_hop(fault_server: FaultServer) -> None:
    with Fetcher(OPTIONS) as fetcher:
        started = time.monotonic()
        error = fetch_error(fetcher, fault_server.url("/redirect-to?url=/drip-body"))
        elapsed = time.monotonic() - started
    assert error.reason == "timeout after 2 s"
    assert elapsed < 2 + 1


def test_politeness_waits_between_hops_do_not_count(fault_server: FaultServer) -> None:
    with Fetcher(replace(OPTIONS, total_timeout=1), before_hop=lambda: time.sleep(0.6)) \
            as fetcher:
        page = fetcher.fetch(fault_server.url("/chain?n=2"))  # 1.2 s of waits, 1 s deadline
    assert page.status == 200


def test_a_timed_out_attempt_does_not_poison_the_next_one(fault_server: FaultServer) -> None:
    with Fetcher(OPTIONS) as fetcher:
        fetch_error(fetcher, fault_server.url("/drip-body"))
        assert fetcher.fetch(fault_server.url("/article")).body == ARTICLE_HTML.encode()


# --- decoded bytes are capped on every reply ----------------------------------------------

@pytest.mark.parametrize(("status", "outcome"), [
    (302, "redirected"), (404, "HTTP 404"), (503, "HTTP 503"), (200, "body larger than 64 KB"),
])
def test_a_stacked_gzip_bomb_never_lands_in_memory(fault_server: FaultServer, status: int,
                                                   outcome: str) -> None:
    # 256 MB of HTML in gzip inside gzip, well under 1 KB on the wire.
    url = fault_server.url(f"/stacked-bomb?status={status}")
    stacked_bomb(256)  # built before memory is traced
    with Fetcher(replace(OPTIONS, total_timeout=30)) as fetcher:
        tracemalloc.start()
        try:
            try:
                got = "redirected" if fetcher.fetch(url).final_url.endswith("/article") else "?"
            except FetchError as exc:
                got = exc.reason
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert got == outcome
    assert peak < 16 * 1024 * 1024


def test_more_than_five_stacked_encodings_are_refused(fault_server: FaultServer) -> None:
    fault_server.add_page("/layers", b"<html></html>",
                          headers={"Content-Encoding": ", ".join(["gzip"] * 6)})
    with Fetcher(OPTIONS) as fetcher:
        assert fetch_error(fetcher, fault_server.url("/layers")).reason == "bad content encoding"


def test_a_small_error_body_still_keeps_the_connection(fault_server: FaultServer) -> None:
    with Fetcher(OPTIONS) as fetcher:
        fetch_error(fetcher, fault_server.url("/missing"), HTTPStatusError)
        fetcher.fetch(fault_server.url("/article"))
    assert len({record.client_port for record in fault_server.log}) == 1


def test_truncate_keeps_the_first_max_bytes(fault_server: FaultServer) -> None:
    with Fetcher(OPTIONS) as fetcher:
        page = fetcher.fetch(fault_server.url("/big?size=200000"), truncate=True)
        with pytest.raises(TooLargeError):
            fetcher.fetch(fault_server.url("/big?size=200000"))
    assert len(page.body) == 64 * 1024


def test_a_redirect_to_a_host_nothing_could_fetch_is_an_invalid_url(
        fault_server: FaultServer) -> None:
    target = "http://" + "a" * 64 + ".com/"
    with Fetcher(OPTIONS) as fetcher:
        error = fetch_error(fetcher, fault_server.url("/redirect-to?url=" + target), InputError)
    assert error.reason == "invalid URL: bad host"


def test_a_fetcher_used_again_after_close_still_keeps_its_deadlines(
        fault_server: FaultServer) -> None:
    fetcher = Fetcher(OPTIONS)
    fetcher.close()
    try:
        started = time.monotonic()
        assert fetch_error(fetcher, fault_server.url("/drip-body")).reason == "timeout after 2 s"
        assert time.monotonic() - started < 2 + 1
    finally:
        fetcher.close()


def test_credentials_basic_auth_cannot_encode_are_an_invalid_request(
        fault_server: FaultServer) -> None:
    with Fetcher(OPTIONS) as fetcher:
        error = fetch_error(fetcher, f"http://用户:密码@127.0.0.1:{fault_server.port}/")
    assert error.reason == "invalid request"
