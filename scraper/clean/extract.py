"""Body extraction with trafilatura, on the tree our rules already pruned.

Metadata comes from `scraper.clean.metadata` instead of trafilatura's own pass, which costs several
times more (see benchmarks/README.md).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace

import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from scraper.errors import RuleError

_FALLBACKS = ("auto", "always", "never")
_DUMP_CHARS = 2000
_PARAGRAPH_TEXT = etree.XPath("/descendant::p/descendant::text()", smart_strings=False)
# Containers holding two or more long paragraphs: an article body that the page splits into
# several such containers of one class (between ad rows) is one body to trafilatura.
_PROSE_BOXES = etree.XPath("//div[@class][count(p[string-length(normalize-space()) > 80]) >= 2]")
_BODY_CLASS = re.compile(r"body|content|article|text|story|entry|post|prose", re.IGNORECASE)
_NOT_BODY_CLASS = re.compile(r"comment|reply|review|card|teaser|related|excerpt|product|widget", re.IGNORECASE)
_HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
# Text between the parts up to this long is a label ("Advertisement", "Story continues below").
_GAP_LABEL_CHARS = 40
_GAP_TEXT_TAGS = _HEADING_TAGS | {"h1", "p", "li", "blockquote", "table"}
# List items' own sentences (not their links', not menus', not short labels): article text that
# sits in lists, which paragraph text misses. Counting every list word made news pages with
# lists of short items run the recall pass for nothing (AEB: 35 runs, no page changed). A menu
# holding the page's <main> or <article> is a parse artifact (an unclosed tag), not a menu.
_LIST_TEXT = etree.XPath(
    "//li//text()[string-length(normalize-space()) > 40][not(ancestor::a)]"
    "[not(ancestor::*[self::nav or self::header or self::footer][not(.//main or .//article)])]",
    smart_strings=False)


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
    # The upper bound was 1.5: of the full runs a fast result 1.5-5 times the paragraph text
    # called (113 of the 221 full runs on WCXB-dev, 2 of 40 on AEB), none was kept — a body held
    # in divs or lists rather than <p> is long beside its paragraphs, and the full run agrees.
    # Kept ones were 5.2 to 9820 times (5 pages). 3, not 5: most of the saving (1.5-3 times)
    # with a margin below the kept ones, which two datasets cannot pin down closer.
    coverage: tuple[float, float] = (0.7, 3.0)
    # A fast result under this share of the *unpruned* page's paragraph text lets the full run
    # decide too: pruning can take paragraphs away, so that the pruned page's coverage check
    # accepts a short pitch (the never-lose guard, issue 10).
    far_below: float = 0.25
    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    include_comments: bool = False
    # A result under this share of the page's paragraph and list text is extracted again in fast
    # mode with favor_recall, which is kept unless much shorter (`recall_keep` times): fast and
    # full mode both find half the article when it sits in lists or between sections. Our rules
    # do the precision work. Measured: WCXB word F1 0.942 -> 0.947, keep +0.4 pt, leak +0.1 pt;
    # AEB unchanged; costs 4 % (WCXB) to 9 % (AEB) of scraper's time per page. 0 turns it off.
    recall_below: float = 0.7
    recall_keep: float = 0.7
    join_split_body: bool = True

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
    """A body as lines of text, whether it came from trafilatura's full run, and whether from
    its favor_recall setting."""

    text: str
    full: bool
    recall: bool = False


def paragraph_chars(root: HtmlElement) -> int:
    """Characters of paragraph text in the page: what a body is measured against."""
    return sum(map(len, _PARAGRAPH_TEXT(root)))


def extract_body(root: HtmlElement, url: str | None, options: ExtractOptions,
                 page_chars: int | None = None) -> Extracted | None:
    """The article body, or None when trafilatura finds no body. `page_chars` is the paragraph
    text of the page before pruning, when known.

    trafilatura works on its own copy of the tree, so a second, full run can reuse `root`.
    """
    if options.join_split_body:
        join_split_body(root)
    found = _extract_once(root, url, options, page_chars)
    if options.recall_below and not options.favor_recall:
        page_text = paragraph_chars(root) + sum(len(t.strip()) for t in _LIST_TEXT(root))
        if len(found.text) < options.recall_below * page_text:
            # Fast mode only: a full favor_recall run scored the same on WCXB and cost more.
            recall = _run(root, url, replace(options, favor_recall=True), fast=True)
            if (len(recall) >= options.recall_keep * len(found.text) and recall != found.text
                    and not _is_dump(recall)):
                found = Extracted(recall, False, recall=True)
    return found if found.text.strip() else None


def _gap_headings(root: HtmlElement, boxes: list[HtmlElement]) -> list[list[HtmlElement]] | None:
    """The headings between each two consecutive `boxes` (they go along, in order), or None when
    other text lies between them (a paragraph, a list: the boxes are not one body)."""
    inside = {el for box in boxes for el in box.iter()}
    starts = {box: i for i, box in enumerate(boxes)}
    gaps: list[list[HtmlElement]] = [[] for _ in boxes[1:]]
    seen = -1
    for el in root.iter():
        if el in starts:
            seen = starts[el]
        elif 0 <= seen < len(boxes) - 1 and el not in inside and el.tag in _GAP_TEXT_TAGS \
                and (el.text_content() or "").strip():
            if el.tag not in _HEADING_TAGS:
                if len(el.text_content().strip()) > _GAP_LABEL_CHARS:
                    return None
                continue
            if not any(h in set(el.iterancestors()) for h in gaps[seen]):
                gaps[seen].append(el)
    return gaps


def join_split_body(root: HtmlElement) -> None:
    """Move the parts of an article body split into containers of one class into the first
    part, in place, when only ads and empty boxes lie between them: trafilatura takes one
    container, so it returned the first part only (an article continued below an ad row in a
    second `article__body` block)."""
    groups: dict[str, list[HtmlElement]] = defaultdict(list)
    for box in _PROSE_BOXES(root):
        groups[box.get("class", "")].append(box)
    for name, boxes in groups.items():
        if len(boxes) < 2 or not _BODY_CLASS.search(name) or _NOT_BODY_CLASS.search(name):
            continue
        if any(other in set(box.iterancestors()) for box in boxes for other in boxes):
            continue
        gaps = _gap_headings(root, boxes)
        if gaps is None:
            continue
        first = boxes[0]
        for box, headings in zip(boxes[1:], gaps):
            first.extend([*headings, *box])
            parent = box.getparent()
            if parent is not None:
                parent.remove(box)
        return


def _extract_once(root: HtmlElement, url: str | None, options: ExtractOptions,
                  page_chars: int | None) -> Extracted:
    """One extraction under `options`: fast mode, and the full run when `fallback` says so."""
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
    return Extracted(text, used_full)


def extract_text(root: HtmlElement, url: str | None, options: ExtractOptions) -> str | None:
    """The article body as lines of text, or None when trafilatura finds no body."""
    found = extract_body(root, url, options)
    return found.text if found is not None else None
