"""The page record every source yields and every batch consumes.

A `Page` is one input on its way in: its bytes or text (or where to read them, for a file read
only when it is cleaned), where it came from and what the source knew about it. Sources build
Pages lazily, one at a time, so a stream of any length flows through in constant memory.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# What a page's bytes are, when its source knows (else sniffed from its name and first bytes).
HTML, TEXT, EMAIL = "html", "text", "email"


@dataclass(frozen=True)
class Page:
    """One input of a batch.

    `data` is the page (bytes, or text already decoded by its source); None means read the
    file `source` (or the mailbox message at `span`) when it is cleaned. `error` marks a record
    its source could not read (broken JSON, a truncated WARC record...): it becomes that
    record's failure with this reason, never the end of the job.
    """

    source: str
    data: bytes | str | None = None
    # A message inside a mailbox file: (file, start, end), read only when it is cleaned.
    span: tuple[str, int, int] | None = None
    url: str | None = None
    charset: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    id: str | None = None
    fetched: str | None = None
    # Other fields of the input record, passed through into the article record.
    fields: Mapping[str, Any] = field(default_factory=dict)
    kind: str | None = None
    error: str | None = None

    @property
    def stable_id(self) -> str:
        """The source's own id (WARC-Record-ID, the record's id field), else a hash of the source."""
        return self.id or hashlib.sha256(self.source.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class Source(Protocol):
    """Anything that yields Pages lazily; records it passes over on purpose (a WARC request
    record, a non-HTML response) are counted in `skipped` by reason, not yielded."""

    skipped: Counter[str]

    def __iter__(self) -> Iterator[Page]: ...
