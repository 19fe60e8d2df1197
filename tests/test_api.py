"""The library surface: exports, the Article record, the exception tree."""

from __future__ import annotations

import dataclasses

import pytest

import scraper
from pages import article_page


def test_all_is_exact():
    public = {name for name in dir(scraper) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(scraper, name)).__name__ == "module"}
    assert set(scraper.__all__) == public - modules - {"annotations", "logging"}


def test_article_is_frozen_and_serialisable():
    article = scraper.clean_html(article_page().encode(), url="https://news.example.com/local/harbour-wall")
    with pytest.raises(dataclasses.FrozenInstanceError):
        article.text = "x"  # type: ignore[misc]
    data = article.to_dict()
    assert data["title"] == "Harbour wall to be rebuilt before winter"
    assert data["language"] == "en"
    assert data["word_count"] == article.word_count > 50
    assert len(data["content_hash"]) == 32
    assert "\n\n" in article.text  # paragraphs separated by a blank line


def test_canonical_url_is_used_when_no_url_is_given():
    article = scraper.clean_html(article_page())
    assert article.url == article.canonical_url == "https://news.example.com/local/harbour-wall"


@pytest.mark.parametrize("bad, error, reason", [
    (b"", scraper.InputError, "empty input"),
    ("   ", scraper.InputError, "empty input"),
    (b"\x00\x01\x02binary\x00" * 50, scraper.InputError, "binary content, not text"),
    ("<html><body><nav><a href='/'>Home</a></nav></body></html>", scraper.ExtractionError, "no article text found"),
])
def test_failures_are_scraper_errors_with_a_reason(bad, error, reason):
    with pytest.raises(error) as info:
        scraper.clean_html(bad)
    assert isinstance(info.value, scraper.ScraperError)
    assert info.value.reason == reason


def test_clean_text_keeps_paragraphs_and_drops_promo():
    text = "Storm hits coast\nThe storm arrived at dawn and flooded the harbour road.\nSign up for our free newsletters\nFishermen moved their boats inland overnight."
    article = scraper.clean_text(text)
    assert article.title == "Storm hits coast"
    assert "Sign up" not in article.text
    assert article.text.split("\n\n")[-1] == "Fishermen moved their boats inland overnight."
    assert [r.rule for r in article.removed] == ["newsletter-signup-line"]
