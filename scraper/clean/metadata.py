"""Page metadata (title, author, date, site, description, language, canonical URL), cheaply.

trafilatura's metadata pass costs 8-18 ms a page (author XPaths on a tree copy, tags, licence).
This one reads what the page declares (JSON-LD, meta tags, `<title>`, `<h1>`, `<time>`) in one
C-level pass; the title is chosen in `scraper.clean.titles`, bylines are searched only when no author
is declared (`scraper.clean.bylines`), and htmldate is asked only when no date is declared or shown
(`scraper.clean.dates`). The tree is never modified: trafilatura runs on it afterwards.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator
from urllib.parse import urljoin

from lxml.etree import XPath
from lxml.html import HtmlElement

from scraper.clean.bylines import byline_authors, clean_authors, microdata_authors
from scraper.clean.dates import guessed_date, iso_date, shown_date
from scraper.clean.titles import META_TITLE, choose_title, name_key, site_keys
from scraper.urls import declared_host

# Tag-filtered iteration and `/descendant::` paths run in C; `//x[@a]` is ten times slower.
_SOURCE_TAGS = ("meta", "script", "title", "h1", "link", "time")
_MICRODATA_DATES = XPath('/descendant::*[@itemprop="datePublished"][not(self::meta)]')

_LANG = re.compile(r"^[a-zA-Z]{2,3}(?=$|[-_])")

_META_AUTHOR = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
                "dcterms.creator", "citation_author", "byl")
_META_DATE = ("article:published_time", "og:published_time", "datepublished", "parsely-pub-date",
              "sailthru.date", "dc.date", "dcterms.created", "dc.date.issued", "dcterms.date",
              "publish-date", "pubdate", "published", "publish_date", "date",
              "citation_publication_date", "article:published")
_META_DESCRIPTION = ("og:description", "description", "twitter:description", "dc.description")


@dataclass(frozen=True)
class PageMeta:
    """What a page says about itself; a field the page does not tell is None."""

    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    description: str | None = None
    language: str | None = None
    canonical_url: str | None = None


def extract_metadata(root: HtmlElement, url: str | None) -> PageMeta:
    """Metadata of a parsed page; `url` is where it came from (for the host and relative links)."""
    found = _gather(root)
    ld = _linked_data(found.ld_nodes)
    canonical = _absolute(found.canonical or _first(found.meta, "og:url"), url)
    host = declared_host(url or canonical)
    sitename = _first(found.meta, "og:site_name") or ld.publisher
    sitename = (declared_host(sitename) if sitename and sitename.startswith("http") else sitename) or host
    keys = site_keys(sitename, host)
    language = page_language(root, found.meta.get("content-language", []) + found.meta.get("og:locale", []))
    return PageMeta(
        title=choose_title([t for t in [_first(found.meta, k) for k in META_TITLE] + [ld.headline] if t],
                           found.titles, found.h1, keys),
        author=_choose_author(root, found, ld, keys),
        date=_choose_date(root, found, ld, url or canonical),
        sitename=sitename,
        description=next((found.meta[k][0] for k in _META_DESCRIPTION if k in found.meta), ld.description),
        language=language or _language_tag(ld.language),
        canonical_url=canonical,
    )


def page_url(root: HtmlElement, base: str | None) -> str | None:
    """The page's own address: `<link rel=canonical>`, else `og:url`, made absolute."""
    canonical = og_url = None
    for el in root.iter("link", "meta"):
        if el.tag == "link" and el.get("rel") == "canonical" and not canonical:
            canonical = _text(el.get("href"))
        elif el.get("property") == "og:url" and not og_url:
            og_url = _text(el.get("content"))
    return _absolute(canonical or og_url, base)


def page_language(root: HtmlElement, declared: list[str] | None = None) -> str | None:
    """Primary language subtag from `<html lang>`, else `content-language` or `og:locale` values."""
    if declared is None:
        declared = [el.get("content", "") for el in root.iter("meta")
                    if (el.get("http-equiv") or "").lower() == "content-language"
                    or el.get("property") == "og:locale"]
    return next(filter(None, map(_language_tag, [root.get("lang"), root.get("xml:lang"), *declared])), None)


# --- what the page declares -------------------------------------------------------------------

@dataclass
class _Found:
    meta: dict[str, list[str]] = field(default_factory=dict)  # name/property/itemprop -> contents
    ld_nodes: list[dict[str, Any]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    h1: list[str] = field(default_factory=list)
    canonical: str | None = None
    times: list[HtmlElement] = field(default_factory=list)


@dataclass
class _LinkedData:
    """What JSON-LD says about the article (else the web page) this page is."""

    headline: str | None = None
    people: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    dates: list[Any] = field(default_factory=list)
    publisher: str | None = None
    description: str | None = None
    language: str | None = None


def _gather(root: HtmlElement) -> _Found:
    found = _Found()
    for el in root.iter(*_SOURCE_TAGS):
        if el.tag == "meta":
            key = (el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or "")
            if (key := key.strip().lower()) and (value := _text(el.get("content"))):
                found.meta.setdefault(key, []).append(value)
        elif el.tag == "script":
            if "ld+json" in (el.get("type") or ""):
                found.ld_nodes.extend(_json_nodes(el.text or ""))
        elif el.tag == "h1":
            if text := _line_text(el):
                found.h1.append(text)
        elif el.tag == "title":  # not the <title> of an inline <svg>
            parent = el.getparent()
            if parent is not None and parent.tag in ("head", "html") and (text := _line_text(el)):
                found.titles.append(text)
        elif el.tag == "link":
            if el.get("rel") == "canonical" and not found.canonical:
                found.canonical = _text(el.get("href"))
        elif el.get("datetime"):
            found.times.append(el)
    return found


def _json_nodes(text: str) -> list[dict[str, Any]]:
    """Every object of a JSON-LD block with `@graph` and `mainEntity` unfolded; broken JSON gives none."""
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip().rstrip(";")
    try:
        pending = [json.loads(text, strict=False)]
    except (ValueError, RecursionError):
        return []
    nodes: list[dict[str, Any]] = []
    while pending and len(nodes) < 200:
        item = pending.pop(0)
        if isinstance(item, list):
            pending[:0] = item
        elif isinstance(item, dict):
            nodes.append(item)
            pending.extend(item[k] for k in ("@graph", "mainEntity") if isinstance(item.get(k), (list, dict)))
    return nodes


def _linked_data(nodes: list[dict[str, Any]]) -> _LinkedData:
    index = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}

    def resolve(item: Any) -> Any:  # {"@id": ...} references point to nodes elsewhere in @graph
        return index.get(item.get("@id"), item) if isinstance(item, dict) and "name" not in item else item

    main = (next((n for n in nodes if any(t.endswith(("article", "posting", "report")) and t != "jobposting"
                                          for t in _types(n))), None)
            or next((n for n in nodes if any(t.endswith("page") for t in _types(n))), None))
    site = next((n for n in nodes if "website" in _types(n)), {})
    if main is None:
        return _LinkedData(publisher=_text(site.get("name")))
    ld = _LinkedData(headline=_text(main.get("headline")) or _text(main.get("name")),
                     dates=[main.get(k) for k in ("datePublished", "dateCreated", "uploadDate")],
                     description=_text(main.get("description")), language=_text(main.get("inLanguage")))
    authors = main.get("author") or main.get("creator")
    for item in map(resolve, authors if isinstance(authors, list) else [authors]):
        if isinstance(item, dict):
            name = item.get("name")
            name = _text(name.get("name") if isinstance(name, dict) else name) or _text(
                " ".join(_text(item.get(k)) or "" for k in ("givenName", "familyName")))
            (ld.groups if "organization" in _types(item) else ld.people).append(name or "")
        elif isinstance(item, str):
            ld.people.append(_text(item) or "")
    publisher = resolve(main.get("publisher"))
    publisher = publisher[0] if isinstance(publisher, list) and publisher else publisher
    ld.publisher = _text(resolve(publisher).get("name") if isinstance(publisher, dict) else publisher)
    if not ld.publisher or ld.publisher.startswith("http"):
        ld.publisher = _text(site.get("name"))
    return ld


# --- author ---------------------------------------------------------------------------------------

def _choose_author(root: HtmlElement, found: _Found, ld: _LinkedData, keys: frozenset[str]) -> str | None:
    """Declared people first; a name that is the site's own is kept only when no person is found."""
    stages: tuple[Callable[[], str | None], ...] = (
        lambda: clean_authors(ld.people),
        lambda: clean_authors([v for k in _META_AUTHOR for v in found.meta.get(k, [])]),
        lambda: clean_authors(microdata_authors(root)),
        lambda: byline_authors(root),
        lambda: clean_authors(ld.groups),
    )
    fallback = None
    for stage in stages:
        if authors := stage():
            if name_key(authors) not in keys:
                return authors
            fallback = fallback or authors
    return fallback


# --- date -----------------------------------------------------------------------------------------

def _choose_date(root: HtmlElement, found: _Found, ld: _LinkedData, url: str | None) -> str | None:
    for value in _date_candidates(root, found, ld):
        if isinstance(value, str) and (found_date := iso_date(value)):
            return found_date
    if shown := shown_date(root):
        return shown
    return guessed_date(root, url)


def _date_candidates(root: HtmlElement, found: _Found, ld: _LinkedData) -> Iterator[Any]:
    """Declared publication dates, most explicit first; the page is searched only if need be."""
    yield from ld.dates
    yield from (found.meta[k][0] for k in _META_DATE if k in found.meta)
    for el in _MICRODATA_DATES(root):
        yield el.get("datetime") or el.get("content") or el.text_content()
    for el in found.times:
        parent = el.getparent()
        marks = f"{el.get('class')} {el.get('itemprop')}"
        if parent is not None:
            marks += f" {parent.get('class')} {parent.text}"
        if "modif" not in marks.lower() and "updat" not in marks.lower():
            yield el.get("datetime")


# --- small helpers --------------------------------------------------------------------------------

def _text(value: Any) -> str | None:
    """A JSON or attribute value as one clean line; the first string of a list. HTML entities
    are unescaped: sites write JSON-LD from HTML templates ("Lindsey O&#039;Donnell")."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    if "&" in value:
        value = html.unescape(value)
    return " ".join(value.split()) or None


def _line_text(el: HtmlElement) -> str:
    """An element's text on one line; `<br>` separates words as it does on screen."""
    parts = [el.text or ""]
    _flatten(el, parts)
    return " ".join("".join(parts).split())


def _flatten(el: HtmlElement, parts: list[str]) -> None:
    for child in el:
        if isinstance(child.tag, str):  # comments keep only their tail
            parts.append(" " if child.tag == "br" else child.text or "")
            _flatten(child, parts)
        parts.append(child.tail or "")


def _types(node: dict[str, Any]) -> list[str]:
    kinds = node.get("@type")
    return [k.lower() for k in (kinds if isinstance(kinds, list) else [kinds]) if isinstance(k, str)]


def _first(meta: dict[str, list[str]], key: str) -> str | None:
    return meta[key][0] if key in meta else None


def _absolute(href: str | None, base: str | None) -> str | None:
    return urljoin(base, href) if href and base else href


def _language_tag(value: str | None) -> str | None:
    match = _LANG.match(value.strip()) if value else None
    return match.group(0).lower() if match else None
