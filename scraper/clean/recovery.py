"""The never-lose guard: when our rules took the article, get it back.

Pruning runs before extraction, so a rule that matches the article's container (a sign-up form
inside a short post, an id that happens to contain "more-about") silently costs the article.
The guard is cheap because it mostly does nothing: only when the body is short against the
page's paragraph text, pruning took most of that text, or one removal holds much prose against
the body, is the page extracted again without pruning (7 of 181 AEB pages, 17 of 793 WCXB).
When the pruned body holds under half of that unpruned body, the removals whose text the
unpruned body holds are undone (listed in `reverted`) and the page is cleaned again without
them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class GuardOptions:
    """When to compare with an unpruned extraction, and what counts as losing the article."""

    enabled: bool = True
    # Check when the body has under this share of the page's paragraph text...
    short_share: float = 0.3
    # ...or when pruning left under this share of the page's paragraph text (the body may then
    # be a long list of links that trafilatura took for the article)...
    kept_share: float = 0.5
    # ...or when one HTML removal holds more than this share of the body's text outside links.
    removed_ratio: float = 0.5
    # The rules took the article when the pruned body holds under this share of the unpruned
    # body's words (a body of teasers can be longer than the article it replaced).
    lost_share: float = 0.5
    # A removal is the article's when at least this share of its words are in the unpruned
    # body, and it has at least `min_words` words (a caption or a byline is not the article).
    overlap: float = 0.6
    min_words: int = 15
    # A body under this share of the page's paragraph text gets a warning.
    warn_share: float = 0.3
    warn_min_chars: int = 1500


def words(text: str) -> list[str]:
    """Casefolded words, as the comparisons count them."""
    return _WORD.findall(text.casefold())


def worth_checking(body: str, page_chars: int, kept_chars: int, prose: tuple[int, ...],
                   options: GuardOptions) -> bool:
    """Whether the pruned body looks short enough to be worth an unpruned extraction.

    `page_chars` and `kept_chars` are the page's paragraph text before and after pruning;
    `prose` is each HTML removal's text outside links (a list of headlines is never the
    article)."""
    if not options.enabled or not prose:
        return False
    return (len(body) < options.short_share * page_chars
            or kept_chars < options.kept_share * page_chars
            or max(prose) > options.removed_ratio * len(body))


def article_removals(body: str, unpruned: str, taken: tuple[str, ...],
                     options: GuardOptions) -> frozenset[str]:
    """The removals (normalised texts, as in `PruneResult.taken`) that held the article, when
    the pruned `body` lost most of what the `unpruned` body has; else none."""
    unpruned_words = Counter(words(unpruned))
    total = sum(unpruned_words.values())
    if not total or sum((Counter(words(body)) & unpruned_words).values()) >= options.lost_share * total:
        return frozenset()
    found = set()
    for text in taken:
        counted = Counter(words(text))
        size = sum(counted.values())
        if size < options.min_words:
            continue
        shared = sum((counted & unpruned_words).values())
        if shared >= options.overlap * size:
            found.add(text)
    return frozenset(found)
