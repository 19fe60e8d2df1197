"""The recall pass: when trafilatura's defaults find well under the page's paragraph and list text,
its favor_recall setting extracts again, and our promo rules do the precision work."""

from __future__ import annotations

from pathlib import Path

from scraper import CleanOptions, clean_html
from scraper.clean.extract import ExtractOptions

PAGE = (Path(__file__).resolve().parent.parent / "fixtures" / "pages" / "hubspot-like-list-sections.html").read_bytes()
ITEMS = ("the largest range of the month, when the moon and sun pull together",
         "a weighted rope marked in fathoms, still carried because it never needs a battery",
         "the board posts each day's plan on the harbour office door")
PROMO = ("Tide tables, pilot stories and harbour news every Friday.", "Why the fog signal sounds twice")


def test_list_sections_that_the_defaults_drop_are_kept():
    article = clean_html(PAGE)
    assert all(item in article.text for item in ITEMS)
    assert "Harbour pilots plan every arrival around the tide tables" in article.text
    assert "recall extraction used" in article.warnings


def test_the_promo_that_favor_recall_takes_in_is_still_removed():
    article = clean_html(PAGE)
    assert not any(promo in article.text for promo in PROMO)


def test_without_the_recall_pass_the_lists_are_lost():
    article = clean_html(PAGE, options=CleanOptions(extract=ExtractOptions(recall_below=0)))
    assert not any(item in article.text for item in ITEMS)
    assert "recall extraction used" not in article.warnings
