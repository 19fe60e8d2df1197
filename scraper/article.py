"""The record of what was kept: a clean article body with its metadata and an audit trail."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

_WORD = re.compile(r"\w+")
_SHORTEN = 160


@dataclass(frozen=True)
class Removal:
    """One block taken out of the page and the rule that took it; `text` is shortened."""

    rule: str
    text: str
    stage: str = "html"

    @classmethod
    def of(cls, rule: str, text: str, stage: str = "html") -> Removal:
        """Build a removal with whitespace collapsed and the text cut to a readable length."""
        text = " ".join(text.split())
        if len(text) > _SHORTEN:
            text = text[: _SHORTEN - 1].rstrip() + "…"
        return cls(rule=rule, text=text, stage=stage)


@dataclass(frozen=True)
class Article:
    """A clean article body (paragraphs separated by a blank line) plus metadata."""

    text: str
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    description: str | None = None
    language: str | None = None
    source: str | None = None
    encoding: str | None = None
    removed: tuple[Removal, ...] = ()
    reverted: tuple[str, ...] = ()
    # E-mail inputs only (scraper.newsletters): Message-ID, and the List-Id and List-Unsubscribe
    # headers, kept as metadata so the unsubscribe links never need to be in the text.
    id: str | None = None
    list_id: str | None = None
    list_unsubscribe: str | None = None
    word_count: int = field(init=False)
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "word_count", len(_WORD.findall(self.text)))
        digest = hashlib.sha256(" ".join(self.text.split()).encode("utf-8")).hexdigest()
        object.__setattr__(self, "content_hash", digest[:32])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; `removed` becomes a list of `{rule, text, stage}` objects."""
        data = asdict(self)
        data["removed"] = [asdict(r) for r in self.removed]
        data["reverted"] = list(self.reverted)
        return data


FIELDS: tuple[str, ...] = (
    "url", "canonical_url", "title", "author", "date", "sitename", "description", "language",
    "text", "word_count", "content_hash", "source", "encoding", "removed", "reverted",
    "id", "list_id", "list_unsubscribe",
)


@dataclass(frozen=True)
class Failure:
    """An input that produced no article, with the reason; batches record these, never raise."""

    source: str
    reason: str
    kind: str = "ScraperError"
    url: str | None = None
    status: str = "failed"

    @classmethod
    def of(cls, source: str, error: Exception, url: str | None = None) -> Failure:
        """Turn an exception into a record; unknown exceptions keep their type in the reason.

        A hostile page can exhaust the stack or memory of lxml/trafilatura: those two are the
        only non-`ScraperError` exceptions batches catch (see `CONTAINED`), with fixed reasons.
        """
        if isinstance(error, RecursionError):
            return cls(source, "page too deeply nested", "ExtractionError", url)
        if isinstance(error, MemoryError):
            return cls(source, "out of memory while cleaning", "InputError", url)
        reason = getattr(error, "reason", None) or f"{type(error).__name__}: {error}"
        status = "skipped" if type(error).__name__ == "SkippedError" else "failed"
        return cls(source=source, reason=reason, kind=type(error).__name__, url=url, status=status)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
