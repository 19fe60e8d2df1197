"""Cleaning rules as data: the records of rule files (TOML grouped by concept, read by
`scraper.clean.rulefiles`) and the compiling of one rule's pattern; `scraper.clean.ruleset`
compiles a page's rules into a `RuleSet`, `scraper.clean.rulebook` hands them out per host.

A rule file may hold HTML rules (`[[html]]`: a CSS or XPath selector, a regex on class/id
names, a regex on the text of a short heading whose block is removed, or the exact text of a
block, as site templates are learned) and text rules (`[[text]]`: a regex that marks a whole
line as promo). A file with `domains` is a site file and applies to those domains and their
subdomains; `text_markers` let a site file apply to already-scraped text that carries no URL.
Files without `domains` are generic and always apply. `disable = ["rule-name", ...]` turns
rules of other files (shipped ones included) off wherever the disabling file applies.

The user's rule files are untrusted: their regexes run on the `regex` engine under a time
budget per match, so one with catastrophic backtracking cannot hang a batch (scraper.clean.budget).
The shipped rules are ours and stay on `re`, the fast path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

import regex
from lxml import etree
from lxml.cssselect import CSSSelector
from cssselect import SelectorError

from scraper.clean.xpaths import faster_xpath
from scraper.errors import RuleError

# BEM modifiers ("content-header--social-icons-position") describe a variant of a block, not
# what the block is: Wired's article header was taken for a share bar (AEB).
BEM_MODIFIER = re.compile(r"--[\w-]*")
HTML_KINDS = ("css", "xpath", "attr", "heading", "exact")
DEFAULT_MAX_WORDS = 30


def normalise_text(text: str) -> str:
    """Whitespace collapsed and casefolded: how `exact` rules compare an element's whole text."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class HtmlRule:
    """Remove elements: by CSS selector, by class/id regex, the block under a heading, or by
    exact text (`pattern` then holds the normalised text)."""

    name: str
    kind: str
    pattern: str
    expand: bool = False  # remove the small box around each match, not just the match
    # Where it came from and how it runs, not what it is: two rules alike in these stay equal.
    origin: str = field(default="", compare=False)
    timeout: float | None = field(default=None, compare=False)  # per-match budget of a user regex

    @property
    def key(self) -> str:
        return f"{self.origin}: {self.name}"


@dataclass(frozen=True)
class TextRule:
    """Drop a whole line whose text matches `pattern` and has at most `max_words` words."""

    name: str
    pattern: re.Pattern[str] | regex.Pattern[str]
    max_words: int = DEFAULT_MAX_WORDS
    # Lowercase substrings one of which every match contains, when the pattern guarantees
    # some: a `str` search in C is ~100x cheaper than an unanchored regex search.
    needles: tuple[str, ...] | None = None
    # Small print that sites glue onto the end of a paragraph ("… As an Amazon Associate we
    # earn from qualifying purchases."): a matching last sentence is cut off a longer line.
    trim: bool = False
    origin: str = field(default="", compare=False)
    timeout: float | None = field(default=None, compare=False)  # set for user rules, run on `regex`

    @property
    def key(self) -> str:
        return f"{self.origin}: {self.name}"

    @property
    def search(self) -> Callable[[str], Any]:
        """The pattern's search, under the rule's time budget when it has one."""
        if self.timeout is None:
            return self.pattern.search
        return partial(self.pattern.search, timeout=self.timeout)


@dataclass(frozen=True)
class RuleFile:
    """One TOML file: generic when `domains` is empty, else a site file."""

    name: str
    domains: tuple[str, ...]
    text_markers: tuple[str, ...]
    html: tuple[HtmlRule, ...]
    text: tuple[TextRule, ...]
    # Names of rules (from any file) that are off wherever this file applies.
    disable: tuple[str, ...] = ()

    def applies_to_host(self, host: str) -> bool:
        return any(host == d or host.endswith("." + d) for d in self.domains)


def compile_pattern(pattern: str, where: str, budgeted: bool = False, flags: int = re.IGNORECASE) -> Any:
    """A shipped rule's pattern on `re`; a user rule's on `regex`, which can stop a match in time."""
    try:
        if budgeted:
            return regex.compile(pattern, flags)
        return re.compile(pattern, flags)
    except (re.error, regex.error) as exc:
        raise RuleError(f"{where}: bad regex {pattern!r}: {exc}") from exc


def compile_selector(kind: str, pattern: str, where: str,
              budgeted: bool = False) -> Callable[[Any], list] | re.Pattern[str] | None:
    """Compile one HTML rule's pattern, turning syntax errors into `RuleError`."""
    if kind == "exact":
        if not pattern:
            raise RuleError(f"{where}: empty exact text")
        return None
    try:
        if kind == "css":
            return CSSSelector(pattern)
        if kind == "xpath":
            etree.XPath(pattern)  # the rule as written must be valid, whatever the rewrite makes of it
            return etree.XPath(faster_xpath(pattern))
    except (SelectorError, etree.XPathSyntaxError) as exc:
        raise RuleError(f"{where}: bad {kind.upper() if kind == 'css' else 'XPath'} selector {pattern!r}: {exc}") from exc
    return compile_pattern(pattern, where, budgeted)
