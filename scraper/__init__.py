"""scraper: clean article bodies out of news pages and newsletters.

    >>> import scraper
    >>> article = scraper.clean_html(open("page.html", "rb").read(), url="https://example.com/a")
    >>> article.title, article.text[:80]

`clean_html` takes a saved page (bytes are decoded by the project itself), `clean_text` takes
already-scraped text; both return an `Article` or raise a `ScraperError` with a `reason`.
For many pages, build a `Cleaner` once: it reads the rule files when made and keeps its
compiled rules, and it pickles with its rules, so worker processes need no rule files.
"""

from __future__ import annotations

import logging

from scraper.article import Article, Removal
from scraper.clean.cleaner import Cleaner, CleanOptions, clean_html, clean_text
from scraper.errors import (
    DecodeError,
    ExtractionError,
    FetchError,
    HTTPStatusError,
    InputError,
    RuleError,
    ScraperError,
    SecurityError,
    SkippedError,
    TooLargeError,
)

__all__ = [
    "Article",
    "CleanOptions",
    "Cleaner",
    "DecodeError",
    "ExtractionError",
    "FetchError",
    "HTTPStatusError",
    "InputError",
    "Removal",
    "RuleError",
    "ScraperError",
    "SecurityError",
    "SkippedError",
    "TooLargeError",
    "clean_html",
    "clean_text",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
