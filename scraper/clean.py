"""The cleaning stage: decode, prune by rules, extract with trafilatura, filter text.

`clean_html` and `clean_text` are the library's two entry points; both return an `Article`
or raise a `ScraperError` subclass that says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import re

from lxml import etree
from lxml.html import HTMLParser, HtmlElement, document_fromstring

from .article import Article, Removal
from .decode import decode_bytes
from .errors import ExtractionError, InputError
from .extract import ExtractOptions, extract_text
from .metadata import extract_metadata
from .filters import filter_lines
from .prune import PruneOptions, prune
from .rules import RuleBook, RuleFile


@dataclass(frozen=True)
class CleanOptions:
    """What to clean with: extra rule files, learned site templates, and whether each stage runs."""

    rule_files: tuple[str, ...] = ()
    # Site templates learned from a batch (scraper.templates); applied after the rule files.
    learned: tuple[RuleFile, ...] = ()
    # trafilatura's own ceiling; real article pages are far below it, and beyond it lxml and
    # trafilatura take seconds and hundreds of MB per page.
    max_bytes: int = 20 * 1024 * 1024
    # Fewer words than this is a menu or a stub, not an article.
    min_words: int = 5
    prune: bool = True
    filters: bool = True
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    safety: PruneOptions = field(default_factory=PruneOptions)


DEFAULT_OPTIONS = CleanOptions()


@lru_cache(maxsize=16)
def _files_rulebook(rule_files: tuple[str, ...]) -> RuleBook:
    return RuleBook.default(Path(p) for p in rule_files)


# Larger than the files cache: a batch hands each page the template of its own site.
@lru_cache(maxsize=256)
def rulebook(rule_files: tuple[str, ...], learned: tuple[RuleFile, ...] = ()) -> RuleBook:
    """Shipped rules plus the given files and learned templates, loaded and compiled once per process."""
    base = _files_rulebook(rule_files)
    return RuleBook([*base.files, *learned]) if learned else base


_PARSER = HTMLParser(collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True)
# libxml2 ignores `</button>` while a <div> opened inside the button is still open, so the rest
# of the page nests in the button, and trafilatura deletes it with every other button (seen on
# Dotdash Meredith pages: the body then comes from its one-line baseline). Buttons hold phrasing
# content only, so one holding the page's structure is a parse artifact, unwrapped here.
_SWALLOWING_BUTTONS = etree.XPath("//button[.//main or .//article or count(.//p) > 2]")
# lxml refuses str input that still declares an encoding; the bytes were decoded already.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def parse_html(text: str) -> HtmlElement:
    """Parse a page with lxml (as trafilatura does, minus its checks: 30 % faster); raise
    `InputError` when it is not HTML at all."""
    try:
        root = document_fromstring(_XML_DECLARATION.sub("", text, count=1), parser=_PARSER)
    except (ValueError, RecursionError, etree.ParserError) as exc:
        raise InputError(f"cannot parse HTML: {exc}") from exc
    if root is None or not len(root):
        raise InputError("not an HTML document")
    for button in _SWALLOWING_BUTTONS(root):
        button.drop_tag()
    return root


def clean_html(html: str | bytes, url: str | None = None, *, options: CleanOptions | None = None,
               http_charset: str | None = None, source: str | None = None) -> Article:
    """Clean one page into an `Article`; bytes are decoded by our own decoder first."""
    options = options or DEFAULT_OPTIONS
    encoding = None
    if len(html) > options.max_bytes:
        raise InputError(f"page larger than {options.max_bytes // 2**20} MB")
    if isinstance(html, bytes):
        html, encoding = decode_bytes(html, http_charset)
    elif not html.strip():
        raise InputError("empty input")
    root = parse_html(html)
    # Metadata first: bylines and dates often sit in blocks that the promo rules remove.
    meta = extract_metadata(root, url)
    page_url_ = url or meta.canonical_url
    rules = rulebook(options.rule_files, options.learned).for_url(page_url_)
    removed: list[Removal] = []
    reverted: list[str] = []
    if options.prune:
        result = prune(root, rules, options.safety, description=meta.description, page=source or page_url_)
        removed += result.removed
        reverted += result.reverted
    try:
        body = extract_text(root, page_url_, options.extract)
        if body is None and removed:
            # Our rules may have taken the only block trafilatura recognised: retry without them.
            body = extract_text(parse_html(html), page_url_, options.extract)
            reverted.append("html rules: extraction found nothing after pruning; undone")
            removed = []
    except RecursionError as exc:
        raise ExtractionError("page too deeply nested to extract") from exc
    if body is None:
        raise ExtractionError("no article text found")
    lines = body.splitlines()
    if options.filters:
        filtered = filter_lines(lines, rules, brand=meta.sitename, trim_edges=True,
                                title=meta.title, page=source or page_url_)
        lines, removed, reverted = list(filtered.lines), removed + list(filtered.removed), reverted + list(filtered.reverted)
    text = "\n\n".join(line.strip() for line in lines if line.strip())
    if len(text.split()) < options.min_words:
        raise ExtractionError("no article text found" if text else "nothing left after removing promo")
    return Article(
        text=text, url=url or page_url_, canonical_url=meta.canonical_url, title=meta.title,
        author=meta.author, date=meta.date, sitename=meta.sitename, description=meta.description,
        language=meta.language, source=source or url, encoding=encoding, removed=tuple(removed),
        reverted=tuple(reverted),
    )


def clean_text(text: str, url: str | None = None, *, options: CleanOptions | None = None,
               source: str | None = None) -> Article:
    """Clean already-scraped text: one paragraph per line, promo lines and headline lists dropped."""
    options = options or DEFAULT_OPTIONS
    if not text.strip():
        raise InputError("empty input")
    lines = text.splitlines()
    removed: tuple[Removal, ...] = ()
    reverted: tuple[str, ...] = ()
    if options.filters:
        rules = rulebook(options.rule_files, options.learned).for_text(text, url)
        result = filter_lines(lines, rules, page=source or url)
        lines, removed, reverted = list(result.lines), result.removed, result.reverted
    paragraphs = [line.strip() for line in lines if line.strip()]
    if not paragraphs:
        raise ExtractionError("nothing left after removing promo")
    first = paragraphs[0]
    title = first if len(first.split()) <= 20 and not first.endswith(".") else None
    return Article(text="\n\n".join(paragraphs), url=url, title=title, source=source or url,
                   removed=removed, reverted=reverted)
