"""The cleaning stage: decode, prune by rules, extract with trafilatura, filter text.

`clean_html` and `clean_text` are the library's two entry points; both return an `Article`
or raise a `ScraperError` subclass that says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import re
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from lxml.html import HTMLParser, HtmlElement, document_fromstring

from .article import Article, Removal
from .decode import decode_bytes
from .errors import ExtractionError, InputError
from .extract import Extracted, ExtractOptions, extract_body, paragraph_chars
from .metadata import PageMeta, extract_metadata
from .filters import filter_lines
from .prune import PruneOptions, prune
from .recovery import GuardOptions, article_removals, worth_checking
from .rules import RuleBook, RuleFile, RuleSet


@dataclass(frozen=True)
class CleanOptions:
    """What to clean with: extra rule files, learned site templates, and whether each stage runs."""

    rule_files: tuple[str, ...] = ()
    # Site templates learned from a batch (scraper.templates); applied after the rule files.
    learned: tuple[RuleFile, ...] = ()
    # Largest page (after decompression) cleaned, as the crawler's default: real article pages
    # are far below it, and beyond it lxml and trafilatura take seconds and hundreds of MB.
    max_bytes: int = 10 * 1024 * 1024
    # Fewer words than this is a menu or a stub, not an article.
    min_words: int = 5
    prune: bool = True
    filters: bool = True
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    safety: PruneOptions = field(default_factory=PruneOptions)
    never_lose: GuardOptions = field(default_factory=GuardOptions)
    # Rule names to leave out (`scraper eval --folds` measures pages without the rules that
    # only their own domains support).
    disabled_rules: frozenset[str] = frozenset()


DEFAULT_OPTIONS = CleanOptions()


@lru_cache(maxsize=16)
def _files_rulebook(rule_files: tuple[str, ...]) -> RuleBook:
    return RuleBook.default(Path(p) for p in rule_files)


def _without(files: tuple[RuleFile, ...], names: frozenset[str]) -> list[RuleFile]:
    return [replace(f, html=tuple(r for r in f.html if r.name not in names),
                    text=tuple(r for r in f.text if r.name not in names)) for f in files]


# Larger than the files cache: a batch hands each page the template of its own site.
@lru_cache(maxsize=256)
def rulebook(rule_files: tuple[str, ...], learned: tuple[RuleFile, ...] = (),
             disabled: frozenset[str] = frozenset()) -> RuleBook:
    """Shipped rules plus the given files and learned templates, without the `disabled` rule
    names; loaded and compiled once per process."""
    base = _files_rulebook(rule_files)
    if disabled:
        return RuleBook(_without((*base.files, *learned), disabled))
    return RuleBook([*base.files, *learned]) if learned else base




def _html_parser() -> HTMLParser:
    """lxml.html's parser, with the same element classes looked up in C: lxml.html asks a Python
    method for the class of every element object made, ~5,000 a page counting trafilatura's work
    on our tree (3 % of cleaning)."""
    parser = HTMLParser(collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True)
    classes = getattr(lxml.html.HtmlElementClassLookup, "_default_element_classes", None)
    if classes is None:  # another lxml: its own lookup, slower but the same
        return parser
    lookup = etree.ElementNamespaceClassLookup(etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity))
    lookup.get_namespace(None).update(classes)
    parser.set_element_class_lookup(lookup)
    return parser


_PARSER = _html_parser()
# libxml2 ignores `</button>` while a <div> opened inside the button is still open, so the rest
# of the page nests in the button, and trafilatura deletes it with every other button (seen on
# Dotdash Meredith pages: the body then comes from its one-line baseline). Buttons hold phrasing
# content only, so one holding the page's structure is a parse artifact, unwrapped here.
_SWALLOWING_BUTTONS = etree.XPath("/descendant::button[descendant::main or descendant::article or count(descendant::p) > 2]")
# lxml refuses str input that still declares an encoding; the bytes were decoded already.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


# C0 controls other than tab, newline and carriage return: lxml refuses to set them as text,
# so a page holding one (a stray \x0b beside a block the rules remove) failed with ValueError.
# Browsers show nothing for them; a space keeps the words on either side apart.
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Looked for one by one: 29 substring scans in C cost half the regex search on a whole page.
_XML_INCOMPATIBLE_CHARS = tuple(map(chr, (*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20))))


def parse_html(text: str) -> HtmlElement:
    """Parse a page with lxml (as trafilatura does, minus its checks: 30 % faster); raise
    `InputError` when it is not HTML at all."""
    if any(char in text for char in _XML_INCOMPATIBLE_CHARS):
        text = _XML_INCOMPATIBLE.sub(" ", text)
    try:
        root = document_fromstring(_XML_DECLARATION.sub("", text, count=1), parser=_PARSER)
    except (ValueError, RecursionError, etree.ParserError) as exc:
        raise InputError(f"cannot parse HTML: {exc}") from exc
    if root is None or not len(root):
        raise InputError("not an HTML document")
    for button in _SWALLOWING_BUTTONS(root):
        button.drop_tag()
    return root


@dataclass
class _Draft:
    """A page pruned and extracted, before the text filters."""

    body: Extracted | None
    removed: list[Removal] = field(default_factory=list)
    reverted: list[str] = field(default_factory=list)
    taken: tuple[str, ...] = ()
    prose: tuple[int, ...] = ()
    # Paragraph text left on the page after pruning.
    kept_chars: int = 0


def _draft(root: HtmlElement, rules: RuleSet, meta: PageMeta, url: str | None, options: CleanOptions,
           page_chars: int, spare: frozenset[str] = frozenset()) -> _Draft:
    """Prune `root` in place (sparing blocks whose text is in `spare`) and extract its body."""
    draft = _Draft(None)
    if options.prune:
        result = prune(root, rules, options.safety, description=meta.description, spare=spare, page=url)
        draft = _Draft(None, list(result.removed), list(result.reverted), result.taken, result.prose,
                       paragraph_chars(root) if result.removed else page_chars)
    draft.body = extract_body(root, url, options.extract, page_chars)
    return draft


def _never_lose(html: str, draft: _Draft, rules: RuleSet, meta: PageMeta, url: str | None,
                options: CleanOptions, page_chars: int, warnings: list[str]) -> _Draft:
    """The never-lose guard (scraper.recovery): when the pruned body is short, compare it with
    an unpruned extraction and undo the removals that took the article."""
    if not draft.removed:
        return draft
    words = len(draft.body.text.split()) if draft.body is not None else 0
    if words < options.min_words:
        # Our rules may have taken the only block trafilatura recognised: retry without them.
        body = extract_body(parse_html(html), url, options.extract, page_chars)
        if body is not None:
            warnings.append("html rules undone: extraction found nothing after pruning")
            return _Draft(body, [], [*draft.reverted, "html rules: extraction found nothing after pruning; undone"])
        return draft
    if not worth_checking(draft.body.text, page_chars, draft.kept_chars, draft.prose, options.never_lose):
        return draft
    unpruned = extract_body(parse_html(html), url, options.extract, page_chars)
    if unpruned is None:
        return draft
    spare = article_removals(draft.body.text, unpruned.text, draft.taken, options.never_lose)
    if not spare:
        return draft
    warnings.append(f"html rules took article text: {len(spare)} removal(s) undone")
    return _draft(parse_html(html), rules, meta, url, options, page_chars, spare)


def _parses(url: str | None) -> bool:
    """Whether the URL machinery (rules by site, metadata) can take `url` without raising."""
    try:
        urlsplit(url or "").port  # noqa: B018  (".port" is where a bad port raises)
    except ValueError:
        return False
    return True


def _given_url(url: str | None) -> str | None:
    if url is not None and not _parses(url):
        raise InputError("invalid URL: unparseable")
    return url


def clean_html(html: str | bytes, url: str | None = None, *, options: CleanOptions | None = None,
               http_charset: str | None = None, source: str | None = None) -> Article:
    """Clean one page into an `Article`; bytes are decoded by our own decoder first."""
    options = options or DEFAULT_OPTIONS
    url = _given_url(url)
    encoding = None
    if len(html) > options.max_bytes:
        raise InputError(f"page larger than {options.max_bytes / 2**20:.3g} MB")
    if isinstance(html, bytes):
        html, encoding = decode_bytes(html, http_charset)
    elif not html.strip():
        raise InputError("empty input")
    root = parse_html(html)
    # Metadata first: bylines and dates often sit in blocks that the promo rules remove.
    meta = extract_metadata(root, url)
    # A hostile page's canonical link ("http://[oops") must not break rule lookup by site.
    page_url_ = url or (meta.canonical_url if _parses(meta.canonical_url) else None)
    rules = rulebook(options.rule_files, options.learned, options.disabled_rules).for_url(page_url_)
    page_chars = paragraph_chars(root)
    warnings: list[str] = []
    try:
        draft = _draft(root, rules, meta, page_url_, options, page_chars)
        if options.never_lose.enabled:
            draft = _never_lose(html, draft, rules, meta, page_url_, options, page_chars, warnings)
    except RecursionError as exc:
        raise ExtractionError("page too deeply nested to extract") from exc
    if draft.body is None:
        raise ExtractionError("no article text found")
    if draft.body.full:
        warnings.append("full extraction used")
    lines, removed, reverted = draft.body.text.splitlines(), draft.removed, draft.reverted
    if options.filters:
        filtered = filter_lines(lines, rules, brand=meta.sitename, trim_edges=True,
                                title=meta.title, page=source or page_url_)
        lines, removed, reverted = list(filtered.lines), removed + list(filtered.removed), reverted + list(filtered.reverted)
    text = "\n\n".join(line.strip() for line in lines if line.strip())
    if len(text.split()) < options.min_words:
        raise ExtractionError("no article text found" if text else "nothing left after removing promo")
    guard = options.never_lose
    if page_chars >= guard.warn_min_chars and len(text) < guard.warn_share * page_chars:
        warnings.append("body much shorter than the page text")
    return Article(
        text=text, url=url or page_url_, canonical_url=meta.canonical_url, title=meta.title,
        author=meta.author, date=meta.date, sitename=meta.sitename, description=meta.description,
        language=meta.language, source=source or url, encoding=encoding, removed=tuple(removed),
        reverted=tuple(reverted), warnings=tuple(warnings),
    )


def clean_text(text: str, url: str | None = None, *, options: CleanOptions | None = None,
               source: str | None = None) -> Article:
    """Clean already-scraped text: one paragraph per line, promo lines and headline lists dropped."""
    options = options or DEFAULT_OPTIONS
    url = _given_url(url)
    if not text.strip():
        raise InputError("empty input")
    lines = text.splitlines()
    removed: tuple[Removal, ...] = ()
    reverted: tuple[str, ...] = ()
    if options.filters:
        rules = rulebook(options.rule_files, options.learned, options.disabled_rules).for_text(text, url)
        result = filter_lines(lines, rules, page=source or url)
        lines, removed, reverted = list(result.lines), result.removed, result.reverted
    paragraphs = [line.strip() for line in lines if line.strip()]
    if not paragraphs:
        raise ExtractionError("nothing left after removing promo")
    first = paragraphs[0]
    title = first if len(first.split()) <= 20 and not first.endswith(".") else None
    return Article(text="\n\n".join(paragraphs), url=url, title=title, source=source or url,
                   removed=removed, reverted=reverted)
