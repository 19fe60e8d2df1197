"""Page structure that pruning and template fingerprints read: blocks and their text (in one
walk), scripts and styles to drop, section headings, ids generated from text, and how much of a
block is prose rather than links.

Kept apart from `scraper.clean.prune` so that each reads at once: prune decides what the rules take;
this module answers questions about the page's own structure.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

PROTECTED = frozenset({"html", "body", "head"})
# Elements an `exact` rule can remove, and that site templates are learned from: blocks, never
# inline phrases, so a recurring "Update:" in bold cannot cut into a sentence.
BLOCK_TAGS = ("div", "section", "aside", "nav", "header", "footer", "form", "ul", "ol", "li", "dl",
              "table", "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "figcaption",
              "details")
_BLOCKS = frozenset(BLOCK_TAGS)
# Elements whose text stands apart from its neighbours': a space goes between them.
_SEPARATED = _BLOCKS | {"br", "td", "th", "dt", "dd", "tr", "button", "label", "option"}
# Scripts and styles are noise to every later stage, but JSON-LD carries metadata.
_INVISIBLE = etree.XPath('/descendant::script[not(contains(@type, "ld+json"))]|/descendant::style'
                         '|/descendant::template')
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def text_length(el: HtmlElement) -> int:
    """Characters of text below `el`; scripts and styles were stripped before."""
    return len(el.text_content())


def link_length(el: HtmlElement) -> int:
    return sum(len(t) for t in el.xpath(".//a//text()"))


def own_text(el: HtmlElement) -> int:
    """Visible characters that are not link text: what makes a block prose rather than a list."""
    return text_length(el) - link_length(el)


_SLUG_GAP = re.compile(r"[\W_]+")
# A slug this long is a sentence, not a label a developer would give a promo box.
_SLUG_MIN_WORDS = 5


def text_slug(el: HtmlElement, value: str) -> bool:
    """Whether an id was generated from the element's text, as CMSs do for headings
    ("we-want-every-engineer-to-know-more-about…"): it names the text, not what the block is, so
    class/id patterns must not read it (a closing quote was taken for a "more-about" box)."""
    if el.tag in _HEADINGS:
        return True
    slug = [w for w in _SLUG_GAP.split(value.lower()) if w]
    if len(slug) < _SLUG_MIN_WORDS:
        return False
    text = [w for w in _SLUG_GAP.split(el.text_content()[:400].lower()) if w]
    return text[:len(slug)] == slug


_SECTION_HEADING = etree.XPath("self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or "
                                "(count(*) <= 3 and (h2 or h3 or h4 or h5 or h6) and string-length() < 120)")
# A section that keeps this much non-link text after the removal still needs its heading; a
# removal smaller than this is no section of its own.
_SECTION_TEXT = 80


def _element_before(el: HtmlElement) -> HtmlElement | None:
    prev = el.getprevious()
    while prev is not None and not isinstance(prev.tag, str):
        prev = prev.getprevious()
    return prev


def orphaned_heading(el: HtmlElement, planned: set[int]) -> HtmlElement | None:
    """The heading whose whole section `el` is ("References" over a list of references), which
    would be left behind alone; wrappers that hold nothing but `el` count as `el`."""
    for _ in range(3):
        prev = _element_before(el)
        if prev is not None or el.getparent() is None:
            break
        parent = el.getparent()
        if parent.tag in PROTECTED or len(parent.text_content()) > len(el.text_content()) + 3:
            return None
        el = parent
    if (prev is None or id(prev) in planned or el.tag not in _BLOCKS
            or len(el.text_content()) < _SECTION_TEXT or not _SECTION_HEADING(prev)):
        return None  # a small control ("6 min", a button) under a card's heading is no section
    if (parent := el.getparent()) is not None and _SECTION_HEADING(parent):
        return None  # a part of the heading itself (its "[edit]" link)
    for sib in el.itersiblings():
        if not isinstance(sib.tag, str) or id(sib) in planned:
            continue
        if _SECTION_HEADING(sib):
            break
        if own_text(sib) > _SECTION_TEXT:
            return None
    return prev


def strip_invisible(root: HtmlElement) -> None:
    """Drop scripts, styles and templates in place (JSON-LD stays for the metadata)."""
    for el in _INVISIBLE(root):
        el.drop_tree()


def element_texts(root: HtmlElement) -> dict[HtmlElement, str]:
    """The text of every element below `root`, in one walk; unlike `text_content()`, blocks are
    set apart by spaces, so a box's text reads "Related Harbour news", not "RelatedHarbour news"."""
    texts: dict[HtmlElement, str] = {}
    # Children before parents: each element's text is built once from its children's.
    for el in reversed(list(root.iter(etree.Element))):
        parts = [el.text or ""]
        for child in el:
            text = texts.get(child)  # None for comments: not page text, but their tail is
            if text is not None:
                parts.append(f" {text} " if child.tag in _SEPARATED else text)
            parts.append(child.tail or "")
        texts[el] = "".join(parts)
    return texts
