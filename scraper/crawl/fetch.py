"""Fetch one page safely: address guard, deadline, retries, manual redirects, size cap, HTML only.

Failure reasons are short and stable because the crawl summary groups failures by reason. The
convention: the text before the first ": " names the group ("HTTP 404", "timeout after 30 s"
(the whole attempt), "timeout after 10 s (connect)", "connection refused", "connection reset
while reading body", "redirect loop: <url>", "too many redirects (>5)", "not HTML:
application/pdf", "body larger than 10 MB", "private address refused: 10.0.0.1 (...)", "DNS
lookup failed", "TLS error: <what>"); `scraper.crawl.fetch_errors` maps network failures to them.
The body itself (status, type, byte cap, sniffing) is read by `scraper.crawl.body`.
"""

from __future__ import annotations

import importlib.metadata
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

import requests
import urllib3.exceptions
from requests.utils import requote_uri

from scraper.crawl.deadline import Deadline, Watchdog
from scraper.clean.decode import HTML_TYPES, charset_from_content_type, media_type
from scraper.errors import FetchError, format_size
from scraper.crawl.body import drain, looks_like_html, read_body
from scraper.crawl.fetch_errors import Retry, network_error, retry_after_seconds
from scraper.crawl.guard import AddressPolicy, GuardedAdapter
from scraper.urls import check

__all__ = ["DEFAULT_USER_AGENT", "HTML_TYPES", "REDIRECT_STATUSES", "FetchOptions", "Fetched", "Fetcher",
           "format_size", "looks_like_html", "retry_after_seconds"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def _version() -> str:
    try:
        return importlib.metadata.version("scraper")
    except importlib.metadata.PackageNotFoundError:
        return "0.1.0"


DEFAULT_USER_AGENT = f"scraper/{_version()} (+https://github.com/scraper-dev/scraper)"


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch: identity, timeouts (seconds), retry policy, limits and address policy.

    `total_timeout` bounds one attempt (DNS, connect, headers, body, every redirect hop) so a
    server dripping one byte per read-timeout cannot hold a worker; backoff and politeness
    waits do not count. `connect_timeout` and `read_timeout` bound each connect and each read
    within it. `retry_after_cap` caps the wait a Retry-After header asks for. `max_bytes` caps
    a body after decompression. `robots_timeout` is the `total_timeout` of robots.txt fetches;
    `max_crawl_delay` caps the robots.txt Crawl-delay honoured. `allowed_endpoints` exempts
    exact `(ip, port)` pairs from the private-address rule (tests, local mirrors).
    """

    user_agent: str = DEFAULT_USER_AGENT
    # The CLI's `--timeout 30` sets all three: one default for library and command line.
    connect_timeout: float = 30.0
    read_timeout: float = 30.0
    total_timeout: float = 30.0
    retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0
    max_redirects: int = 5
    max_bytes: int = 10 * 1024 * 1024
    allow_private: bool = False
    allowed_endpoints: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    robots_timeout: float = 10.0
    max_crawl_delay: float = 60.0

    @property
    def policy(self) -> AddressPolicy:
        """The address policy these options describe."""
        return AddressPolicy(self.allow_private, self.allowed_endpoints)


@dataclass(frozen=True)
class Fetched:
    """A successful response (2xx, or 304 for a conditional request) with its raw body.

    `content_type` is the lower-cased media type without parameters; `http_charset` is the
    Content-Type charset label, for `scraper.clean.decode.decode_bytes`. `elapsed_s` covers the whole
    call, retries and waits included; `attempts` counts tries (1 = no retry).
    """

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    content_type: str | None
    http_charset: str | None
    body: bytes
    fetched_at: str
    elapsed_s: float
    attempts: int
    etag: str | None
    last_modified: str | None


class _Session(requests.Session):
    """A session that never follows redirects itself: requests would read a redirect's whole
    body, uncapped, just to learn where it leads, even with `allow_redirects=False`."""

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None


class Fetcher:
    """Fetches URLs with one pooled `requests.Session` per worker thread; see `fetch`.

    `sleep` is how backoff waits are taken; tests pass a recorder to stay fast. `before_hop` is
    called before each redirect is followed: a crawl waits its per-host delay there, so a redirect
    chain is spaced like any other requests.
    """

    def __init__(self, options: FetchOptions | None = None, *,
                 sleep: Callable[[float], None] = time.sleep,
                 before_hop: Callable[[], None] | None = None) -> None:
        self.options = options or FetchOptions()
        self.sleep = sleep
        self.before_hop = before_hop
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._watchdog = Watchdog()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's session and its pooled connections."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._watchdog.close()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = _Session()
            session.trust_env = False  # an environment proxy would bypass the address guard
            adapter = GuardedAdapter(self.options.policy, self._watchdog, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers.update({
                "User-Agent": self.options.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
            })
            with self._lock:
                self._sessions.append(session)
            self._local.session = session
        return session

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None,
              *, html_only: bool = True, truncate: bool = False) -> Fetched:
        """Fetch `url` and return its body, or raise a `ScraperError` with a stable reason.

        With `etag`/`last_modified` the request is conditional and an unchanged page comes back
        as status 304 with an empty body. `html_only=False` accepts any content type (robots).
        `truncate=True` returns the first `max_bytes` of a larger body instead of failing.
        """
        started = time.monotonic()
        url = check(url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    final_url, response, body = self._attempt(url, headers, html_only, truncate)
                    break
                except Retry as retry:
                    if attempt > self.options.retries:
                        raise retry.error from retry.__cause__
                    self.sleep(self._delay(attempt, retry.retry_after))
        except BaseException as exc:
            exc.fetch_attempts = attempt  # type: ignore[attr-defined]  (see `attempts_of`)
            raise
        lowered = {k.lower(): v for k, v in response.headers.items()}
        content_type = lowered.get("content-type")
        return Fetched(
            url=url, final_url=final_url, status=response.status_code, headers=lowered,
            content_type=media_type(content_type),
            http_charset=charset_from_content_type(content_type), body=body,
            fetched_at=datetime.now(UTC).isoformat(timespec="seconds")
            .replace("+00:00", "Z"),
            elapsed_s=round(time.monotonic() - started, 3), attempts=attempt,
            etag=lowered.get("etag"), last_modified=lowered.get("last-modified"))

    @staticmethod
    def attempts_of(error: BaseException) -> int:
        """How many requests the `fetch` that raised `error` made: failures count their tries
        here as `Fetched.attempts` counts them for a page, so a crawl has one count (1 when the
        error came from elsewhere)."""
        return max(1, getattr(error, "fetch_attempts", 1))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Honour Retry-After (capped), else exponential backoff with full jitter."""
        o = self.options
        if retry_after is not None:
            return min(retry_after, o.retry_after_cap)
        return random.uniform(0, min(o.backoff_cap, o.backoff_base * 2 ** (attempt - 1)))

    def _attempt(self, url: str, headers: Mapping[str, str], html_only: bool,
                 truncate: bool) -> tuple[str, requests.Response, bytes]:
        """One try under one deadline; its expiry wins over whatever error it caused."""
        with self._watchdog.arm(self.options.total_timeout) as deadline:
            try:
                result = self._follow(url, headers, html_only, truncate, deadline)
            except Exception as exc:
                if deadline.expired:
                    raise self._timeout() from exc
                raise
            if deadline.fired:  # a read-until-close body looks complete once shut down
                raise self._timeout()
            return result

    def _timeout(self) -> FetchError:
        # Not retried: a server that cannot answer within the attempt's time is not asked again.
        return FetchError(f"timeout after {self.options.total_timeout:g} s")

    def _follow(self, url: str, headers: Mapping[str, str], html_only: bool, truncate: bool,
                deadline: Deadline) -> tuple[str, requests.Response, bytes]:
        """Follow redirects by hand, checking every hop, then read the final body."""
        o = self.options
        current, seen, hops = url, {url}, 0
        while True:
            response = self._get(current, headers, deadline)
            try:
                location = response.headers.get("location")
                if response.status_code not in REDIRECT_STATUSES or not location:
                    body = read_body(response, o.max_bytes, (o.connect_timeout, o.read_timeout),
                                     html_only=html_only, conditional=bool(headers), truncate=truncate)
                    return current, response, body
                drain(response)
                target = check(urljoin(current, requote_uri(location.strip())))
                if target in seen:
                    raise FetchError(f"redirect loop: {target}")
                hops += 1
                if hops > o.max_redirects:
                    raise FetchError(f"too many redirects (>{o.max_redirects})")
                seen.add(target)
                current = target
            finally:
                response.close()
            if self.before_hop is not None:
                with deadline.paused():  # the politeness wait is not the server's time
                    self.before_hop()

    def _get(self, url: str, headers: Mapping[str, str],
             deadline: Deadline) -> requests.Response:
        o = self.options
        try:
            return self._session().get(
                url, headers=dict(headers), stream=True, allow_redirects=False,
                timeout=(max(0.001, min(o.connect_timeout, deadline.remaining())),
                         o.read_timeout))
        except requests.RequestException as exc:
            raise network_error(exc, o.connect_timeout, o.read_timeout, in_body=False) from exc
        except (urllib3.exceptions.LocationParseError, UnicodeError, ValueError) as exc:
            # e.g. user:password in the URL that HTTP basic auth cannot encode (latin-1)
            raise FetchError("invalid request") from exc
