"""The benchmark metrics, rule by rule, on texts small enough to score by hand."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from scraper.evaluation.metrics import (
    PRF,
    ShingleScore,
    author_match,
    bootstrap_std,
    corpus_shingle_prf,
    corpus_word_prf,
    count_snippets,
    date_match,
    exact_match,
    shingle_score,
    shingles,
    title_match,
    tokens,
    word_prf,
)

approx = pytest.approx


# --- aeb: tokens and shingles -------------------------------------------------------------

def test_tokens_are_word_runs_with_case_kept() -> None:
    assert tokens("Hello, World! it's 2019") == ["Hello", "World", "it", "s", "2019"]
    assert tokens("") == [] and tokens(None) == []


def test_shingles_of_one_to_three_tokens_are_one_shingle() -> None:
    assert shingles([]) == Counter()
    assert shingles(["a"]) == Counter({("a",): 1})
    assert shingles(["a", "b", "c"]) == Counter({("a", "b", "c"): 1})
    assert shingles(["a", "b", "c", "d"]) == Counter({("a", "b", "c", "d"): 1})
    # 5 tokens -> windows abcd, bcde
    assert shingles(list("abcde")) == Counter({tuple("abcd"): 1, tuple("bcde"): 1})


def test_shingles_are_a_multiset() -> None:
    # a b c d a b c d -> abcd, bcda, cdab, dabc, abcd: abcd counted twice
    assert shingles(list("abcdabcd"))[tuple("abcd")] == 2


# --- aeb: one page ------------------------------------------------------------------------

def test_perfect_match_scores_one() -> None:
    # 2 shingles, both matched: tp=2, fp=fn=0 -> normalised (1, 0, 0)
    score = shingle_score("a b c d e", "a, b. c d e")
    assert score == ShingleScore(1.0, 0.0, 0.0)
    assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0)


def test_empty_prediction_has_zero_precision_and_recall() -> None:
    # truth has 2 shingles, prediction none: tp=0 fp=0 fn=2 -> (0, 0, 1)
    score = shingle_score("a b c d e", "")
    assert score == ShingleScore(0.0, 0.0, 1.0)
    assert (score.precision, score.recall) == (0.0, 0.0)


def test_both_empty_is_all_zero_counts_but_perfect_page() -> None:
    # nothing to compare: counts stay 0 and fp = fn = 0 makes precision and recall 1
    score = shingle_score("", "  ...  ")
    assert score == ShingleScore(0.0, 0.0, 0.0)
    assert (score.precision, score.recall) == (1.0, 1.0)


def test_short_texts_compare_as_single_shingles() -> None:
    assert shingle_score("hello world", "Hello world!").precision == 0.0  # case kept
    assert shingle_score("hello world", "hello world") == ShingleScore(1.0, 0.0, 0.0)
    # ("hello",) vs ("hello", "world"): tp=0 fp=1 fn=1 -> (0, .5, .5)
    score = shingle_score("hello world", "hello")
    assert score == ShingleScore(0.0, 0.5, 0.5)
    assert (score.precision, score.recall) == (0.0, 0.0)


def test_repeated_shingles_count_each_occurrence() -> None:
    # truth abcd x2 + bcda + cdab + dabc (5), prediction abcd x1
    # tp=1 fp=0 fn=4 -> (0.2, 0, 0.8); precision 0.2/0.2 = 1, recall 0.2/1.0 = 0.2
    score = shingle_score("a b c d a b c d", "a b c d")
    assert (score.tp, score.fp, score.fn) == approx((0.2, 0.0, 0.8))
    assert (score.precision, score.recall) == approx((1.0, 0.2))
    # the other way round: tp=1 fp=4 fn=0 -> precision 0.2, recall 1
    swapped = shingle_score("a b c d", "a b c d a b c d")
    assert (swapped.precision, swapped.recall) == approx((0.2, 1.0))


def test_partial_overlap_is_normalised_per_page() -> None:
    # truth a b c d e f: abcd bcde cdef; prediction a b c d e x: abcd bcde cdex
    # tp=2 fp=1 fn=1 -> (.5, .25, .25); precision = recall = .5/.75 = 2/3
    score = shingle_score("a b c d e f", "a b c d e x")
    assert (score.tp, score.fp, score.fn) == approx((0.5, 0.25, 0.25))
    assert (score.precision, score.recall, score.f1) == approx((2 / 3, 2 / 3, 2 / 3))


# --- aeb: corpus --------------------------------------------------------------------------

def test_empty_predictions_are_left_out_of_precision_only() -> None:
    perfect = ShingleScore(1.0, 0.0, 0.0)
    missed = ShingleScore(0.0, 0.0, 1.0)  # empty prediction
    # precision over [perfect] = 1; recall over [perfect, missed] = 0.5; F1 = 2*.5/1.5
    assert corpus_shingle_prf([perfect, missed]) == PRF(1.0, 0.5, approx(2 / 3))


def test_empty_truth_counts_in_precision_not_recall() -> None:
    perfect = ShingleScore(1.0, 0.0, 0.0)
    spurious = ShingleScore(0.0, 1.0, 0.0)  # text predicted for an empty truth
    both_empty = ShingleScore(0.0, 0.0, 0.0)  # counted nowhere
    # precision (1 + 0)/2 = .5; recall over [perfect] = 1; F1 = 2*.5/1.5
    assert corpus_shingle_prf([perfect, spurious, both_empty]) == PRF(0.5, 1.0, approx(2 / 3))


def test_corpus_without_any_prediction_scores_zero() -> None:
    assert corpus_shingle_prf([ShingleScore(0.0, 0.0, 1.0)]) == PRF(0.0, 0.0, 0.0)
    assert corpus_shingle_prf([]) == PRF(0.0, 0.0, 0.0)


def test_accuracy_compares_token_lists_exactly() -> None:
    assert exact_match("Hello, world!", "Hello world")  # punctuation and spaces ignored
    assert not exact_match("Hello world", "hello world")  # case is not
    assert not exact_match("Hello world", "Hello world again")
    assert exact_match("", "")


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    scores = [ShingleScore(1.0, 0.0, 0.0), ShingleScore(0.5, 0.5, 0.0),
              ShingleScore(0.0, 0.0, 1.0), ShingleScore(0.25, 0.25, 0.5)]
    first = bootstrap_std(scores, corpus_shingle_prf, resamples=200, seed=7)
    assert first == bootstrap_std(scores, corpus_shingle_prf, resamples=200, seed=7)
    assert first != bootstrap_std(scores, corpus_shingle_prf, resamples=200, seed=8)
    assert first.f1 > 0


def test_bootstrap_of_identical_pages_has_no_spread() -> None:
    same = [ShingleScore(0.5, 0.25, 0.25)] * 5
    assert bootstrap_std(same, corpus_shingle_prf, resamples=50) == PRF(0.0, 0.0, 0.0)


# --- wcxb: word F1 ------------------------------------------------------------------------

def test_word_f1_is_a_lowercased_bag_of_words() -> None:
    # pred [the, cat, the], ref [the, cat, sat, on, the, mat]
    # overlap = min(2,2) the + 1 cat = 3; P = 3/3, R = 3/6, F1 = 2/3
    assert word_prf("the cat THE", "The cat sat on the mat.") == PRF(1.0, 0.5, approx(2 / 3))


def test_word_f1_empty_cases_follow_wcxb() -> None:
    assert word_prf("", "some words") == PRF(0.0, 0.0, 0.0)
    assert word_prf("", "") == PRF(1.0, 1.0, 1.0)
    assert word_prf("extra", "") == PRF(0.0, 0.0, 0.0)
    assert word_prf("no overlap", "other words") == PRF(0.0, 0.0, 0.0)


def test_word_corpus_is_the_plain_mean_over_all_pages() -> None:
    pages = [PRF(1.0, 0.5, 2 / 3), PRF(0.0, 0.0, 0.0)]  # an empty prediction counts as 0
    # means: P .5, R .25, F1 = mean of page F1 = 1/3 (not the F1 of the means, .333 by chance)
    assert corpus_word_prf(pages) == PRF(0.5, 0.25, approx(1 / 3))
    skewed = [PRF(1.0, 0.0, 0.0), PRF(0.0, 1.0, 0.0)]
    assert corpus_word_prf(skewed).f1 == 0.0  # F1 of the means would be 0.5


# --- wcxb: snippets -----------------------------------------------------------------------

def test_snippets_match_across_odd_whitespace_and_case() -> None:
    text = "Intro.\n\nSign  up\nfor our\tNEWSLETTER\u00a0today"
    assert count_snippets(text, ["sign up for our newsletter"]) == 1
    assert count_snippets(text, ["SIGN UP FOR OUR NEWSLETTER TODAY", "Intro. Sign up"]) == 2


def test_snippets_are_substrings_so_truncated_snippets_still_match() -> None:
    # WCXB cuts long `with` snippets mid-word at 80 characters
    assert count_snippets("Kaldi discovered coffee around 850 AD", ["discovered coffee arou"]) == 1
    assert count_snippets("please read more\u2026 later", ["Read more\u2026"]) == 1
    assert count_snippets("Full\uff37idth text", ["fullwidth"]) == 1  # NFKC folds \uff37 to W


def test_snippet_counts_add_up() -> None:
    text = "Skip to content. The article body. Privacy Policy"
    assert count_snippets(text, ["skip to content", "cookie settings", "privacy policy"]) == 2
    assert count_snippets("", ["anything"]) == 0
    assert count_snippets("text", []) == 0


# --- metadata -----------------------------------------------------------------------------

def test_title_ignores_case_spacing_typography_and_site_name() -> None:
    assert title_match("  We’ve  Compiled the List ", "we've compiled the list")
    assert title_match("Top 10 Cameras | Example Site", "Top 10 Cameras")
    assert title_match("Example Site — Top 10 Cameras", "Top 10 Cameras")
    assert not title_match("Top 10 Cameras of 2025", "Top 10 Cameras")
    assert not title_match(None, "Top 10 Cameras")


def test_author_matches_a_name_within_bylines_and_lists() -> None:
    assert author_match("By Jane Doe", "Jane Doe")
    assert author_match("Jane Doe", "Jane Doe, John Roe and Ann Poe")
    assert author_match("Dylan Bailey", "Dylan Bailey, MS, RD")
    assert not author_match("Cleveland Clinic", "Holly Wilgus")
    assert not author_match(None, "Jane Doe")
    assert not author_match("Jane Doe", None)


def test_date_matches_the_same_day() -> None:
    assert date_match("2025-09-04", "2025-09-04")
    assert date_match("2025-09-04T10:30:00+02:00", "2025-09-04")
    assert date_match(date(2025, 9, 4), "2025-09-04")
    assert not date_match("2025-09-05", "2025-09-04")
    assert date_match("2015-11-20", "2015-11")  # truth known to the month only
    assert not date_match("September 4, 2025", "2025-09-04")  # not ISO: not understood
    assert not date_match(None, "2025-09-04")
