"""What a sink writes for an article: a plain dict in one of two shapes, always with an `id`.

`flat` is every `Article` field at the top level (the shape `scraper` always wrote). `nested`
is the document record of corpus tools: `{id, text, source, added, created, metadata: {...}}`,
which dolma takes as it is (`id`, `text` and `source` are its mandatory keys) and datatrove's
JSONL and Parquet readers too (`text` and `id` are its `text_key`/`id_key`; the other top-level
keys join `metadata`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from scraper.article import Article
from scraper.errors import RecordError
from scraper.sinks.outfiles import utc_now

RecordShape = Literal["flat", "nested"]
SHAPES: tuple[str, ...] = ("flat", "nested")
_TOP = ("id", "text", "source")


def record_id(article: Article) -> str:
    """The record's stable id: the one the input gave (WARC-Record-ID, Message-ID, an input
    id), else the first 32 hex digits of the SHA-256 of its source (of its text when it has no
    source), so cleaning the same input again gives the same id."""
    if article.id:
        return article.id
    key = article.source or article.url or article.content_hash
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def flat_record(article: Article) -> dict[str, Any]:
    """Every field of the article at the top level, `id` filled in."""
    data = article.to_dict()
    data["id"] = record_id(article)
    return data


def shape_record(article: Article, shape: RecordShape = "flat") -> dict[str, Any]:
    """The article as the dict a sink writes, in `shape`."""
    data = flat_record(article)
    if shape == "flat":
        return data
    top = {key: data.pop(key) for key in _TOP}
    # dolma: `added` is when the record was made, `created` the document's own date (best guess).
    top["added"] = utc_now()
    top["created"] = data.get("date")
    top["metadata"] = data
    return top


def json_bytes(data: Any) -> bytes:
    """A record as one UTF-8 JSON line; `RecordError` for a value JSON cannot hold (NaN, an
    object of no JSON type)."""
    try:
        return (json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise RecordError(f"cannot be written as JSON: {' '.join(str(exc).split())[:200]}") from exc
