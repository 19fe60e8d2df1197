"""Page metadata from the cheap sources a page declares: JSON-LD, meta tags, `<title>`, `<h1>`.

trafilatura's metadata pass costs 8-18 ms a page (author XPaths on a tree copy, tags, licence);
this one reads the few elements that carry metadata in one C-evaluated XPath, walks bylines
only when no author was declared, and asks htmldate only when no date was declared.
The tree is never modified: trafilatura extracts the body from it afterwards.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement

_SOURCES = XPath('//meta[@content]|//script[contains(@type, "ld+json")]|//title|//h1'
                 '|//link[@rel="canonical"]|//time[@datetime]|//*[@itemprop]')
_BYLINES = XPath('//*[@rel="author" or contains(@class, "author") or contains(@class, "Author")'
                 ' or contains(@class, "byline") or contains(@class, "Byline")'
                 ' or contains(@id, "author") or contains(@data-testid, "uthor")]')
_COMMENTS = XPath('ancestor::*[contains(@class, "comment") or contains(@id, "comment")]')

_LANG = re.compile(r"^[a-zA-Z]{2,3}(?=$|[-_])")
_SEPARATORS = re.compile(r"\s+[|–—\-·•»:~/]+\s+|\s*::\s*")
_NOT_ALNUM = re.compile(r"[\W_]+")
_BY = re.compile(r"^\W*(?:(?:written|posted|published|reviewed|words|story|text|edited)\s+)?"
                 r"(?:by|von|par|por|di|door|av|author|authors|autor|auteur)\b[:\s]*", re.I)
_AUTHOR_TAIL = re.compile(r"\s*(?:\||\bon\b\s+\w|\bupdated\b|\bpublished\b|\d|[-–—]\s*\w+@).*$", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:[,;|/&]|\band\b|\bund\b|\bet\b)\s*", re.I)
_CREDENTIAL = re.compile(r"^(?:[A-Z]{2,6}(?:-[A-Z]+)?|(?:[A-Za-z]{1,4}\.){1,4}|PhD|MSc|BSc|MPH|MBA)$")
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)"
                  r"\s*(Z|[+-]\d{2}:?\d{2})?)?")
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})|(\d{4})(\d{2})(\d{2})$")
_MONTHS = {m: i for i, names in enumerate((
    "jan january", "feb february", "mar march", "apr april", "may", "jun june",
    "jul july", "aug august", "sep sept september", "oct october", "nov november",
    "dec december"), 1) for m in names.split()}
_TEXT_DATE = re.compile(r"\b(?:([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
                        r"|(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]{3,9})\.?,?\s+(\d{4}))\b", re.I)
_MIN_YEAR = 1995

_ARTICLE_TYPES = ("article", "posting", "report")
_META_TITLE = ("og:title", "twitter:title", "parsely-title", "sailthru.title", "dc.title", "headline")
_META_AUTHOR = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
                "dcterms.creator", "citation_author", "byl", "twitter:creator")
_META_DATE = ("article:published_time", "og:published_time", "datepublished", "parsely-pub-date",
              "sailthru.date", "dc.date", "dcterms.created", "dc.date.issued", "dcterms.date",
              "publish-date", "pubdate", "date", "citation_publication_date", "article:published")
_META_DESCRIPTION = ("og:description", "description", "twitter:description", "dc.description")
_GENERIC_AUTHORS = frozenset({"admin", "administrator", "staff", "editor", "editors", "guest",
                              "webmaster", "user", "null", "none", "unknown", "anonymous"})


@dataclass(frozen=True)
class PageMeta:
    """What a page says about itself; any field the page does not declare is None."""

    title: str | None = None
    author: str | None = None
    date: str | None = None
    sitename: str | None = None
    description: str | None = None
    language: str | None = None
    canonical_url: str | None = None


@dataclass
class _Found:
    """Raw candidates gathered in document order, before choosing."""

    meta: dict[str, list[str]]
    ld: list[dict[str, Any]]
    titles: list[str]
    h1: list[str]
    canonical: str | None
    times: list[HtmlElement]
    props: dict[str, list[HtmlElement]]


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _gather(root: HtmlElement) -> _Found:
    found = _Found({}, [], [], [], None, [], {})
    for el in _SOURCES(root):
        tag = el.tag
        if tag == "meta":
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
            if key and (value := _text(el.get("content"))):
                found.meta.setdefault(key, []).append(value)
        elif tag == "script":
            found.ld.extend(_json_nodes(el.text or ""))
        elif tag == "title":
            if title := _text(el.text_content()):
                found.titles.append(title)
        elif tag == "h1":
            if heading := _text(el.text_content()):
                found.h1.append(heading)
        elif tag == "link":
            found.canonical = found.canonical or _text(el.get("href"))
        elif tag == "time":
            found.times.append(el)
        if (prop := el.get("itemprop")) and tag != "meta":
            for name in prop.split():
                found.props.setdefault(name, []).append(el)
    return found


def _json_nodes(text: str) -> list[dict[str, Any]]:
    """Every object of a JSON-LD block, `@graph` and `mainEntity` flattened; broken JSON gives none."""
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip().rstrip(";")
    try:
        data = json.loads(text, strict=False)
    except ValueError:
        return []
    nodes: list[dict[str, Any]] = []
    stack = [data]
    while stack and len(nodes) < 200:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[:0] = item
        elif isinstance(item, dict):
            nodes.append(item)
            for key in ("@graph", "mainEntity"):
                if isinstance(item.get(key), (list, dict)):
                    stack.append(item[key])
    return nodes


def _types(node: dict[str, Any]) -> list[str]:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return [k.lower() for k in kinds if isinstance(k, str)]


def _is_article(node: dict[str, Any]) -> bool:
    return any(k.endswith(_ARTICLE_TYPES) and k != "jobposting" for k in _types(node))


def _ld_main(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The article node, else the web page node: the one that describes this page."""
    return (next((n for n in nodes if _is_article(n)), None)
            or next((n for n in nodes if any(k.endswith("page") for k in _types(n))), None))


def _ld_authors(main: dict[str, Any], nodes: list[dict[str, Any]]) -> list[str]:
    index = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    value = main.get("author") or main.get("creator")
    people, groups = [], []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and set(item) <= {"@id", "@type"}:
            item = index.get(item.get("@id"), item)
        if isinstance(item, str):
            name = item
        elif isinstance(item, dict):
            name = _text(item.get("name"))
            if isinstance(item.get("name"), dict):
                name = _text(item["name"].get("name"))
            if not name and item.get("familyName"):
                name = " ".join(filter(None, (_text(item.get("givenName")), _text(item["familyName"]))))
        else:
            continue
        if name and not name.startswith("http"):
            (groups if "organization" in _types(item) if isinstance(item, dict) else False
             else people).append(name)
    return people or groups


def _ld_publisher(main: dict[str, Any] | None, nodes: list[dict[str, Any]]) -> str | None:
    index = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    publisher = main.get("publisher") if main else None
    if isinstance(publisher, list):
        publisher = publisher[0] if publisher else None
    if isinstance(publisher, dict):
        publisher = index.get(publisher.get("@id"), publisher) if "name" not in publisher else publisher
        return _text(publisher.get("name"))
    if isinstance(publisher, str) and not publisher.startswith("http"):
        return _text(publisher)
    site = next((n for n in nodes if "website" in _types(n)), None)
    return _text(site.get("name")) if site else None


def iso_date(value: str | None) -> str | None:
    """A declared date as ISO 8601: the full datetime when one is given, else `YYYY-MM-DD`."""
    if not value or not (value := value.strip()):
        return None
    if match := _ISO.search(value):
        y, m, d, clock, zone = match.groups()
        if clock:
            zone = "+00:00" if zone == "Z" else (zone if not zone or ":" in zone else zone[:3] + ":" + zone[3:])
            try:
                found = datetime.fromisoformat(f"{y}-{int(m):02d}-{int(d):02d}T{clock.zfill(5 if clock.count(':') == 1 else 8)}{zone or ''}")
            except ValueError:
                return None
            return found.isoformat() if _plausible(found.date()) else None
        return _ymd(y, m, d)
    if match := _YMD.match(value):
        return _ymd(*[g for g in match.groups() if g])
    if match := _TEXT_DATE.search(value):
        month, day, year, day2, month2, year2 = match.groups()
        number = _MONTHS.get((month or month2).lower())
        return _ymd(year or year2, number, day or day2) if number else None
    if value.isdigit() and 9 <= len(value) <= 13:
        stamp = int(value) / (1000 if len(value) > 10 else 1)
        return _ymd(*datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y %m %d").split())
    try:
        return _ymd(*parsedate_to_datetime(value).strftime("%Y %m %d").split())
    except (TypeError, ValueError, IndexError):
        return None


def _ymd(year: Any, month: Any, day: Any) -> str | None:
    try:
        found = date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        return None
    return found.isoformat() if _plausible(found) else None


def _plausible(found: date) -> bool:
    return _MIN_YEAR <= found.year <= date.today().year + 1
