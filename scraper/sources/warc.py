"""WARC sources (plain or gzip, files or a stream), read with fastwarc.

Only response records with an HTML Content-Type and a 2xx status are pages; request, revisit,
warcinfo, metadata and other records, and non-HTML or non-2xx responses, are skipped and counted.
A page's URL comes from WARC-Target-URI, its charset from the HTTP Content-Type, its id from
WARC-Record-ID and its fetch time from WARC-Date. A payload over the byte cap is read no further;
a record cut short (a truncated file) is that record's failure. Chunked and gzip/deflate payloads
stored as the server sent them are undone here, within the same cap.

fastwarc over warcio, measured with benchmarks/warc_readers.py on a WARC.gz of the 974 bench
pages: twice the read speed, and after a garbled record in an uncompressed WARC it goes on with
the next record where warcio swallowed the rest of the file into the bad one.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import IO

from scraper.clean.decode import HTML_TYPES, media_type
from scraper.errors import InputError, too_large
from scraper.sources.container import RecordContainer
from scraper.sources.page import HTML, Page

WARC_SUFFIXES = (".warc", ".warc.gz")


def _skip_reason(record: object) -> str | None:
    """Why a record is not a page, or None for an HTML response."""
    from fastwarc.warc import WarcRecordType
    kind = record.record_type  # type: ignore[attr-defined]
    if kind != WarcRecordType.response:
        name = str(kind).rsplit(".", 1)[-1].replace("_", "-")
        return f"WARC {name} record"
    if not record.is_http:  # type: ignore[attr-defined]
        return "WARC response without HTTP headers"
    if media_type(record.http_content_type) not in HTML_TYPES:  # type: ignore[attr-defined]
        return "WARC response not HTML"
    status = record.http_headers.status_code  # type: ignore[attr-defined]
    if status is not None and not 200 <= status < 300:
        return f"WARC response HTTP {status // 100}xx"
    return None


def _dechunk(body: bytes) -> bytes:
    """An HTTP/1.1 chunked body joined; a chunk cut short or a missing last chunk is an error."""
    parts, at = [], 0
    while True:
        end = body.find(b"\r\n", at)
        try:
            size = int(body[at:end].split(b";")[0], 16) if end >= 0 else -1
        except ValueError:
            size = -1
        if size < 0 or end + 2 + size > len(body):
            raise InputError("broken chunked HTTP payload")
        if size == 0:
            return b"".join(parts)
        parts.append(body[end + 2: end + 2 + size])
        at = end + 2 + size + 2


def undo_http_encodings(body: bytes, transfer: str | None, content: str | None, limit: int) -> bytes:
    """The payload as the page: chunking and gzip/deflate undone (some crawlers store them as
    received), inflating at most `limit` bytes, so a compression bomb stops at the cap.
    Done here rather than by fastwarc, whose iterator fails for good on a broken gzip payload."""
    if transfer and "chunked" in transfer.lower():
        body = _dechunk(body)
    coding = (content or "").strip().lower()
    if coding in ("", "identity"):
        return body
    if coding not in ("gzip", "x-gzip", "deflate"):
        raise InputError(f"HTTP Content-Encoding {coding[:40]} not supported")
    for wbits in (47, -15):  # gzip or zlib header, else raw deflate (as some servers send)
        inflater = zlib.decompressobj(wbits)
        try:
            page = inflater.decompress(body, limit + 1)
        except zlib.error:
            continue
        if len(page) > limit:
            raise InputError(too_large("WARC record", limit))
        if not inflater.eof:
            raise InputError(f"truncated {coding} HTTP payload")
        return page
    raise InputError(f"undecodable {coding} HTTP payload")


class WarcSource(RecordContainer):
    """The HTML pages of one WARC file or stream (gzip detected by fastwarc itself)."""

    def __init__(self, name: str, max_bytes: int, stream: IO[bytes] | None = None,
                 label: str | None = None) -> None:
        super().__init__(name, stream, label)
        self.max_bytes = max_bytes

    def _pages(self, raw: IO[bytes], opened: bool) -> Iterator[Page]:
        from fastwarc.warc import ArchiveIterator
        count = 0
        try:
            for record in ArchiveIterator(raw, parse_http=True):
                count += 1
                reason = _skip_reason(record)
                if reason is not None:
                    self.skipped[reason] += 1
                    continue
                yield self._page(record, count)
            if count == 0:
                yield Page(self.label, error="not a WARC file: no WARC record in it")
        except BaseException as exc:
            # fastwarc raises plain exceptions on broken streams, and a Rust panic (a
            # BaseException) on some: either ends this source with a failure, not the job.
            if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
                raise
            what = "not a WARC file" if count == 0 else "unreadable WARC"
            yield Page(f"{self.label}#{count + 1}" if count else self.label,
                       error=f"{what}: {type(exc).__name__}: {str(exc)[:120]}")

    def _page(self, record: object, count: int) -> Page:
        headers = record.headers  # type: ignore[attr-defined]
        ident = (headers.get("WARC-Record-ID") or "").strip("<> ") or None
        source = f"{self.label}#{ident or count}"
        url = headers.get("WARC-Target-URI") or None
        expected = record.content_length  # type: ignore[attr-defined]
        http_headers = record.http_headers  # type: ignore[attr-defined]
        body = record.reader.read(self.max_bytes + 1)  # type: ignore[attr-defined]
        if len(body) > self.max_bytes:
            return Page(source, url=url, id=ident, error=too_large("WARC record", self.max_bytes))
        if len(body) < expected:
            return Page(source, url=url, id=ident, error="truncated WARC record")
        try:
            body = undo_http_encodings(body, http_headers.get("Transfer-Encoding"),
                                       http_headers.get("Content-Encoding"), self.max_bytes)
        except InputError as exc:
            return Page(source, url=url, id=ident, error=exc.reason)
        http = tuple(http_headers.items())[:64]
        return Page(source, body, url=url, charset=record.http_charset, headers=http, id=ident,  # type: ignore[attr-defined]
                    fetched=headers.get("WARC-Date") or None, kind=HTML)
