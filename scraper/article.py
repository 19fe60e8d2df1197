"""The record of what was kept: a clean article body with its metadata and an audit trail.

Records are built here and only here, so this is where strings taken from pages are made safe to
write (`encodable`): every string field of an `Article`, `Removal` and `Failure` is cleaned as the
record is built, whoever builds it (`clean_html`, `clean_text`, the crawl, `Failure.of`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

_WORD = re.compile(r"\w+")
_SHORTEN = 160
_UNSAFE = re.compile("[\x00\x80-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# C1 controls in page text are almost always windows-1252 bytes decoded as Latin-1 (U+0092 for
# a right quote): they become the character a browser shows, as ftfy's fix_c1_controls does.
# The five bytes windows-1252 leaves undefined, and NUL, are dropped.
_C1_TABLE: dict[int, str | None] = {0: None}
for _byte in range(0x80, 0xA0):
    try:
        _C1_TABLE[_byte] = bytes([_byte]).decode("cp1252")
    except UnicodeDecodeError:
        _C1_TABLE[_byte] = None
_REASON_CHARS = 300  # an exception message in a reason: enough to recognise it, not a page dump


def encodable(text: str) -> str:
    """`text` that any output can write: valid UTF-8, no NUL (C strings, SQLite tools) and no
    C1 controls. A surrogate pair is joined into its character; a lone surrogate (JSON-LD
    "\\udc00" decodes to one) becomes U+FFFD."""
    if not _UNSAFE.search(text):
        return text
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.translate(_C1_TABLE)


def _clean_fields(record: object) -> None:
    """Make every string field of a frozen record `encodable`, in place, at construction."""
    for name, value in vars(record).items():
        if isinstance(value, str):
            safe = encodable(value)
        elif isinstance(value, tuple) and any(isinstance(v, str) for v in value):
            safe = tuple(encodable(v) if isinstance(v, str) else v for v in value)
        else:
            continue
        if safe is not value:
            object.__setattr__(record, name, safe)


@dataclass(frozen=True)
class Removal:
    """One block taken out of the page and the rule that took it; `text` is shortened, `words`
    counts the whole block. `whole` keeps the whole text in memory for evaluation (per-rule
    reports) and is never written out."""

    rule: str
    text: str
    stage: str = "html"
    words: int = 0
    whole: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        _clean_fields(self)

    @classmethod
    def of(cls, rule: str, text: str, stage: str = "html") -> Removal:
        """Build a removal with whitespace collapsed and the text cut to a readable length."""
        text = " ".join(text.split())
        short = text if len(text) <= _SHORTEN else text[: _SHORTEN - 1].rstrip() + "…"
        return cls(rule=rule, text=short, stage=stage, words=len(_WORD.findall(text)), whole=text)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "text": self.text, "stage": self.stage, "words": self.words}


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
    # Why this record may be poor ("body much shorter than the page text", "full extraction
    # used", ...): a pipeline can filter low-confidence records on it.
    warnings: tuple[str, ...] = ()
    # The input record's other fields (a JSONL line's, a Parquet row's; a WARC record's fetch
    # time as `fetched`), passed through as they came: written under their own names, or as
    # `input_<name>` where a name is an article field's.
    fields: dict[str, Any] = field(default_factory=dict)
    # The `id` of an earlier record of the same job with the same (or, with near dedupe, nearly
    # the same) text; set by the sink side (`scraper.sinks.dedupe`), None for an original.
    duplicate_of: str | None = None
    word_count: int = field(init=False)
    content_hash: str = field(init=False)

    def __post_init__(self) -> None:
        _clean_fields(self)
        if self.fields:
            object.__setattr__(self, "fields", {encodable(str(k)): _safe(v) for k, v in self.fields.items()})
        object.__setattr__(self, "word_count", len(_WORD.findall(self.text)))
        digest = hashlib.sha256(" ".join(self.text.split()).encode("utf-8")).hexdigest()
        object.__setattr__(self, "content_hash", digest[:32])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; `removed` becomes a list of `{rule, text, stage}` objects."""
        data = asdict(self)
        data["removed"] = [r.to_dict() for r in self.removed]
        data["reverted"] = list(self.reverted)
        data["warnings"] = list(self.warnings)
        for name, value in data.pop("fields").items():
            data[f"input_{name}" if name in data or name == "fields" else name] = value
        return data


def _safe(value: Any) -> Any:
    """A pass-through value any output can write: JSON types, with every string `encodable`
    (dates as ISO 8601, bytes decoded, anything else as its string)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return encodable(value)
    if isinstance(value, bytes):
        return encodable(value.decode("utf-8", "replace"))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {encodable(str(k)): _safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(v) for v in value]
    return encodable(str(value))


FIELDS: tuple[str, ...] = (
    "url", "canonical_url", "title", "author", "date", "sitename", "description", "language",
    "text", "word_count", "content_hash", "source", "encoding", "removed", "reverted",
    "warnings", "id", "list_id", "list_unsubscribe", "duplicate_of",
)


OUT_OF_MEMORY = "out of memory while cleaning"


@dataclass(frozen=True)
class Failure:
    """An input that produced no article, with the reason; batches record these, never raise."""

    source: str
    reason: str
    kind: str = "ScraperError"
    url: str | None = None
    status: str = "failed"

    def __post_init__(self) -> None:
        _clean_fields(self)

    @classmethod
    def of(cls, source: str, error: BaseException, url: str | None = None) -> Failure:
        """Turn an exception into a record: a `ScraperError` gives its reason; anything else is
        a bug met on this item, recorded as `internal error: <type>: <message>` so the job goes on.

        A hostile page can exhaust the stack or memory of lxml/trafilatura: those two get fixed
        reasons (see `CONTAINED`).
        """
        if isinstance(error, RecursionError):
            return cls(source, "page too deeply nested", "ExtractionError", url)
        if isinstance(error, MemoryError):
            return cls(source, OUT_OF_MEMORY, "InputError", url)
        reason = getattr(error, "reason", None)
        if not isinstance(reason, str) or not reason:
            reason = f"internal error: {type(error).__name__}: {_message(error)}"
        status = "skipped" if type(error).__name__ == "SkippedError" else "failed"
        return cls(source=source, reason=reason, kind=type(error).__name__, url=url, status=status)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _message(error: BaseException) -> str:
    """An exception's message on one line and of bounded length, even if `str()` itself fails."""
    try:
        text = " ".join(str(error).split())
    except Exception:  # noqa: BLE001  (a broken __str__ must not break the record of the bug)
        text = "(message unavailable)"
    if len(text) > _REASON_CHARS:
        text = text[: _REASON_CHARS - 1] + "…"
    return text or "(no message)"
