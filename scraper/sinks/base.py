"""What every sink offers: take results, close durably, and say what it already holds.

The last three methods are what resuming a crawl needs (`scraper.crawl.resume`), so resuming never
asks which kind of sink it has: `checkpoint` makes what was written durable and returns marks
(offsets, times) the crawl state keeps; `held_since` lists the records written after those
marks (all of them when `dirty` and the sink has no finer marks); `drop_failures` removes the
failure records of sources about to be tried again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple, Protocol

from scraper.article import Article, Failure
from scraper.errors import RecordError
from scraper.sinks.templatefile import SiteTemplate

Marks = Callable[[str], "str | None"]  # a saved mark by name (the crawl state's `get`)


class Held(NamedTuple):
    """One record a sink holds: its source and outcome ("done", "failed" or "skipped")."""

    source: str
    status: str
    reason: str | None = None


class Sink(Protocol):
    """Receives each result of a batch or crawl; `close` makes everything durable."""

    output: str  # the absolute path written to, "-" for a stream
    resumable: bool  # False: a crawl cannot resume into it (see `held_since`)

    def add(self, article: Article) -> None: ...
    def fail(self, failure: Failure) -> None: ...
    def close(self) -> None: ...
    def checkpoint(self) -> dict[str, int]: ...
    def held_since(self, marks: Marks, dirty: bool) -> Iterator[Held]: ...
    def drop_failures(self, drop: Callable[[str], bool]) -> None: ...
    def load_templates(self) -> list[SiteTemplate]: ...
    def save_templates(self, templates: list[SiteTemplate]) -> None: ...


def write_result(sink: Sink, result: Article | Failure, source: str | None = None) -> Article | Failure:
    """Write one result of a batch or crawl: an article with `add`, a failure with `fail`. An
    article the sink's format cannot hold (`RecordError`) is written as the failure of `source`
    (default: the article's own) instead; the result written is returned. Batches, partitions
    and the crawl all write through here."""
    if isinstance(result, Failure):
        sink.fail(result)
        return result
    try:
        sink.add(result)
    except RecordError as exc:  # a value the format cannot hold: this record's failure
        result = Failure.of(source or result.source or result.url or "", exc, result.url)
        sink.fail(result)
    return result
