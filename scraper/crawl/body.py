"""Reading a response body safely: status and type checked from the headers, the body streamed
under its byte cap (counted after decompression), an untyped body sniffed for HTML, and an
unwanted body drained just enough to reuse the connection. `scraper.crawl.fetch` drives the requests.
"""

from __future__ import annotations

import re

import requests
import urllib3.exceptions

from scraper.clean.decode import HTML_TYPES, media_type
from scraper.errors import HTTPStatusError, SkippedError, TooLargeError, too_large
from scraper.crawl.fetch_errors import Retry, network_error, retry_after_seconds

_CHUNK = 64 * 1024
# An unwanted body (redirect, error page) is read up to this many decoded bytes so the
# connection can be reused; a longer one costs the connection instead.
_DRAIN_BYTES = 64 * 1024
_SNIFF_BYTES = 1024
# The WHATWG "text/html" sniffing signatures, matched after leading whitespace.
_HTML_SIGNATURE = re.compile(
    rb"\s*(<!--|<(!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body"
    rb"|br|p)[\s>])", re.IGNORECASE)


def looks_like_html(head: bytes) -> bool:
    """True if the first bytes of an untyped body start like an HTML document."""
    return bool(_HTML_SIGNATURE.match(head.removeprefix(b"\xef\xbb\xbf")[:_SNIFF_BYTES]))


def drain(response: requests.Response) -> None:
    """Read a small unwanted body (redirect, error page) so the connection can be reused.

    At most `_DRAIN_BYTES` are decoded, whatever the status or the encoding chain: a longer or
    broken body is left unread and `response.close()` then drops the connection instead.
    """
    read = 0
    try:
        for chunk in response.iter_content(chunk_size=_CHUNK):
            read += len(chunk)
            if read > _DRAIN_BYTES:
                return
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        pass  # the connection is simply closed instead of pooled


def read_body(response: requests.Response, cap: int, timeouts: tuple[float, float], *,
              html_only: bool, conditional: bool, truncate: bool) -> bytes:
    """Check status, type and size from the headers, then stream the body under `cap` bytes.

    `timeouts` are the (connect, read) seconds a network failure's reason names. A 429 or 5xx
    raises `Retry`; with `truncate` a larger body is cut at `cap` instead of failing.
    """
    status = response.status_code
    if status == 304 and conditional:
        return b""
    if not 200 <= status <= 299:
        drain(response)
        error = HTTPStatusError(f"HTTP {status}", status)
        if status == 429 or 500 <= status <= 599:
            raise Retry(error, retry_after_seconds(response.headers.get("retry-after")))
        raise error
    media = media_type(response.headers.get("content-type"))
    if html_only and media is not None and media not in HTML_TYPES:
        raise SkippedError(f"not HTML: {media}")
    too_big = TooLargeError(too_large("body", cap))
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > cap and not truncate:
        raise too_big
    chunks: list[bytes] = []
    total = 0
    sniffed = not (html_only and media is None)
    try:
        # Decoded bytes are counted: urllib3 (>= 2.6) inflates no more than each chunk asks
        # for, through at most five stacked encodings, so a bomb never lands in memory.
        for chunk in response.iter_content(chunk_size=_CHUNK):
            total += len(chunk)
            if total > cap:
                if not truncate:
                    raise too_big
                chunks.append(chunk[:len(chunk) - (total - cap)])
                break
            chunks.append(chunk)
            if not sniffed and total >= _SNIFF_BYTES:
                _sniff(b"".join(chunks))
                sniffed = True
    except requests.RequestException as exc:
        raise network_error(exc, *timeouts, in_body=True) from exc
    body = b"".join(chunks)
    if not sniffed:
        _sniff(body)
    return body


def _sniff(head: bytes) -> None:
    if not looks_like_html(head):
        raise SkippedError("not HTML: missing content type")
