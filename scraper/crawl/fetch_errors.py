"""Failure reasons of the network layer: a requests/urllib3 exception becomes a stable reason.

Reasons are short and stable because the crawl summary groups failures by them; the text before
the first ": " names the group. `Retry` marks a failure worth another attempt.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
import urllib3.exceptions

from scraper.errors import FetchError, ScraperError


class Retry(Exception):
    """A failure worth another attempt; `error` is what the caller sees if none is left."""

    def __init__(self, error: ScraperError, retry_after: float | None = None) -> None:
        super().__init__(error.reason)
        self.error = error
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta seconds or HTTP date) into seconds from `now`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def causes(exc: BaseException) -> list[BaseException]:
    """Every exception wrapped inside `exc` (args, causes, urllib3 `reason`), outermost first."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [a for a in current.args if isinstance(a, BaseException)]
        todo += [e for e in (current.__cause__, current.__context__,
                             getattr(current, "reason", None)) if isinstance(e, BaseException)]
    return seen


def network_error(exc: requests.RequestException, connect_timeout: float, read_timeout: float,
                  in_body: bool) -> ScraperError | Retry:
    """Map a requests/urllib3 failure to a stable reason; retryable ones come as `Retry`."""
    found = causes(exc)

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(c, kinds) for c in found)

    if has(ConnectionRefusedError):
        return Retry(FetchError("connection refused"))
    # urllib3's NewConnectionError subclasses ConnectTimeoutError, hence requests' own class.
    if has(requests.ConnectTimeout):
        return Retry(FetchError(f"timeout after {connect_timeout:g} s (connect)"))
    if has(requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, socket.timeout):
        return Retry(FetchError(f"timeout after {read_timeout:g} s (read)"))
    if has(ssl.SSLCertVerificationError):
        return FetchError("TLS error: certificate verify failed")
    if has(requests.exceptions.SSLError, ssl.SSLError):
        return FetchError("TLS error: handshake failed")
    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return FetchError("DNS lookup failed")
    if has(requests.exceptions.ContentDecodingError):
        return FetchError("bad content encoding")
    reset = has(ConnectionResetError, ConnectionAbortedError, BrokenPipeError)
    if in_body:
        return Retry(FetchError("connection reset while reading body" if reset
                                 else "connection closed while reading body"))
    if reset:
        return Retry(FetchError("connection reset"))
    if has(http.client.RemoteDisconnected):
        return Retry(FetchError("connection closed by server"))
    if has(requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader):
        return FetchError("invalid request")
    return Retry(FetchError("connection failed"))
