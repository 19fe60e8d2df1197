"""Pure scoring functions for the two extraction benchmarks: no I/O, no timing, no extractors.

**aeb** (scrapinghub/article-extraction-benchmark, `evaluate.py`): tokens are
`re.findall(r"\\w+", text)` with case kept; each page is scored on multisets of 4-token
shingles (a 1–3 token text is one shingle, an empty text none); tp/fp/fn are divided by their
sum so every page weighs the same. Corpus precision is the mean page precision over pages that
predicted something (tp + fp > 0), recall the mean over pages whose truth is non-empty
(tp + fn > 0), and F1 is taken of those two means. Where the original crashes (a mean over no
pages, P + R = 0) we return 0. The original prints `1.96 × stdev` of 1000 unseeded bootstrap
resamples as "±"; we report the plain sample standard deviation of seeded resamples, as the
benchmark brief asks (multiply by 1.96 to compare with the aeb README).

**wcxb** (Murrough-Foley/web-content-extraction-benchmark, `evaluate.py`): words are
`re.findall(r"\\w+", text.lower())` (lower-cased *before* tokenising, as there); page
precision = multiset overlap / predicted words, recall = overlap / reference words, F1 their
harmonic mean. An empty prediction scores (0, 0, 0); an empty reference scores (1, 1, 1) only
when the prediction is empty too, else (0, 0, 0). Corpus P, R and F1 are plain means over *all*
pages (F1 is the mean of page F1s, not the F1 of the means), so empty predictions count as 0.
WCXB's snippet check is a raw lower-cased substring test averaged per page, counting a page
without snippets as 1.0 (for `without` too). We pool snippets over the corpus instead, and
match substrings after folding case and Unicode compatibility forms (NFKC) and collapsing
whitespace. We do not require word boundaries: many `with` snippets are cut mid-word at 80
characters, and boundaries would miss them (on trafilatura's output: keep 85% → 81%), while
leaks like "Home" inside "homework" barely move the leak rate (5.30% → 5.27%).

**Metadata** (wcxb `title`, `author`, `publish_date`), scored over pages whose truth has the
field, a missing prediction counting as wrong: titles match after folding case, Unicode forms,
typographic quotes/dashes and whitespace, tolerating an extra site-name segment; authors match
when one listed truth name's words all occur in the prediction or the prediction's words all
occur in the truth; dates match on the same YYYY-MM-DD (YYYY-MM when the truth has no day).
"""

from __future__ import annotations

import random
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")
_AUTHOR_SEPARATORS = re.compile(r"[,;&|/]|\band\b|\bund\b|\bet\b", re.IGNORECASE)
# Typographic variants that differ between a page's <title>/meta and its visible headline.
_PUNCT_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                             "\u2013": "-", "\u2014": "-"})

# Separators between a headline and the site name in <title>, after dash folding.
_TITLE_SEPARATORS = ("|", "-", ":", "·", "»", "/", "::")

T = TypeVar("T")


def tokens(text: str | None) -> list[str]:
    """aeb tokens: runs of word characters, case kept."""
    return _WORD.findall(text or "")


def shingles(words: Sequence[str], size: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of `size`-token shingles; 1..size-1 tokens make one shingle, none make none."""
    if not words:
        return Counter()
    return Counter(tuple(words[i:i + size]) for i in range(max(1, len(words) - size + 1)))


@dataclass(frozen=True)
class ShingleScore:
    """One page's aeb counts, normalised to sum to 1 (all zero when both texts are empty)."""

    tp: float
    fp: float
    fn: float

    @property
    def precision(self) -> float:
        """1 for a perfect page, 0 for an empty prediction, else tp / (tp + fp)."""
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0 and self.fp == 0:
            return 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        """1 for a perfect page, 0 for an empty truth, else tp / (tp + fn)."""
        if self.fp == 0 and self.fn == 0:
            return 1.0
        if self.tp == 0 and self.fn == 0:
            return 0.0
        return self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float:
        """Page F1 from page precision and recall; used to rank pages, not in corpus F1."""
        return harmonic(self.precision, self.recall)


def shingle_score(truth: str | None, prediction: str | None) -> ShingleScore:
    """Score one page the aeb way (4-token shingle multisets, normalised per page)."""
    true_counts = shingles(tokens(truth))
    pred_counts = shingles(tokens(prediction))
    tp = sum((true_counts & pred_counts).values())
    fp = sum((pred_counts - true_counts).values())
    fn = sum((true_counts - pred_counts).values())
    total = tp + fp + fn
    if total == 0:
        return ShingleScore(0.0, 0.0, 0.0)
    return ShingleScore(tp / total, fp / total, fn / total)


def exact_match(truth: str | None, prediction: str | None) -> bool:
    """aeb accuracy for one page: the token lists are identical."""
    return tokens(truth) == tokens(prediction)


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 of a page or a corpus."""

    precision: float
    recall: float
    f1: float


def harmonic(precision: float, recall: float) -> float:
    """F1 of a precision and a recall; 0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0


def corpus_shingle_prf(scores: Iterable[ShingleScore]) -> PRF:
    """aeb corpus figures: precision over predicting pages, recall over non-empty truths."""
    scores = list(scores)
    precision = _mean([s.precision for s in scores if s.tp + s.fp > 0])
    recall = _mean([s.recall for s in scores if s.tp + s.fn > 0])
    return PRF(precision, recall, harmonic(precision, recall))


def word_tokens(text: str | None) -> list[str]:
    """wcxb words: lower-case first, then runs of word characters."""
    return _WORD.findall((text or "").lower())


def word_prf(prediction: str | None, reference: str | None) -> PRF:
    """wcxb page score: bag-of-words overlap over predicted and over reference words."""
    pred, ref = word_tokens(prediction), word_tokens(reference)
    if not ref:
        return PRF(1.0, 1.0, 1.0) if not pred else PRF(0.0, 0.0, 0.0)
    if not pred:
        return PRF(0.0, 0.0, 0.0)
    overlap = sum((Counter(pred) & Counter(ref)).values())
    precision, recall = overlap / len(pred), overlap / len(ref)
    return PRF(precision, recall, harmonic(precision, recall))


def corpus_word_prf(scores: Iterable[PRF]) -> PRF:
    """wcxb corpus figures: plain means of page precision, recall and F1 over all pages."""
    scores = list(scores)
    return PRF(_mean([s.precision for s in scores]), _mean([s.recall for s in scores]),
               _mean([s.f1 for s in scores]))


def bootstrap_std(items: Sequence[T], statistic: Callable[[list[T]], PRF],
                  resamples: int = 1000, seed: int = 0) -> PRF:
    """Sample standard deviation of `statistic` over seeded resamples of pages with replacement."""
    if not items or resamples < 2:
        return PRF(0.0, 0.0, 0.0)
    rng = random.Random(seed)
    n = len(items)
    drawn = [statistic([items[rng.randrange(n)] for _ in range(n)]) for _ in range(resamples)]
    return PRF(statistics.stdev(d.precision for d in drawn),
               statistics.stdev(d.recall for d in drawn),
               statistics.stdev(d.f1 for d in drawn))


def normalise_for_snippets(text: str | None) -> str:
    """NFKC, case-folded, whitespace collapsed to single spaces."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return _SPACE.sub(" ", text).strip()


def snippet_found(normalised_text: str, snippet: str) -> bool:
    """True if the normalised snippet is a substring of an already normalised text."""
    needle = normalise_for_snippets(snippet)
    return bool(needle) and needle in normalised_text


def count_snippets(text: str | None, snippets: Iterable[str]) -> int:
    """How many of the snippets occur in the text."""
    haystack = normalise_for_snippets(text)
    return sum(snippet_found(haystack, s) for s in snippets)


def _fold(text: str) -> str:
    return normalise_for_snippets(text.translate(_PUNCT_FOLD))


def title_match(predicted: str | None, truth: str | None) -> bool:
    """Titles are equal after NFKC, case, quote/dash and whitespace folding, allowing one side
    to carry an extra site-name segment ("Title | Site", "Site - Title")."""
    if not predicted or not truth:
        return False
    pred, true = _fold(predicted), _fold(truth)
    if pred == true:
        return True
    short, long = sorted((pred, true), key=len)
    return any(long.startswith(f"{short} {sep} ") or long.endswith(f" {sep} {short}")
               for sep in _TITLE_SEPARATORS)


def _author_names(text: str) -> list[set[str]]:
    return [names for part in _AUTHOR_SEPARATORS.split(text) if (names := set(word_tokens(part)))]


def author_match(predicted: str | None, truth: str | None) -> bool:
    """Some truth author's name words all appear in the prediction ("By Jane Doe" matches
    "Jane Doe"), or every predicted word belongs to the truth (a partial author list)."""
    if not predicted or not truth:
        return False
    pred_words = set(word_tokens(predicted))
    if not pred_words:
        return False
    return (any(name <= pred_words for name in _author_names(truth))
            or pred_words <= set(word_tokens(truth)))


def iso_date(value: object) -> str | None:
    """The first YYYY-MM-DD (or YYYY-MM) in a date, datetime or string, else None."""
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    match = _ISO_DATE.search(str(value or ""))
    if not match:
        return None
    year, month, day = match.groups()
    return f"{year}-{month}-{day}" if day else f"{year}-{month}"


def date_match(predicted: object, truth: object) -> bool:
    """Same calendar day; a truth known only to the month matches any day of that month."""
    pred, true = iso_date(predicted), iso_date(truth)
    if not pred or not true:
        return False
    return pred[:len(true)] == true if len(true) == 7 else pred == true
