"""WARC files for tests, written with warcio's writer: every record type a crawl leaves."""

from __future__ import annotations

import io
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def response(writer: WARCWriter, url: str, body: bytes, content_type: str = "text/html; charset=utf-8",
             status: str = "200 OK", date: str | None = None):
    headers = StatusAndHeaders(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                               protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": date} if date else None
    return writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body),
                                     http_headers=headers, warc_headers_dict=warc_headers)


def every_kind(writer: WARCWriter, html: bytes, url: str = "https://news.example.com/local/harbour-wall") -> list:
    """One record of each type, the HTML response among them, in a crawler's order."""
    request = StatusAndHeaders("GET /local/harbour-wall HTTP/1.1", [("Host", "news.example.com")],
                               protocol="HTTP/1.1", is_http_request=True)
    meta = b"fetchTimeMs: 120\n"
    image = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    return [
        writer.create_warcinfo_record("test.warc.gz", {"software": "tests"}),
        writer.create_warc_record(url, "request", http_headers=request),
        response(writer, url, html, date="2025-03-04T05:06:07Z"),
        writer.create_warc_record(url, "metadata", payload=io.BytesIO(meta), length=len(meta),
                                  warc_content_type="application/warc-fields"),
        response(writer, "https://news.example.com/logo.png", image, content_type="image/png"),
        response(writer, "https://news.example.com/gone", b"<html><p>Not found</p></html>", status="404 Not Found"),
        writer.create_revisit_record(url, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                     refers_to_uri=url, refers_to_date="2025-01-01T00:00:00Z"),
        writer.create_warc_record("https://news.example.com/robots.txt", "resource",
                                  payload=io.BytesIO(b"User-agent: *\n"), length=14,
                                  warc_content_type="text/plain"),
    ]


def write_warc(path: Path, records: list | None = None, html: bytes = b"", gzip: bool = True) -> Path:
    """A WARC file of `records` (built by a function given the writer), or of every kind of record."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        for record in (records(writer) if callable(records) else every_kind(writer, html)):
            writer.write_record(record)
    return path
