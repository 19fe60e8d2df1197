"""Body extraction with trafilatura, on the tree our rules already pruned.

Metadata comes from `scraper.metadata` instead of trafilatura's own pass, which costs several
times more (see benchmarks/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from .errors import RuleError

_FALLBACKS = ("auto", "always", "never")
_DUMP_CHARS = 2000
_PARAGRAPH_TEXT = etree.XPath("/descendant::p/descendant::text()", smart_strings=False)


@dataclass(frozen=True)
class ExtractOptions:
    """trafilatura settings, chosen by measurement on the benchmarks (see benchmarks/README.md).

    `fallback` decides when trafilatura compares its result with its baseline and jusText
    extractors, which roughly doubles its time: "always" (trafilatura's default), "never"
    (its `fast` mode), or "auto": only when the fast result's length is outside `coverage` times
    the page's paragraph text (too short: content missed; too long: boilerplate taken in) or it
    is a one-line dump; a structured fast result is kept over a full-run dump of about its size.
    Measured: "never" gains on news (AEB F1 0.972 vs 0.970) but loses on varied pages (WCXB
    word F1 0.918 vs 0.940); "auto" keeps most of both at fast-mode cost.
    """

    fallback: str = "auto"
    coverage: tuple[float, float] = (0.7, 1.5)
    # A fast result under this share of the *unpruned* page's paragraph text lets the full run
    # decide too: pruning can take paragraphs away, so that the pruned page's coverage check
    # accepts a short pitch (the never-lose guard, issue 10).
    far_below: float = 0.25
    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    include_comments: bool = False

    def __post_init__(self) -> None:
        if self.fallback not in _FALLBACKS:
            raise RuleError(f"fallback must be one of {', '.join(_FALLBACKS)}, not {self.fallback!r}")


def _run(root: HtmlElement, url: str | None, options: ExtractOptions, fast: bool) -> str:
    doc = trafilatura.bare_extraction(
        root,
        url=url,
        fast=fast,
        with_metadata=False,
        include_comments=options.include_comments,
        include_tables=options.include_tables,
        favor_precision=options.favor_precision,
        favor_recall=options.favor_recall,
    )
    return (doc.text or "") if doc is not None else ""


def _is_dump(text: str) -> bool:
    """One long line: trafilatura's baseline or JSON-LD fallback, with no block structure left."""
    return len(text) > _DUMP_CHARS and "\n" not in text.strip()


@dataclass(frozen=True)
class Extracted:
    """A body as lines of text, and whether it came from trafilatura's full run."""

    text: str
    full: bool


def paragraph_chars(root: HtmlElement) -> int:
    """Characters of paragraph text in the page: what a body is measured against."""
    return sum(map(len, _PARAGRAPH_TEXT(root)))


def extract_body(root: HtmlElement, url: str | None, options: ExtractOptions,
                 page_chars: int | None = None) -> Extracted | None:
    """The article body, or None when trafilatura finds no body. `page_chars` is the paragraph
    text of the page before pruning, when known.

    trafilatura works on its own copy of the tree, so a second, full run can reuse `root`.
    """
    used_full = options.fallback == "always"
    if used_full:
        text = _run(root, url, options, fast=False)
    else:
        text = _run(root, url, options, fast=True)
        if options.fallback == "auto":
            paragraphs = paragraph_chars(root)
            low, high = options.coverage
            dump = _is_dump(text)
            far_below = page_chars is not None and len(text) < options.far_below * page_chars
            if (not text.strip() or dump or far_below
                    or not low * paragraphs <= len(text) <= high * max(paragraphs, 1)):
                full = _run(root, url, options, fast=False)
                # A structured body beats a dump of about the same text: lines are what the
                # filters see. A fragment ("Share this article") does not.
                structured = text.strip() and not dump and len(text) >= low * len(full)
                if not (_is_dump(full) and structured) and full != text:
                    text, used_full = full, True
    return Extracted(text, used_full) if text.strip() else None


def extract_text(root: HtmlElement, url: str | None, options: ExtractOptions) -> str | None:
    """The article body as lines of text, or None when trafilatura finds no body."""
    found = extract_body(root, url, options)
    return found.text if found is not None else None
