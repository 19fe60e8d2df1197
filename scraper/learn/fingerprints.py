"""Page fingerprints for site-template learning: which blocks a page has, by text and position.

`fingerprint_page` is the per-page half of `scraper.learn.templates`, cheap enough to run in worker
processes: the normalised text of each block, whether it sits in the article's running text
(the sign-off guard), and the position of boxes that have stable class or id names.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

from lxml.html import HtmlElement

from scraper.clean.parse import parse_html
from scraper.clean.decode import decode_bytes
from scraper.clean.metadata import page_url
from scraper.clean.sections import BLOCK_TAGS, element_texts, strip_invisible
from scraper.clean.rules import normalise_text
from scraper.urls import known_url, site_of

_BLOCKS = frozenset(BLOCK_TAGS)
_BOXES = frozenset({"div", "section", "aside", "form", "ul", "ol", "dl", "table"})
_INLINE = frozenset({"a", "abbr", "b", "br", "cite", "code", "em", "i", "img", "mark", "q", "s", "small",
                     "span", "strong", "sub", "sup", "time", "u", "wbr"})
_TEXT_BLOCKS = frozenset({"p", "div", "blockquote", "h2", "h3", "h4", "h5", "h6"})
_PROSE_CHARS = 80  # a sentence or two: what article paragraphs are and menu items are not
_LINKY = 0.6  # share of a box's characters in links that makes it a list of links
_TAG = re.compile(r"[a-z][a-z0-9-]*\Z")
_STABLE = re.compile(r"[A-Za-z][\w-]*\Z")
# Generated class names: CSS-in-JS prefixes, CSS-module suffixes, and hash-like segments that mix
# letters and digits ("box-a1b2", "Card_wrap__3xYz1"); "col-md-6" or "h2-title" stay stable.
_HASHED = re.compile(r"^(css|sc|jsx|svelte|emotion|styled)-|__(?=\w*(\d|[a-z][A-Z]))\w{5,}$"
                     r"|(^|[-_])(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{4,}($|[-_])", re.IGNORECASE)
# Blocks trafilatura reads author and date from stay, whatever they look like across pages.
_METADATA = re.compile(r"(^|[\s_-])(author|authors|byline|dateline|date|time|timestamp|published|pubdate"
                       r"|datepublished|datemodified|posted-on)([\s_-]|$)", re.IGNORECASE)
# Page chrome trafilatura leaves out by itself. Removing it first is no gain and can tip
# trafilatura's choice between its own and its fallback extraction: on a consumerreports.org
# page of shared/bench/wcxb-dev, removing the mega-menu cut the article from 696 words to 171.
_CHROME_TAGS = frozenset({"nav", "header", "footer"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})


@dataclass(frozen=True)
class TemplateOptions:
    """When a block counts as template: on at least `min_pages` pages and `min_share` of the site's."""

    min_pages: int = 3
    min_share: float = 0.5
    min_chars: int = 15  # shorter texts ("Home", "Share") are too generic to remove by text alone
    max_chars: int = 2000
    # Counts kept in memory over all sites (about 200 bytes each); beyond it, the least recently
    # seen sites too small to have learned anything are forgotten first.
    max_entries: int = 500_000


@dataclass(frozen=True)
class PagePrint:
    """What one page tells its site: computed in worker processes, merged in the parent."""

    site: str
    signature: str  # the same article fetched twice counts once
    texts: dict[str, bool]  # normalised block text -> it sat in the page's running text
    positions: dict[str, tuple[bool, int]]  # position key -> (only links, crc32 of its text)


def _step(el: HtmlElement) -> str:
    """One step of a position key: the tag with its stable id, else with its stable classes."""
    tag = el.tag if _TAG.match(el.tag) else "*"
    ident = (el.get("id") or "").strip()
    if ident and _STABLE.match(ident) and not _HASHED.search(ident):
        return f"{tag}#{ident}"
    classes = sorted({c for c in (el.get("class") or "").split() if _STABLE.match(c) and not _HASHED.search(c)})
    return tag + "".join("." + c for c in classes)


def position_xpath(key: str) -> str:
    """The XPath of a position key: `div#main/aside.links` -> `//div[@id="main"]/aside[...]`."""
    steps = []
    for step in key.split("/"):
        if "#" in step:
            tag, ident = step.split("#", 1)
            steps.append(f'{tag}[@id="{ident}"]')
        else:
            tag, *classes = step.split(".")
            steps.append(tag + "".join(f'[contains(concat(" ", normalize-space(@class), " "), " {c} ")]'
                                       for c in classes))
    return ("//" if "#" in key.split("/", 1)[0] else "/html/body/") + "/".join(steps)


def _in_running_text(el: HtmlElement, texts: dict[HtmlElement, str], memo: dict[tuple[HtmlElement, str], bool]) -> bool:
    """The sign-off guard: is this plain block one of the article's own paragraphs?

    A site's standard paragraph ("This story was produced in partnership with ...") sits among
    the article's paragraphs; promo boxes, link lists and footers are boxes of their own. So: the
    block (or the wrappers around it that hold nothing else) has at least three prose siblings
    (80+ characters) of its own tag. Measured on the 793 real pages of shared/bench/wcxb-dev:
    this holds for 78% of the last paragraphs of the true article text, where sign-offs sit,
    and for 16% of plain boilerplate paragraphs, most of them in-article disclosures and
    sign-offs. Also asking that prose be most of the siblings halves the first figure (bodies
    mix in headings, figures and lists); two prose siblings double the second.
    """
    text = texts[el].strip()
    while (parent := el.getparent()) is not None and parent.tag != "body" and texts[parent].strip() == text:
        el = parent
    if parent is None:
        return False
    kind = el.tag if el.tag in ("p", "div", "section") else "p"
    if (parent, kind) not in memo:
        prose = sum(1 for c in parent if c.tag == kind and len(texts.get(c, "").strip()) >= _PROSE_CHARS)
        memo[parent, kind] = prose >= 3
    return memo[parent, kind]


def fingerprint(root: HtmlElement, site: str, options: TemplateOptions) -> PagePrint:
    """Fingerprint a parsed page (scripts and styles are dropped from `root`)."""
    strip_invisible(root)
    texts: dict[str, bool] = {}
    positions: dict[str, tuple[bool, int]] = {}
    prose: set[str] = set()
    memo: dict[tuple[HtmlElement, str], bool] = {}
    for body in root.iter("body"):
        raw_texts = element_texts(body)
        stack = [(body, "", False)]
        while stack:
            parent, path, meta = stack.pop()
            for el in parent:
                raw = raw_texts.get(el, "")
                if len(raw) < options.min_chars or el.tag in _CHROME_TAGS or el.get("role") in _CHROME_ROLES:
                    continue  # too short (and so is everything below it), or chrome
                step = _step(el)
                key = step if "#" in step else f"{path}/{step}" if path else step
                attrs = " ".join(v for a in ("class", "id", "itemprop") if (v := el.get(a)))
                is_meta = meta or bool(_METADATA.search(attrs))
                stack.append((el, key, is_meta))
                if el.tag not in _BLOCKS or is_meta or el.find(".//time") is not None:
                    continue
                text = normalise_text(raw)
                if not options.min_chars <= len(text) <= options.max_chars:
                    continue
                in_text = False
                if el.tag in _TEXT_BLOCKS and not any(isinstance(c.tag, str) and c.tag not in _INLINE for c in el):
                    in_text = _in_running_text(el, raw_texts, memo)
                    if in_text and len(text) >= _PROSE_CHARS:
                        prose.add(text)
                texts[text] = texts.get(text, False) or in_text
                if el.tag in _BOXES and step != el.tag and step != "*":
                    links = len("".join("".join(el.xpath(".//a//text()")).split()))
                    linky, crc = positions.get(key, (True, zlib.crc32(text.encode())))
                    positions[key] = (linky and links >= _LINKY * len(text.replace(" ", "")), crc)
    basis = sorted(prose) or sorted(texts)
    signature = hashlib.sha1("\n".join(basis).encode()).hexdigest()[:16]
    return PagePrint(site, signature, texts, positions)


def fingerprint_page(html: str | bytes, url: str | None, options: TemplateOptions,
                     site: str | None = None, http_charset: str | None = None) -> PagePrint | None:
    """Decode, parse and fingerprint one page; None when its site is unknown (no URL given,
    no canonical) and no fallback `site` is given. Raises `ScraperError` on bad input."""
    if isinstance(html, bytes):
        html, _ = decode_bytes(html, http_charset)
    return fingerprint_tree(parse_html(html), url, options, site)


def fingerprint_tree(root: HtmlElement, url: str | None, options: TemplateOptions,
                     site: str | None = None) -> PagePrint | None:
    """`fingerprint_page` of a page parsed already (its scripts and styles are dropped), as
    cleaning parsed it: the same parse serves both."""
    found = page_site(root, url) or site
    return fingerprint(root, found, options) if found else None


def page_site(root: HtmlElement, url: str | None) -> str | None:
    """The site a parsed page learns for: its URL's, else its canonical link's."""
    return site_of(known_url(url, page_url(root, None)))
