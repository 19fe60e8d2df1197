"""Choosing between trafilatura's fast result and its full comparison run ("auto" fallback)."""

from __future__ import annotations

import pytest
from lxml.html import document_fromstring

import scraper.clean.extract as extract
from scraper.clean.extract import ExtractOptions, extract_text

SENTENCE = "A sentence of article text."
PAGE = document_fromstring("<html><body>" + f"<p>{SENTENCE}</p>" * 100 + "</body></html>")
PARAGRAPH_TEXT = 100 * len(SENTENCE)
STRUCTURED = "\n".join([SENTENCE] * 100)
# One line of over 2,000 characters, yet within the coverage bounds of the paragraph text.
DUMP = " ".join([SENTENCE] * 90)


def runs(monkeypatch: pytest.MonkeyPatch, fast_text: str, full: str) -> list[bool]:
    """Make trafilatura's fast and full runs return these texts; record which ran."""
    calls: list[bool] = []

    def fake_run(root, url, options, fast: bool) -> str:
        calls.append(fast)
        return fast_text if fast else full

    monkeypatch.setattr(extract, "_run", fake_run)
    return calls


def test_a_fast_result_within_coverage_is_kept_without_a_full_run(monkeypatch):
    calls = runs(monkeypatch, STRUCTURED, "unused")
    assert len(STRUCTURED) <= 1.5 * PARAGRAPH_TEXT
    assert extract_text(PAGE, None, ExtractOptions()) == STRUCTURED
    assert calls == [True]


def test_a_one_line_dump_calls_the_full_run(monkeypatch):
    assert 0.7 * PARAGRAPH_TEXT <= len(DUMP) <= 1.5 * PARAGRAPH_TEXT
    calls = runs(monkeypatch, DUMP, STRUCTURED)
    assert extract_text(PAGE, None, ExtractOptions()) == STRUCTURED
    assert calls == [True, False]


def test_a_structured_fast_result_beats_a_full_dump_of_about_its_size(monkeypatch):
    short = "\n".join([SENTENCE] * 65)  # under 70 % of the paragraph text, over 70 % of the dump
    assert len(short) < 0.7 * PARAGRAPH_TEXT and len(short) >= 0.7 * len(DUMP)
    calls = runs(monkeypatch, short, DUMP)
    assert extract_text(PAGE, None, ExtractOptions()) == short
    assert calls == [True, False]


def test_a_fragment_does_not_beat_a_full_dump(monkeypatch):
    runs(monkeypatch, "Share this article", DUMP)
    assert extract_text(PAGE, None, ExtractOptions()) == DUMP


def test_a_dump_is_better_than_nothing(monkeypatch):
    runs(monkeypatch, "", DUMP)
    assert extract_text(PAGE, None, ExtractOptions()) == DUMP


def test_a_fast_result_far_below_the_unpruned_page_lets_the_full_run_decide(monkeypatch):
    # Within coverage of the pruned page's paragraphs, but pruning took paragraphs away: the
    # page had five times this text before it.
    calls = runs(monkeypatch, STRUCTURED, STRUCTURED + "\nMore article text.")
    found = extract.extract_body(PAGE, None, ExtractOptions(), page_chars=5 * PARAGRAPH_TEXT)
    assert calls == [True, False]
    assert found is not None and found.full and found.text.endswith("More article text.")


def test_a_fast_result_near_the_unpruned_page_needs_no_full_run(monkeypatch):
    calls = runs(monkeypatch, STRUCTURED, "unused")
    found = extract.extract_body(PAGE, None, ExtractOptions(), page_chars=PARAGRAPH_TEXT)
    assert calls == [True] and found is not None and not found.full
