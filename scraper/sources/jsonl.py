"""JSON Lines sources: one page per line, plain, gzip or zstandard, from a file or a stream.

Every line is read under the byte cap without holding a longer one whole: a line over the cap,
a line that is not a JSON object, not UTF-8, or without the HTML field is that record's failure.
A stream that breaks off (a truncated gzip) ends the source with one failure saying so.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from scraper.errors import too_large
from scraper.sources.container import RecordContainer
from scraper.sources.page import HTML, Page

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson", ".ndjson.gz", ".ndjson.zst")
_CHUNK = 1 << 16


@dataclass(frozen=True)
class RecordOptions:
    """Where a record keeps its page, URL and id (JSONL and Parquet), and the byte cap."""

    html_field: str = "html"
    url_field: str = "url"
    id_field: str = "id"
    max_bytes: int = 10 * 1024 * 1024


def open_compressed(raw: IO[bytes], name: str) -> IO[bytes]:
    """`raw` decompressed by its name's suffix (.gz, .zst), buffered for line reads."""
    lower = name.lower()
    if lower.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if lower.endswith(".zst"):
        import zstandard
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True))  # type: ignore[arg-type]
    return raw


def bounded_lines(stream: IO[bytes], limit: int) -> Iterator[bytes | None]:
    """Lines of at most `limit` bytes (newline excluded); None for a longer line, whose bytes are
    read in chunks and dropped."""
    while True:
        line = stream.readline(limit + 2)
        if not line:
            return
        if line.endswith(b"\n") or len(line) <= limit:
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = stream.readline(_CHUNK)
        yield None


def record_page(record: Any, source: str, options: RecordOptions) -> Page:
    """One decoded record as a Page: its HTML field, URL and id; its other fields pass through."""
    if not isinstance(record, dict):
        return Page(source, error="record is not a JSON object")
    html = record.get(options.html_field)
    url = record.get(options.url_field)
    url = url if isinstance(url, str) and url else None
    if html is None:
        return Page(source, url=url, error=f"no {options.html_field!r} field")
    if not isinstance(html, (str, bytes)):
        return Page(source, url=url, error=f"{options.html_field!r} field is not a string")
    if len(html) > options.max_bytes:
        return Page(source, url=url, error=too_large("page", options.max_bytes))
    ident = record.get(options.id_field)
    ident = str(ident) if isinstance(ident, (str, int)) and not isinstance(ident, bool) and str(ident) else None
    consumed = {options.html_field, options.url_field, options.id_field}
    fields = {k: v for k, v in record.items() if k not in consumed}
    kind = HTML if isinstance(html, str) and html.lstrip()[:1] == "<" else None
    return Page(source, html, url=url, id=ident, fields=fields, kind=kind)


def _decoded(line: bytes) -> Any:
    return json.loads(line)


class JsonlSource(RecordContainer):
    """The records of one JSON Lines stream; `name` names them (`name:line`) and picks the
    decompression (by suffix) when `stream` is a raw file."""

    def __init__(self, name: str, options: RecordOptions, stream: IO[bytes] | None = None,
                 label: str | None = None) -> None:
        super().__init__(name, stream, label)
        self.options = options

    def _pages(self, raw: IO[bytes], opened: bool) -> Iterator[Page]:
        number = 0
        try:
            stream = open_compressed(raw, self.name) if opened else raw
            for number, line in enumerate(bounded_lines(stream, self.options.max_bytes), 1):
                source = f"{self.label}:{number}"
                if line is None:
                    yield Page(source, error=too_large("record", self.options.max_bytes))
                    continue
                if not line.strip():
                    continue
                try:
                    record = _decoded(line)
                except UnicodeDecodeError:
                    yield Page(source, error="record is not valid UTF-8")
                    continue
                except ValueError as exc:
                    yield Page(source, error=f"broken JSON: {str(exc)[:120]}")
                    continue
                yield record_page(record, source, self.options)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            yield Page(f"{self.label}:{number + 1}", error=f"corrupt or truncated gzip: {exc}")
        except OSError as exc:
            yield Page(f"{self.label}:{number + 1}", error=f"cannot read: {exc.strerror or exc}")
        except Exception as exc:  # noqa: BLE001  (zstandard raises its own ZstdError)
            if type(exc).__name__ != "ZstdError":
                raise
            yield Page(f"{self.label}:{number + 1}", error=f"corrupt or truncated zstd: {exc}")
