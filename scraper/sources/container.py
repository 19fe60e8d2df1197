"""A file or stream of records (JSON Lines, WARC): opened by name or given open, closed only if
opened here, and a file that cannot be opened is one failure, never the end of the job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import IO

from scraper.sources.page import Page


class RecordContainer:
    """The Pages of one container; `name` is the file (or names the stream), `label` names its
    records in failures. Subclasses read the open bytes in `_pages`."""

    def __init__(self, name: str, stream: IO[bytes] | None = None, label: str | None = None) -> None:
        self.name, self._stream = name, stream
        self.label = label or name
        self.skipped: Counter[str] = Counter()

    def __iter__(self) -> Iterator[Page]:
        try:
            raw = self._stream if self._stream is not None else open(self.name, "rb")
        except OSError as exc:
            yield Page(self.label, error=f"cannot read file: {exc.strerror or exc}")
            return
        try:
            yield from self._pages(raw, opened=self._stream is None)
        finally:
            if self._stream is None:
                raw.close()

    def _pages(self, raw: IO[bytes], opened: bool) -> Iterator[Page]:
        """The Pages in `raw`; `opened` says it is a file opened by name (not a given stream)."""
        raise NotImplementedError
