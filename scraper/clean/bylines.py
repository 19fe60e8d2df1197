"""Author names: cleaning declared author strings, and finding bylines when none is declared.

Split out of `metadata` because names need their own rules: "By" prefixes, dates and
credentials trail them, several share one string, and interface words ("Read more", "View all
posts") sit in byline elements beside them.
"""

from __future__ import annotations

import re

from lxml.etree import XPath
from lxml.html import HtmlElement

from scraper.clean.dates import MONTHS, VISIBLE

_MICRODATA_AUTHORS = XPath('/descendant::*[@itemprop][contains(@itemprop, "author")][not(self::meta)]')
_BYLINES = XPath('/descendant::*[@class][contains(@class, "uthor") or contains(@class, "yline")]')
# Bylines and dates sit close to the headline: looking at the first nodes after it only keeps
# these fallbacks cheap on long pages. A page without <h1> is searched whole.
_HAS_BY = 'contains(., "by") or contains(., "By") or contains(., "BY")'
_BY_TEXT_NEAR = XPath(f"(/descendant::h1)[1]/following::text()[position() <= 300][{_HAS_BY}][{VISIBLE}]")
_BY_TEXT_ANYWHERE = XPath(f"/descendant::body/descendant::text()[{_HAS_BY}][{VISIBLE}]")
_TO_AUTHOR = '@rel="author" or contains(@href, "/author/") or contains(@href, "/authors/")'
_AUTHOR_LINKS_NEAR = XPath(f"(/descendant::h1)[1]/following::a[position() <= 100][{_TO_AUTHOR}]")
_AUTHOR_LINKS_ANYWHERE = XPath(f"/descendant::body/descendant::a[{_TO_AUTHOR}]")
_IN_COMMENTS = XPath('ancestor::*[contains(@class, "comment") or contains(@id, "comment")]')

_BY_PREFIX = re.compile(r"^\W*(?:(?:written|posted|published|reviewed|words|story|text|edited)\s+)?"
                        r"(?:by|von|par|por|di|door|av|authors?|autor|auteur)\b[:\s]*", re.I)
_AUTHOR_TAIL = re.compile(r"\s*(?:\||•|\bon\s+\w|\b(?:last\s+)?updated\b|\bpublished\b|\bposted\b|\d|"
                          r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d).*$", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:[,;|/&]|\band\b|\bund\b|\bet\b)\s*", re.I)
_CREDENTIAL = re.compile(r"^(?:[A-Z]{2,6}(?:-[A-Z]+)?|(?:[A-Za-z]{1,4}\.){1,4}|PhD|MSc|BSc|MPH|MBA)$")
_PARENTHESES = re.compile(r"\s*[(\[][^)\]]*[)\]]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.\w")
_DOMAIN = re.compile(r"[^\W\d_]\.[^\W\d_]{2,}")
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")

# Lower-case words that belong inside names ("Ludwig van Beethoven", "the Editorial Team").
_PARTICLES = frozenset("the van von der den de del della da di du la le bin al el y dos das ten ter zu"
                       .split())
# Words that byline-like elements hold besides names ("Read more", "View all posts").
_NOT_NAMES = frozenset("more read view follow share subscribe sign log login contact posts profile "
                       "bio comments reply menu search".split())
_GENERIC_AUTHORS = frozenset({*MONTHS, "admin", "administrator", "staff", "editor", "editors", "guest",
                              "webmaster", "user", "null", "none", "unknown", "anonymous"})


def microdata_authors(root: HtmlElement) -> list[str]:
    """The names in elements marked `itemprop=author` (schema.org microdata)."""
    return [_element_authors(el) for el in _MICRODATA_AUTHORS(root)]


def clean_authors(values: list[str], declared: bool = True) -> str | None:
    """Names from author strings, without "By", dates and credentials, joined with "; "."""
    names: list[str] = []
    for value in values:
        if not value or value.startswith(("http", "@")) or _EMAIL.search(value):
            continue
        value = _PARENTHESES.sub(" ", _AUTHOR_TAIL.sub("", _BY_PREFIX.sub("", " ".join(value.split()))))
        for index, part in enumerate(_AUTHOR_SPLIT.split(value)):
            part = part.strip(" .:-–—()[]\"'")
            if not _is_name(part, declared, index == 0):
                continue
            part = part.title() if part.islower() else part
            if not any(part.lower() in n.lower() for n in names):
                names = [n for n in names if n.lower() not in part.lower()] + [part]
    return "; ".join(names) or None


def _is_name(part: str, declared: bool, first: bool) -> bool:
    """One to five words, no interface words; page text must also be capitalised like a name."""
    words = part.split()
    if not words or len(words) > 5 or len(part) < 2 or (not first and _CREDENTIAL.match(part)):
        return False
    if {w.lower() for w in words} & _NOT_NAMES or part.lower() in _GENERIC_AUTHORS:
        return False
    return declared or (not _DOMAIN.search(part) and all(
        _NAME_WORD.match(w) and (w[0].isupper() or w in _PARTICLES) for w in words))


def _element_authors(el: HtmlElement) -> str:
    """An author element's names: its `itemprop=name` parts or author-page links, else its text."""
    if content := el.get("content"):
        return content
    named = [n for n in el.iter() if n.get("itemprop") == "name"] or [
        n for n in el.iter("a") if "author" in (n.get("href") or "") or n.get("rel") == "author"]
    return " and ".join(_words(n) for n in named or [el])


def byline_authors(root: HtmlElement) -> str | None:
    """A short "By …" line after the headline, an author-page link, or an author/byline element."""
    has_h1 = next(root.iter("h1"), None) is not None
    for node in (_BY_TEXT_NEAR if has_h1 else _BY_TEXT_ANYWHERE)(root):
        el = node.getparent().getparent() if node.is_tail else node.getparent()
        for _ in range(2):  # "By" alone in its element: the name is in the parent's text
            if el is None or _IN_COMMENTS(el) or len(text := _words(el)) > 100:
                break
            if _BY_PREFIX.match(text) and (authors := clean_authors([text], declared=False)):
                return authors
            el = el.getparent()
    for el in (_AUTHOR_LINKS_NEAR if has_h1 else _AUTHOR_LINKS_ANYWHERE)(root):
        if not _IN_COMMENTS(el) and (authors := clean_authors([_words(el)], declared=False)):
            return authors
    for el in _BYLINES(root):
        if el.tag in ("meta", "link", "img", "body", "html") or _IN_COMMENTS(el):
            continue
        text = _element_authors(el)
        if 2 < len(text) < 120 and (authors := clean_authors([text], declared=False)):
            return authors
    return None


def _words(el: HtmlElement) -> str:
    """An element's text with its child elements' texts kept apart, as names in a byline are."""
    return " ".join(" ".join(el.itertext()).split())
