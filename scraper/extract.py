"""Body and metadata extraction with trafilatura, on the tree our rules already pruned."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import trafilatura
from lxml.html import HtmlElement

_LANG = re.compile(r"^[a-zA-Z]{2,3}")


@dataclass(frozen=True)
class ExtractOptions:
    """trafilatura settings, chosen by measurement on the benchmark (see benchmarks/README.md)."""

    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    include_comments: bool = False
    fast_dates: bool = True


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    author: str | None
    date: str | None
    sitename: str | None
    description: str | None
    language: str | None


def page_url(root: HtmlElement, base: str | None) -> str | None:
    """The page's own address: `<link rel=canonical>`, else `og:url`, made absolute."""
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        values = root.xpath(xpath)
        if values and values[0].strip():
            href = values[0].strip()
            return urljoin(base, href) if base else href
    return None


def page_language(root: HtmlElement) -> str | None:
    """Primary language subtag from `<html lang>`, `content-language` or `og:locale`."""
    candidates = [root.get("lang"), root.get("xml:lang")]
    candidates += root.xpath('//meta[@http-equiv="content-language"]/@content')
    candidates += root.xpath('//meta[@property="og:locale"]/@content')
    for value in candidates:
        if value and (match := _LANG.match(value.strip())):
            return match.group(0).lower()
    return None


def extract(root: HtmlElement, url: str | None, options: ExtractOptions) -> Extracted | None:
    """Run trafilatura with metadata; None when it finds no body."""
    language = page_language(root)
    date_params = {"extensive_search": not options.fast_dates, "original_date": True}
    doc = trafilatura.bare_extraction(
        root,
        url=url,
        with_metadata=True,
        include_comments=options.include_comments,
        include_tables=options.include_tables,
        favor_precision=options.favor_precision,
        favor_recall=options.favor_recall,
        date_extraction_params=date_params,
    )
    if doc is None or not (doc.text or "").strip():
        return None
    return Extracted(
        text=doc.text,
        title=doc.title or None,
        author=doc.author or None,
        date=doc.date or None,
        sitename=doc.sitename or None,
        description=doc.description or None,
        language=language or doc.language or None,
    )
