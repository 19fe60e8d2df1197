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
_AUTHOR_TAIL = re.compile(r"\s*(?:\||•|\bon\s+\w|\b(?:last\s+)?updated\b|\bpublished\b|\bposted\b|\d|"
                          r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d).*$", re.I)
_AUTHOR_SPLIT = re.compile(r"\s*(?:[,;|/&]|\band\b|\bund\b|\bet\b)\s*", re.I)
_CREDENTIAL = re.compile(r"^(?:[A-Z]{2,6}(?:-[A-Z]+)?|(?:[A-Za-z]{1,4}\.){1,4}|PhD|MSc|BSc|MPH|MBA)$")
_DOMAIN = re.compile(r"[^\W\d_]\.[^\W\d_]{2,}")
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
_GENERIC_AUTHORS = frozenset({*_MONTHS, "sign in", "log in", "login", "share", "follow", "admin", "administrator", "staff", "editor", "editors", "guest",
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
            group = isinstance(item, dict) and "organization" in _types(item)
            (groups if group else people).append(name)
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


def clean_authors(values: list[str]) -> str | None:
    """Names from author strings: prefixes, dates and credentials dropped, joined with "; "."""
    names: list[str] = []
    for value in values:
        if value.startswith(("http", "@")) or "@" in value and "." in value.split("@")[-1]:
            continue
        value = _AUTHOR_TAIL.sub("", _BY.sub("", " ".join(value.split())))
        for part in _AUTHOR_SPLIT.split(value):
            part = part.strip(" .:-–—()[]\"'")
            words = part.split()
            if (not words or len(words) > 5 or _CREDENTIAL.match(part)
                    or not all(_NAME_WORD.match(w) for w in words)
                    or part.lower() in _GENERIC_AUTHORS or len(part) < 2 or _DOMAIN.search(part)):
                continue
            if part.islower():
                part = part.title()
            if not any(part.lower() in n.lower() for n in names):
                names = [n for n in names if n.lower() not in part.lower()] + [part]
    return "; ".join(names) or None


def _element_authors(el: HtmlElement) -> str:
    """An author element's name: its `itemprop=name` or author-page link, else its own text."""
    if content := el.get("content"):
        return content
    named = [n for n in el.iter() if n.get("itemprop") == "name"]
    named = named or [n for n in el.iter("a") if "author" in (n.get("href") or "") or n.get("rel") == "author"]
    return " and ".join(" ".join(" ".join(n.itertext()).split()) for n in named or [el])


def _byline_authors(root: HtmlElement, found: _Found) -> str | None:
    """Microdata authors, else the first short element marked as author or byline, outside comments."""
    if authors := clean_authors([_element_authors(el) for el in found.props.get("author", [])]):
        return authors
    for el in _BYLINES(root):
        if el.tag in ("meta", "link", "img", "script", "body", "html") or _COMMENTS(el):
            continue
        text = _element_authors(el)
        if 2 < len(text) < 120 and (authors := clean_authors([text])):
            return authors
    return None


def _key(text: str) -> str:
    return _NOT_ALNUM.sub("", text).lower()


def strip_site(title: str, site_keys: frozenset[str]) -> str:
    """Drop a leading or trailing " | Site Name" segment that names the site."""
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    for cut in (-1, 0):
        key = _key(parts[cut])
        if key and (key in site_keys or any(key.startswith(k) and len(k) > 3 for k in site_keys)):
            spans = list(_SEPARATORS.finditer(title))
            return (title[:spans[-1].start()] if cut == -1 else title[spans[0].end():]).strip()
    return title


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def _site_keys(sitename: str | None, host: str | None) -> frozenset[str]:
    keys = {_key(sitename)} if sitename else set()
    if host:
        labels = host.split(".")
        keys |= {_key(host), _key(labels[-2] if len(labels) > 1 else labels[0])}
    return frozenset(k for k in keys if k)


def _choose_title(found: _Found, main: dict[str, Any] | None, keys: frozenset[str]) -> str | None:
    declared = [found.meta.get(k, [None])[0] for k in _META_TITLE]
    if main:
        declared.append(_text(main.get("headline")) or (_text(main.get("name")) if _is_article(main) else None))
    declared += found.titles[:1]
    declared = [strip_site(t, keys) for t in declared if t]
    if found.h1:
        heading = found.h1[0]
        if not declared or any(_key(heading) and _key(heading) in _key(t) for t in declared):
            return heading
    return declared[0] if declared else None


def _choose_date(found: _Found, main: dict[str, Any] | None, root: HtmlElement, url: str | None) -> str | None:
    candidates = [main.get(k) for k in ("datePublished", "dateCreated", "uploadDate")] if main else []
    candidates += [found.meta.get(k, [None])[0] for k in _META_DATE]
    for el in found.props.get("datePublished", []):
        candidates.append(el.get("datetime") or el.get("content") or el.text_content())
    for el in found.times:
        marks = " ".join(filter(None, (el.get("class"), el.get("itemprop"), el.getparent().get("class")
                                       if el.getparent() is not None else None))).lower()
        if "modif" not in marks and "update" not in marks:
            candidates.append(el.get("datetime"))
    for value in candidates:
        if isinstance(value, str) and (found_date := iso_date(value)):
            return found_date
    return find_date(root, extensive_search=False, original_date=True, url=url)


def page_url(root: HtmlElement, base: str | None) -> str | None:
    """The page's own address: `<link rel=canonical>`, else `og:url`, made absolute."""
    return _canonical(_gather(root), base)


def _canonical(found: _Found, base: str | None) -> str | None:
    href = found.canonical or found.meta.get("og:url", [None])[0]
    return urljoin(base, href) if href and base else href


def _language(root: HtmlElement, found: _Found, main: dict[str, Any] | None) -> str | None:
    candidates = [root.get("lang"), root.get("xml:lang"), *found.meta.get("content-language", []),
                  *found.meta.get("og:locale", []), _text(main.get("inLanguage")) if main else None]
    for value in candidates:
        if value and (match := _LANG.match(value.strip())):
            return match.group(0).lower()
    return None


def extract_metadata(root: HtmlElement, url: str | None) -> PageMeta:
    """Title, author, date, site name, description, language and canonical URL of a parsed page."""
    found = _gather(root)
    main = _ld_main(found.ld)
    canonical = _canonical(found, url)
    host = _host(url or canonical)
    sitename = (found.meta.get("og:site_name", [None])[0] or _ld_publisher(main, found.ld)
                or found.meta.get("application-name", [None])[0] or host)
    keys = _site_keys(sitename, host)
    authors = clean_authors(_ld_authors(main, found.ld)) if main else None
    authors = authors or clean_authors([v for k in _META_AUTHOR for v in found.meta.get(k, [])])
    authors = authors or _byline_authors(root, found)
    description = next((found.meta[k][0] for k in _META_DESCRIPTION if k in found.meta), None)
    return PageMeta(
        title=_choose_title(found, main, keys),
        author=authors,
        date=_choose_date(found, main, root, url or canonical),
        sitename=sitename,
        description=description or (_text(main.get("description")) if main else None),
        language=_language(root, found, main),
        canonical_url=canonical,
    )
