"""Text-level promo filters: drop whole lines that are promo, and runs of other headlines.

They run on trafilatura's output and on already-scraped text. A line is only dropped when it
matches a rule *and* is short enough for that rule, so a long sentence that merely mentions a
newsletter survives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scraper.article import Removal
from scraper.clean.budget import RuleBudget
from scraper.clean.ruleset import RuleSet

_WORD = re.compile(r"\w+")
_SEPARATORS = frozenset({"-", "–", "—", "•", "*", "|"})
# A teaser in a headline list is a headline plus at most a kicker/standfirst line.
_TEASER_LINES = 3
_TEASER_MAX_WORDS = 45
_HEADLINE_MAX_WORDS = 16
_HEADLINE_END = re.compile(r"[.!;:\"”’»)]$")
_RELATED_RULES = frozenset({"related-heading-line"})
# Rules whose lines are calls to action: a heading right above one titles the promo box.
_CTA_RULES = frozenset({"cta-line", "cta-today", "sales-contact", "promo-code", "brand-pitch"})
_BOX_HEADING_MAX_WORDS = 8
# Rules whose lines pitch a newsletter: the short title-cased line right above one is the
# newsletter's name ("The Weekend Timetable"), even mid-article.
_PITCH_RULES = frozenset({"newsletter-reach-pitch", "newsletter-signup-line", "delivered-to-inbox",
                          "free-daily-email"})
_NAME_MAX_WORDS = 6
_LABEL_MAX_WORDS = 3
# A sentence may end inside its closing quote or bracket: `… Dickens." As an Amazon …`.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’»)\]]))\s+(?=\S)")


@dataclass(frozen=True)
class FilterResult:
    lines: tuple[str, ...]
    removed: tuple[Removal, ...]
    reverted: tuple[str, ...]


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _words(line: str) -> int:
    return len(_WORD.findall(line))


def _teaser(lines: list[str]) -> bool:
    """A teaser opens with a headline; a list item that opens with a sentence ("The attorney
    general is investigating …."), or a question with its answer (an FAQ), is article text
    (AEB and WCXB: 1,200 of the 1,470 words this rule removed were truth words)."""
    first = lines[0].strip()
    if not _looks_like_headline(first):
        return False
    return not (first.endswith("?") and len(lines) > 1 and _HEADLINE_END.search(lines[-1].strip()))


def _headline_runs(lines: list[str]) -> list[tuple[int, int]]:
    """Spans of separator-led teasers ("-", headline, standfirst) repeated at least twice."""
    spans = []
    i = 0
    while i < len(lines):
        if lines[i].strip() not in _SEPARATORS:
            i += 1
            continue
        start, teasers, j = i, 0, i
        while j < len(lines) and lines[j].strip() in _SEPARATORS:
            k = j + 1
            while (k < len(lines) and k - j <= _TEASER_LINES and lines[k].strip() not in _SEPARATORS
                   and _words(lines[k]) <= _TEASER_MAX_WORDS):
                k += 1
            if k == j + 1 or not _teaser(lines[j + 1:k]):
                break
            teasers, j = teasers + 1, k
        if teasers >= 2:
            spans.append((start, j))
            i = j
        else:
            i += 1
    return spans


def _looks_like_headline(line: str) -> bool:
    text = line.strip().removeprefix("- ").strip()
    return 0 < _words(text) <= _HEADLINE_MAX_WORDS and not _HEADLINE_END.search(text)


def _trailing_cut(line: str, rules: RuleSet, budget: RuleBudget) -> tuple[str, str, str] | None:
    """(the line without its last sentence, that sentence, the rule) when the sentence is small
    print that a `trim` rule matches."""
    if not rules.may_trim(line):
        return None
    parts = _SENTENCE_END.split(line)
    if len(parts) < 2:
        return None
    last = parts[-1]
    rule = budget.run(rules.trailing_rule, last, _words(last))
    return (line[: len(line) - len(last)].rstrip(), last, rule.name) if rule else None


def _pitches(line: str, brand: str) -> bool:
    """Whether an exclamation sells the site's brand ("… scale your training with Easy LMS!",
    "… powered by Fastarz!"); a story that names the site with some excitement does not. The
    brand is matched as written, so "packed with people!" is no pitch for People."""
    return re.search(rf"\b(with|by) {re.escape(brand)}\b(?!['’]s)", line) is not None


def _box_headings(lines: list[str], drop: dict[int, str]) -> None:
    """Drop the heading of a promo box ("Quality pediatric care" over "Schedule Online"): a short
    headline-like line directly above calls to action that run to the end of the text or to the
    next heading. A heading followed by article text after the pitch stays."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for pos, i in enumerate(filled):
        if drop.get(i) not in _CTA_RULES or pos == 0 or drop.get(filled[pos - 1]) in _CTA_RULES:
            continue
        head = filled[pos - 1]
        heading = lines[head].strip()
        if head in drop or _words(heading) > _BOX_HEADING_MAX_WORDS or not _looks_like_headline(heading):
            continue
        end = pos
        while end < len(filled) and filled[end] in drop:
            end += 1
        if end == len(filled) or _looks_like_headline(lines[filled[end]]):
            drop[head] = "promo-box-heading"
    for pos, i in enumerate(filled):
        if drop.get(i) not in _PITCH_RULES or pos == 0 or filled[pos - 1] in drop:
            continue
        name = lines[filled[pos - 1]].strip()
        if _words(name) <= _NAME_MAX_WORDS and _looks_like_headline(name) and _title_cased(name):
            drop[filled[pos - 1]] = "newsletter-name-line"


def _title_cased(line: str) -> bool:
    """A name's capitals: every word of four letters or more starts with one ("The Week's Free
    Newsletters", "Rails & Roads Weekly"); a sentence fragment does not."""
    words = re.findall(r"[^\W\d_]+", line)
    return bool(words) and words[0][0].isupper() and all(w[0].isupper() for w in words if len(w) >= 4)


def _date_labels(lines: list[str], drop: dict[int, str]) -> None:
    """Drop the short label above a dropped date stamp: a teaser card's kicker ("Airlines" over
    "Dec 19, 2025") or a meta label split from its value ("Posted on", "Last updated on:")."""
    previous = None
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if drop.get(i) == "dateline-only" and previous is not None and previous not in drop:
            label = lines[previous].strip()
            if _words(label) <= _LABEL_MAX_WORDS and not _HEADLINE_END.search(label.rstrip(":")):
                drop[previous] = "date-label"
        previous = i


def filter_lines(lines: list[str], rules: RuleSet, max_share: float = 0.6,
                 brand: str | None = None, trim_edges: bool = False,
                 title: str | None = None, page: str | None = None) -> FilterResult:
    """Drop promo lines and headline lists; undo everything if it would take most of the words.

    `brand` is the site's name: a line that is only the brand ("The Go Blog") is a masthead or
    a promo label, never article text, and a short exclamation "… with <brand>!" is its pitch.
    `trim_edges` drops a first or last line of at most three words without sentence punctuation
    ("Back to blog", "Tags"): extracted bodies carry their title separately, so such edge lines
    are crumbs, never the article (WCXB: 4 fewer leaks, no keep loss); scraped text keeps them
    because its first line is usually the title. A line that repeats the `title` is dropped: the
    record carries the title in its own field. (The description is not treated so: sites often
    copy the first paragraph into it.) Small print that a `trim` rule matches is cut off the end
    of a paragraph too long to drop whole; promo-box headings and the labels of dropped date
    stamps go with them. A user rule that runs out of time is skipped for the rest of the text
    and noted in `reverted` (and logged with the `page` it ran on).
    """
    original, lines = lines, list(lines)
    budget = RuleBudget(page)
    trimmed: list[Removal] = []
    drop: dict[int, str] = {}
    title_key = _key(title) if title else None
    if title_key:
        # A line whose key is the title's holds the title's first word: most lines are passed
        # over without being tokenised.
        first = title_key.split(" ", 1)[0]
        for i, line in enumerate(lines):
            if first in line.casefold() and line.strip() and _key(line) == title_key:
                drop[i] = "title-repeat"
    brand = brand.strip() if brand else None
    brand_key = brand.casefold() if brand else None
    for start, end in _headline_runs(lines):
        for k in range(start, end):
            drop[k] = "headline-run"
    after_related = False
    counts = [_words(line) for line in lines]
    for i, line in enumerate(lines):
        stripped = line.strip()
        if i in drop or not stripped:
            continue
        if brand_key and stripped.casefold() == brand_key:
            drop[i] = "brand-line"
            continue
        words = counts[i]
        if (brand and len(brand) >= 3 and words <= 20 and stripped.endswith("!")
                and _pitches(stripped, brand)):
            drop[i] = "brand-pitch"
            continue
        rule = budget.run(rules.text_rule, stripped, words)
        if rule is None and (cut := _trailing_cut(stripped, rules, budget)) is not None:
            # Only a paragraph too long for the rule keeps its text; a short one that ends in
            # small print ("Follow @BGRDeals … BGR may receive a commission …") is promo whole.
            lines[i], small_print, trim_rule = cut
            counts[i] = _words(lines[i])
            trimmed.append(Removal.of(trim_rule, small_print, stage="text"))
        if rule is not None:
            drop[i] = rule.name
            after_related = rule.name in _RELATED_RULES
        elif after_related and _looks_like_headline(stripped):
            drop[i] = "related-list"
        else:
            after_related = False
    _box_headings(lines, drop)
    _date_labels(lines, drop)
    live = [i for i, line in enumerate(lines) if line.strip() and i not in drop] if trim_edges else []
    for i in live[:1] + live[-1:]:
        text = lines[i].strip()
        # A table's last row ("| Oilseeds | 7.7 |") is short too, but it is data, not a crumb.
        if counts[i] <= 3 and not _HEADLINE_END.search(text) and not text.endswith("?") and not text.startswith("|"):
            drop[i] = "edge-crumb"
    total = sum(counts)
    dropped = sum(counts[i] for i in drop)
    if total and dropped / total > max_share:
        return FilterResult(tuple(original), (), (*budget.notes,
                                                  f"text filters: would remove {dropped / total:.0%} of the words"))
    removed: list[Removal] = trimmed
    run_rule, run_text = None, []
    for i, line in enumerate(lines + [""]):
        rule = drop.get(i)
        if rule != run_rule and run_text:
            removed.append(Removal.of(run_rule or "", " / ".join(run_text), stage="text"))
            run_text = []
        run_rule = rule
        if rule and line.strip() and line.strip() not in _SEPARATORS:
            run_text.append(line.strip())
    kept = tuple(line for i, line in enumerate(lines) if i not in drop)
    return FilterResult(kept, tuple(removed), tuple(budget.notes))
