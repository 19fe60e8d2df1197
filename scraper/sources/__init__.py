"""Sources: everything `scraper clean` reads, as one lazy stream of `Page` records.

    open_sources(["pages/", "crawl.warc.gz", "-"], SourceOptions(), stdin)

Files and folders (saved pages, text, e-mails, mailboxes), WARC, JSON Lines (plain, .gz, .zst),
Parquet and standard input (sniffed) each yield Pages one at a time; records a source passes
over on purpose are counted in `skipped`. The format comes from the name, or from
`SourceOptions.format` for every input.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import IO

from scraper.errors import InputError
from scraper.sources.files import HTML_SUFFIXES, TEXT_SUFFIXES, find_inputs, stdin_input
from scraper.sources.jsonl import JSONL_SUFFIXES, JsonlSource, RecordOptions
from scraper.sources.page import EMAIL, HTML, TEXT, Page, Source
from scraper.sources.parquet import PARQUET_SUFFIXES, ParquetSource, require_pyarrow
from scraper.sources.stdin import sniff
from scraper.sources.warc import WARC_SUFFIXES, WarcSource

__all__ = ["FORMATS", "HTML_SUFFIXES", "TEXT_SUFFIXES", "Page", "RecordOptions", "Source", "SourceOptions",
           "Sources", "find_inputs", "open_sources", "stdin_input"]

FORMATS = ("auto", "html", "text", "warc", "jsonl", "parquet", "email")
_KINDS = {"html": HTML, "text": TEXT, "email": EMAIL}
RECORD_FORMATS = ("warc", "jsonl", "parquet")


@dataclass(frozen=True)
class SourceOptions:
    """How inputs are read: the format ("auto": by name, stdin sniffed), the record fields,
    the byte cap (in `records`), and the URL of a single page read from stdin."""

    format: str = "auto"
    records: RecordOptions = field(default_factory=RecordOptions)
    url: str | None = None


def format_of(name: str, options: SourceOptions) -> str:
    """The format of a named input: the option when set, else by suffix ("files" for the rest)."""
    if options.format != "auto":
        return options.format
    lower = name.lower()
    for suffixes, kind in ((WARC_SUFFIXES, "warc"), (JSONL_SUFFIXES, "jsonl"), (PARQUET_SUFFIXES, "parquet")):
        if lower.endswith(suffixes):
            return kind
    return "files"


class _Files:
    def __init__(self, given: Sequence[str | Page], kind: str | None) -> None:
        self.given, self.kind = given, kind
        self.skipped: Counter[str] = Counter()

    def __iter__(self) -> Iterator[Page]:
        for page in find_inputs(self.given):
            yield page if self.kind is None else replace(page, kind=self.kind)


class Sources:
    """The inputs of a batch as one lazy stream of Pages; `skipped` sums every source's counts
    once they are read. `holds_records` is true when any input is a record container or a stdin
    stream, whose Pages carry their bytes (a batch must not hold them all)."""

    def __init__(self, sources: list[Source], holds_records: bool) -> None:
        self.sources, self.holds_records = sources, holds_records

    @property
    def skipped(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for source in self.sources:
            total.update(source.skipped)
        return total

    def __iter__(self) -> Iterator[Page]:
        for source in self.sources:
            yield from source


def _read_up_to(stream: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes, over as many reads as a pipe needs."""
    parts, left = [], size
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _stdin_source(stdin: IO[bytes], options: SourceOptions) -> tuple[Source, bool]:
    limit = options.records.max_bytes
    kind = options.format
    stream: IO[bytes] = stdin
    if kind == "parquet":
        raise InputError("Parquet cannot be read from stdin (it needs a seekable file); give its path")
    if kind == "auto":
        kind, stream = sniff(stdin)
    if kind == "warc":
        return WarcSource("stdin", limit, stream), True
    if kind == "jsonl":
        buffered = stream if isinstance(stream, io.BufferedIOBase) else io.BufferedReader(stream)  # type: ignore[arg-type]
        return JsonlSource("stdin", options.records, buffered), True
    data = _read_up_to(stream, limit + 1)  # one page: bounded, a larger one is its failure
    page = stdin_input(data, options.url)
    return _Files([page], _KINDS.get(kind)), False


def open_sources(inputs: Sequence[str], options: SourceOptions, stdin: IO[bytes] | None = None) -> Sources:
    """The Sources of `inputs` ('-' for `stdin`, read first as before), in the order given.
    Raises InputError for an option that cannot work (Parquet without pyarrow, Parquet on stdin)."""
    sources: list[Source] = []
    holds = False
    if "-" in inputs and stdin is not None:
        source, records = _stdin_source(stdin, options)
        sources.append(source)
        holds = holds or records
    files: list[str] = []
    for name in (i for i in inputs if i != "-"):
        kind = format_of(name, options)
        if kind not in RECORD_FORMATS:
            files.append(name)
            continue
        if files:
            sources.append(_Files(files, _KINDS.get(options.format)))
            files = []
        holds = True
        if kind == "warc":
            sources.append(WarcSource(name, options.records.max_bytes))
        elif kind == "jsonl":
            sources.append(JsonlSource(name, options.records))
        else:
            require_pyarrow()
            sources.append(ParquetSource(name, options.records))
    if files:
        sources.append(_Files(files, _KINDS.get(options.format)))
    return Sources(sources, holds)
