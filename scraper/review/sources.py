"""What the review reads: stored records (.db/.jsonl), the raw pages behind them, or pages and
folders cleaned on the fly; and how one record becomes a `PageReview`."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lxml.html import HtmlElement

from scraper.clean.cleaner import CleanOptions, clean_html, parse_html
from scraper.clean.decode import decode_bytes
from scraper.errors import CONTAINED, InputError
from scraper.run.cleaning import Input, read_input
from scraper.sources import HTML_SUFFIXES, TEXT_SUFFIXES
from scraper.review.model import MAX_LINES, PageReview, norm, ordered, unordered
from scraper.review.selectors import full_text, leak_selectors

_SQLITE = (".db", ".sqlite", ".sqlite3")
_META = ("title", "author", "date", "sitename", "language", "url", "canonical_url", "description",
         "word_count", "encoding")


@dataclass(frozen=True)
class Raw:
    """The page a record was cleaned from: its bytes, and the charset its HTTP headers gave."""

    data: bytes
    is_text: bool = False
    http_charset: str | None = None


@dataclass(frozen=True)
class Item:
    """One row of the review: a record (an article dict) or a failure, with its raw page if found."""

    source: str
    record: dict[str, Any] | None = None
    failure: str | None = None
    raw: Raw | None = None
    raw_note: str = ""


def is_store(path: str) -> bool:
    """Whether INPUT is a store written by `clean`/`crawl` rather than pages to clean."""
    return Path(path).suffix.lower() in (*_SQLITE, ".jsonl") and Path(path).is_file()


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError:
                yield {"source": f"{path}:{n}", "_failure": "unreadable record line"}
                continue
            if isinstance(data, dict):
                if isinstance(data.get("metadata"), dict):  # --record-shape nested
                    data = {**data.pop("metadata"), **data}
                yield data


def _sane(data: dict[str, Any]) -> dict[str, Any]:
    """A record as the review expects it, or a failure: a store is input like any other, and one
    damaged record must not stop the review of the others."""
    if "_failure" in data:
        return data
    removed = data.get("removed") or []
    ok = (isinstance(data.get("text"), str) and isinstance(removed, list)
          and all(isinstance(r, dict) and isinstance(r.get("text", ""), str) for r in removed)
          and isinstance(data.get("reverted") or [], list))
    if not ok:
        return {"source": str(data.get("source")), "_failure": "damaged record: text or removed of the wrong type"}
    count = data.get("word_count")
    if not (count is None or type(count) is int and count >= 0):  # noqa: E721  (bool is no count)
        # A word count is ours to know: the text gives it again ("abc", 1e999, [1] do not).
        data = {**data, "word_count": len(data["text"].split())}
    return data


def read_store(path: str) -> Iterator[dict[str, Any]]:
    """Articles and failures (a failure has `_failure`, its reason) in the order they were
    written; a later record for the same source replaces an earlier one."""
    p = Path(path)
    found: dict[str, dict[str, Any]] = {}
    if p.suffix.lower() in _SQLITE:
        try:
            db = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
            try:
                db.row_factory = sqlite3.Row
                for row in db.execute("SELECT * FROM articles"):
                    data = dict(row)
                    for key in ("removed", "reverted"):
                        try:
                            data[key] = json.loads(data.get(key) or "[]")
                        except ValueError:
                            data[key] = []
                    found[str(data["source"])] = data
                for row in db.execute("SELECT source, reason, status FROM failures"):
                    found[str(row["source"])] = {"source": row["source"], "_failure": f"{row['status']}: {row['reason']}"}
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise InputError(f"cannot read {path}: {exc}") from exc
    else:
        for data in _jsonl(p):
            found[str(data.get("source") or data.get("url") or len(found))] = data
        failures = p.with_suffix(".failures.jsonl")
        if failures.is_file() and failures != p:
            for data in _jsonl(failures):
                if "_failure" not in data:
                    data = {"source": data.get("source"), "_failure": f"{data.get('status', 'failed')}: {data.get('reason')}"}
                found[str(data.get("source"))] = data
    yield from map(_sane, found.values())


class SavedPages:
    """Raw pages kept by `crawl --save-html DIR`, found by URL through DIR/index.jsonl."""

    def __init__(self, folder: str | None) -> None:
        self.folder = Path(folder) if folder else None
        self._by_url: dict[str, dict[str, Any]] = {}
        if self.folder is not None and (self.folder / "index.jsonl").is_file():
            for line in _jsonl(self.folder / "index.jsonl"):
                for key in ("url", "final_url"):
                    if line.get(key):
                        self._by_url[str(line[key])] = line

    def raw(self, record: dict[str, Any], base: Path, limit: int) -> tuple[Raw | None, str]:
        """The raw page of a record and, when there is none, a note that says why."""
        source = str(record.get("source") or "")
        entry = self._by_url.get(source) or self._by_url.get(str(record.get("url") or ""))
        if entry is not None and self.folder is not None:
            target = (self.folder / str(entry.get("file", ""))).resolve()
            if self.folder.resolve() in target.parents:  # an index line never points outside
                try:
                    return Raw(read_input(Input(str(target)), limit), False, entry.get("http_charset")), ""
                except InputError as exc:
                    return None, f"saved page unreadable: {exc.reason}"
        if "://" in source:
            return None, ("raw page not saved (crawl with --save-html DIR, then review with --saved-html DIR); "
                          "nothing was refetched")
        for candidate in (Path(source), base / source):
            if not _may_read(candidate, base):
                continue
            if candidate.is_file():
                try:
                    data = read_input(Input(str(candidate)), limit)
                except InputError as exc:
                    return None, f"source page unreadable: {exc.reason}"
                return Raw(data, candidate.name.lower().endswith(TEXT_SUFFIXES)), ""
        return None, "source page not found on disk; shown from the stored record"


def _may_read(candidate: Path, base: Path) -> bool:
    """Whether a record's `source` may be re-read from disk: a page file (by its suffix) inside
    the store's folder or the working folder. A store is data, and data must not make the report
    show an arbitrary local file ("source": "/home/me/.ssh/id_rsa")."""
    if not candidate.name.lower().endswith(HTML_SUFFIXES + TEXT_SUFFIXES):
        return False
    target = candidate.resolve()
    return any(folder == target.parent or folder in target.parents
               for folder in (base.resolve(), Path.cwd().resolve()))


def _baseline(raw: Raw, url: str | None, options: CleanOptions) -> tuple[list[str], str, HtmlElement | None]:
    """The lines trafilatura alone keeps (no rules, no filters), the page's whole text, and its
    parsed tree (None for text input)."""
    if raw.is_text:
        text, _ = decode_bytes(raw.data)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines, "\n".join(lines), None
    bare = replace(options, prune=False, filters=False, min_words=0, learned=())
    article = clean_html(raw.data, url, options=bare, http_charset=raw.http_charset)
    html, _ = decode_bytes(raw.data, raw.http_charset)
    root = parse_html(html)
    body = root.find("body")
    page = (body if body is not None else root).text_content()
    return [p for p in article.text.split("\n\n") if p.strip()], page, root


def _expanded(record: dict[str, Any], root: HtmlElement, share: float) -> dict[str, Any]:
    """The record with each shortened HTML removal's text made whole again from the raw page,
    so that its later lines are matched to it and its words counted in full."""
    removed = []
    for removal in record.get("removed") or []:
        text = str(removal.get("text") or "")
        if removal.get("stage", "html") == "html" and text.endswith("…"):
            whole = full_text(root, text, share)
            if whole is not None:
                removal = {**removal, "text": whole}
        removed.append(removal)
    return {**record, "removed": removed}


def review(item: Item, options: CleanOptions) -> PageReview:
    """Build the page view of one item; a page that cannot be re-read keeps its record's view."""
    if item.failure is not None or item.record is None:
        return PageReview(item.source, {"source": item.source}, failure=item.failure or "no record")
    record = item.record
    meta = {key: record.get(key) for key in _META}
    meta["source"] = item.source
    page = PageReview(item.source, meta, reverted=[str(r) for r in record.get("reverted") or []],
                      text_input=item.raw is not None and item.raw.is_text or item.source.lower().endswith(TEXT_SUFFIXES))
    if item.raw is not None:
        try:
            baseline, text, root = _baseline(item.raw, record.get("url"), options)
            if max(len(baseline), str(record.get("text")).count("\n\n")) > MAX_LINES:
                raise InputError(f"more than {MAX_LINES} lines")
            if root is not None:
                record = _expanded(record, root, options.safety.max_element_share)
            page.blocks, page.ordered = ordered(record, baseline, text), True
            if root is not None:
                found = leak_selectors(root, [b.text for b in page.blocks if b.state == "kept"])
                page.blocks = [replace(b, selector=found.get(norm(b.text), "")) if b.state == "kept" else b
                               for b in page.blocks]
            page.baseline_words = sum(len(line.split()) for line in baseline)
            return page
        except CONTAINED as exc:
            page.notes.append(f"raw page could not be re-read ({getattr(exc, 'reason', type(exc).__name__)}); "
                              "shown from the stored record")
    elif item.raw_note:
        page.notes.append(item.raw_note)
    page.blocks = unordered(record)
    return page


def page_item(article: Any, data: bytes | None, is_text: bool = False) -> Item:
    """An item for one article cleaned just now from `data` (the one-page form)."""
    return Item(article.source or "-", article.to_dict(), raw=Raw(data, is_text) if data is not None else None,
                raw_note="" if data is not None else "raw input not at hand")
