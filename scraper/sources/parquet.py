"""Parquet sources: one page per row, with the same field options as JSON Lines.

Rows are read a small batch at a time, so a file of any size is held a few rows at a time; a
cell over the byte cap is that row's failure (Parquet stores a cell whole, so it is read whole).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from scraper.errors import InputError
from scraper.sources.jsonl import RecordOptions, record_page
from scraper.sources.page import Page

PARQUET_SUFFIXES = (".parquet",)
PARQUET_MISSING = "reading Parquet needs pyarrow: pip install pyarrow"
_ROWS = 64


def require_pyarrow() -> None:
    """Raise an InputError with the install command when pyarrow is missing."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:
        raise InputError(PARQUET_MISSING) from exc


class ParquetSource:
    """The rows of one Parquet file as Pages (`file:row`, rows counted from 1)."""

    def __init__(self, name: str, options: RecordOptions) -> None:
        self.name, self.options = name, options
        self.skipped: Counter[str] = Counter()

    def __iter__(self) -> Iterator[Page]:
        import pyarrow
        import pyarrow.parquet as pq
        row = 0
        try:
            parquet = pq.ParquetFile(self.name)
            if self.options.html_field not in parquet.schema_arrow.names:
                yield Page(self.name, error=f"no {self.options.html_field!r} column")
                return
            for batch in parquet.iter_batches(batch_size=_ROWS):
                for record in batch.to_pylist():
                    row += 1
                    yield record_page(record, f"{self.name}:{row}", self.options)
        except (OSError, pyarrow.ArrowException) as exc:
            yield Page(f"{self.name}:{row + 1}" if row else self.name,
                       error=f"unreadable Parquet: {str(exc)[:160]}")
