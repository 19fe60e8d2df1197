"""robots.txt: fetched once per host:port, cached, thread-safe, parsed with Protego.

Availability rules (ours, close to common crawler practice): a robots.txt that is missing (404
and other 4xx), unreachable, timed out, refused by the address guard, or failing with 5xx after
retries means "no rules"; 401/403 mean the whole host is off limits. (RFC 9309 would treat 5xx
as "disallow all"; we follow the project's spec instead.) Redirects are followed by the fetcher.
Of a file over 512 KiB the first 512 KiB are parsed, as Google does. The Crawl-delay honoured is
capped (`FetchOptions.max_crawl_delay`), so one line of robots.txt cannot stall a host forever.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field, replace

from protego import Protego

from scraper.errors import HTTPStatusError, ScraperError, SkippedError
from scraper.crawl.fetch import Fetcher, FetchOptions
from scraper.urls import check, host_key, normalise, origin

# RFC 9309 asks crawlers to parse at least 500 KiB; what lies beyond is ignored, not the file.
ROBOTS_MAX_BYTES = 512 * 1024
DISALLOWED = "disallowed by robots.txt"  # the reason of a URL robots.txt refuses

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RobotsRules:
    """The outcome for one host: parsed rules, "no rules" (None) or everything disallowed."""

    parser: Protego | None = None
    disallow_all: bool = False
    source: str = "none"  # "robots.txt", "HTTP 403", "HTTP 404", "timeout ..."


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    rules: RobotsRules | None = None


class RobotsCache:
    """Answers "may this user agent fetch this URL?" for many threads, one fetch per host.

    Built from a `Fetcher` (its options and sleep function are reused) or from `FetchOptions`.
    The robots fetch uses `robots_timeout` as its attempt deadline (DNS, connect, headers and
    body, redirects included), the same address guard and the same retry policy as pages.
    """

    def __init__(self, source: Fetcher | FetchOptions) -> None:
        options = source.options if isinstance(source, Fetcher) else source
        sleep = source.sleep if isinstance(source, Fetcher) else time.sleep
        before_hop = source.before_hop if isinstance(source, Fetcher) else None
        self.user_agent = options.user_agent
        self.max_crawl_delay = options.max_crawl_delay
        self._fetcher = Fetcher(replace(
            options, connect_timeout=min(options.connect_timeout, options.robots_timeout),
            read_timeout=options.robots_timeout, total_timeout=options.robots_timeout,
            max_bytes=ROBOTS_MAX_BYTES), sleep=sleep, before_hop=before_hop)
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def close(self) -> None:
        """Close the robots fetcher's connections."""
        self._fetcher.close()

    def rules(self, url: str) -> RobotsRules:
        """Return the cached rules for `url`'s host, fetching robots.txt on first use."""
        key = host_key(url)
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
        # Only callers for the same host wait on each other; other hosts proceed in parallel.
        with entry.lock:
            if entry.rules is None:
                entry.rules = self._load(url)
            return entry.rules

    def allowed(self, url: str, user_agent: str | None = None) -> bool:
        """True if robots.txt lets `user_agent` (default: ours) fetch `url`."""
        rules = self.rules(url)
        if rules.disallow_all:
            return False
        if rules.parser is None:
            return True
        return rules.parser.can_fetch(check(url), user_agent or self.user_agent)

    def check(self, url: str, user_agent: str | None = None) -> None:
        """Raise `SkippedError(DISALLOWED)` unless `allowed(url)`."""
        if not self.allowed(url, user_agent):
            raise SkippedError(DISALLOWED)

    def crawl_delay(self, url_or_host_key: str, user_agent: str | None = None) -> float | None:
        """Crawl-delay in seconds for a URL's host (or a "host:port" key), if robots.txt sets one.

        A bare host key that is not cached yet is fetched over https for port 443, else http.
        """
        url = url_or_host_key
        if "://" not in url:
            scheme = "https" if url.endswith(":443") else "http"
            with self._lock:
                entry = self._entries.get(url)
            if entry is None or entry.rules is None:
                url = f"{scheme}://{url_or_host_key}/"
            else:
                    return self._delay(entry.rules, user_agent, url)
        return self._delay(self.rules(url), user_agent, host_key(url))

    def _delay(self, rules: RobotsRules, user_agent: str | None, host: str) -> float | None:
        if rules.parser is None:
            return None
        delay = rules.parser.crawl_delay(user_agent or self.user_agent)
        if delay is None or math.isnan(delay) or delay < 0:
            return None
        if delay > self.max_crawl_delay:
            log.warning("Crawl-delay %.15g s of %s capped at %.15g s",
                        delay, host, self.max_crawl_delay)
            return self.max_crawl_delay
        return float(delay)

    def _load(self, url: str) -> RobotsRules:
        canonical = normalise(url)
        robots_url = f"{origin(canonical)}/robots.txt"
        try:
            fetched = self._fetcher.fetch(robots_url, html_only=False, truncate=True)
        except HTTPStatusError as exc:
            return RobotsRules(disallow_all=exc.status in (401, 403), source=exc.reason)
        except ScraperError as exc:
            return RobotsRules(source=exc.reason)
        # RFC 9309: robots.txt is UTF-8; a stray bad byte must not void the whole file.
        body = fetched.body
        if len(body) >= ROBOTS_MAX_BYTES:
            body = body[:body.rfind(b"\n") + 1]  # a rule cut in half is not a rule
        text = body.decode("utf-8", "replace")
        return RobotsRules(parser=Protego.parse(text), source="robots.txt")
