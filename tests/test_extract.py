"""Choosing between trafilatura's fast result and its full comparison run ("auto" fallback), and
the favor_recall pass when both miss much of the page's paragraph and list text."""

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
# The fast/full choice on its own, without the recall pass.
AUTO = ExtractOptions(recall_below=0)


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
    assert extract_text(PAGE, None, AUTO) == STRUCTURED
    assert calls == [True]


def test_a_fast_result_a_few_times_the_paragraph_text_needs_no_full_run(monkeypatch):
    # A body in divs or lists is long beside its paragraphs; the full run kept the fast result.
    long = "\n".join([STRUCTURED] * 2)
    calls = runs(monkeypatch, long, "unused")
    assert extract_text(PAGE, None, AUTO) == long
    assert calls == [True]


def test_a_fast_result_many_times_the_paragraph_text_lets_the_full_run_decide(monkeypatch):
    calls = runs(monkeypatch, "\n".join([STRUCTURED] * 6), STRUCTURED)
    assert extract_text(PAGE, None, AUTO) == STRUCTURED
    assert calls == [True, False]


def test_a_one_line_dump_calls_the_full_run(monkeypatch):
    assert 0.7 * PARAGRAPH_TEXT <= len(DUMP) <= 1.5 * PARAGRAPH_TEXT
    calls = runs(monkeypatch, DUMP, STRUCTURED)
    assert extract_text(PAGE, None, AUTO) == STRUCTURED
    assert calls == [True, False]


def test_a_structured_fast_result_beats_a_full_dump_of_about_its_size(monkeypatch):
    short = "\n".join([SENTENCE] * 65)  # under 70 % of the paragraph text, over 70 % of the dump
    assert len(short) < 0.7 * PARAGRAPH_TEXT and len(short) >= 0.7 * len(DUMP)
    calls = runs(monkeypatch, short, DUMP)
    assert extract_text(PAGE, None, AUTO) == short
    assert calls == [True, False]


def test_a_fragment_does_not_beat_a_full_dump(monkeypatch):
    runs(monkeypatch, "Share this article", DUMP)
    assert extract_text(PAGE, None, AUTO) == DUMP


def test_a_dump_is_better_than_nothing(monkeypatch):
    runs(monkeypatch, "", DUMP)
    assert extract_text(PAGE, None, AUTO) == DUMP


def test_a_fast_result_far_below_the_unpruned_page_lets_the_full_run_decide(monkeypatch):
    # Within coverage of the pruned page's paragraphs, but pruning took paragraphs away: the
    # page had five times this text before it.
    calls = runs(monkeypatch, STRUCTURED, STRUCTURED + "\nMore article text.")
    found = extract.extract_body(PAGE, None, AUTO, page_chars=5 * PARAGRAPH_TEXT)
    assert calls == [True, False]
    assert found is not None and found.full and found.text.endswith("More article text.")


def test_a_fast_result_near_the_unpruned_page_needs_no_full_run(monkeypatch):
    calls = runs(monkeypatch, STRUCTURED, "unused")
    found = extract.extract_body(PAGE, None, AUTO, page_chars=PARAGRAPH_TEXT)
    assert calls == [True] and found is not None and not found.full


def recall_runs(monkeypatch: pytest.MonkeyPatch, default: str, recall: str) -> list[bool]:
    """Make trafilatura return `default`, or `recall` under favor_recall; record which ran."""
    calls: list[bool] = []

    def fake_run(root, url, options, fast: bool) -> str:
        calls.append(options.favor_recall)
        return recall if options.favor_recall else default

    monkeypatch.setattr(extract, "_run", fake_run)
    return calls


HALF = "\n".join([SENTENCE] * 50)


def test_a_result_far_below_the_page_text_is_extracted_again_with_favor_recall(monkeypatch):
    calls = recall_runs(monkeypatch, HALF, STRUCTURED)
    found = extract.extract_body(PAGE, None, ExtractOptions())
    assert found is not None and found.recall and found.text == STRUCTURED
    assert True in calls


def test_a_much_shorter_recall_result_is_not_taken(monkeypatch):
    recall_runs(monkeypatch, HALF, SENTENCE)
    found = extract.extract_body(PAGE, None, ExtractOptions())
    assert found is not None and not found.recall and found.text == HALF


def test_a_result_near_the_page_text_needs_no_recall_run(monkeypatch):
    calls = recall_runs(monkeypatch, STRUCTURED, "unused")
    found = extract.extract_body(PAGE, None, ExtractOptions())
    assert found is not None and not found.recall and calls == [False]


def test_list_text_counts_as_page_text(monkeypatch):
    # Paragraphs alone are covered by the default result; with the list items they are not.
    items = "".join(f"<li><b>Item {i}:</b> {SENTENCE} {SENTENCE}</li>" for i in range(100))
    page = document_fromstring("<html><body>" + f"<p>{SENTENCE}</p>" * 100 + f"<ul>{items}</ul></body></html>")
    calls = recall_runs(monkeypatch, STRUCTURED, STRUCTURED + "\n" + items)
    found = extract.extract_body(page, None, ExtractOptions())
    assert found is not None and found.recall and calls[-1] is True


def test_menu_links_do_not_count_as_page_text(monkeypatch):
    menu = "".join(f'<li><a href="/s{i}">Section {i} of the site</a></li>' for i in range(100))
    page = document_fromstring("<html><body>" + f"<p>{SENTENCE}</p>" * 100 + f"<ul>{menu}</ul></body></html>")
    calls = recall_runs(monkeypatch, STRUCTURED, "unused")
    assert extract.extract_body(page, None, ExtractOptions()).text == STRUCTURED
    assert calls == [False]


def test_short_list_labels_do_not_count_as_page_text(monkeypatch):
    # Items of a few words are a menu or a list of tags, whatever their markup.
    items = "".join(f"<li>Tag number {i}</li>" for i in range(300))
    page = document_fromstring("<html><body>" + f"<p>{SENTENCE}</p>" * 100 + f"<ul>{items}</ul></body></html>")
    calls = recall_runs(monkeypatch, STRUCTURED, "unused")
    assert extract.extract_body(page, None, ExtractOptions()).text == STRUCTURED
    assert calls == [False]


def test_list_text_in_a_menu_that_swallowed_the_page_counts(monkeypatch):
    # An unclosed tag in the header puts <main> inside the menu: its lists are still the article's.
    items = "".join(f"<li>Item {i}: {SENTENCE} {SENTENCE}</li>" for i in range(100))
    page = document_fromstring("<html><body><header><nav><ul><li><a href='/'>Home</a></li></ul><main>"
                               + f"<p>{SENTENCE}</p>" * 100 + f"<ul>{items}</ul></main></nav></header></body></html>")
    calls = recall_runs(monkeypatch, STRUCTURED, STRUCTURED + "\n" + items)
    found = extract.extract_body(page, None, ExtractOptions())
    assert found is not None and found.recall and calls[-1] is True
