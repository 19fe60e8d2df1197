"""The rules that apply to one page, compiled for a single pass over its tree: a `RuleSet`.

Shipped class/id and heading patterns are joined into one pattern each, matched on lowercased
text and behind literal gates, since most tokens and headings hold none of the words they look
for; text rules are planned per line length and first character, so a long paragraph skips
nearly every rule without running it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterable

import regex

from scraper.clean.budget import first_budgeted, timed_out
from scraper.clean.needles import gate, prefixes, starts
from scraper.clean.rules import BEM_MODIFIER, HtmlRule, RuleFile, TextRule, compile_pattern, compile_selector

_MISS = object()

# (literal prefixes, needles, search, rule) of one text rule, as `RuleSet.text_rule` runs it.
_PlanEntry = tuple[tuple[str, ...] | None, tuple[str, ...] | None, Callable[[str], Any], "TextRule"]


@dataclass(frozen=True)
class RuleSet:
    """The rules that apply to one page, compiled for a single pass over the tree."""

    selectors: tuple[tuple[HtmlRule, Callable[[Any], list]], ...]
    attr: re.Pattern[str] | None
    attr_names: tuple[str, ...]
    heading: re.Pattern[str] | None
    heading_names: tuple[str, ...]
    text: tuple[TextRule, ...]
    # `exact` rules by their normalised text: one dict lookup per block, however many rules.
    exact: dict[str, HtmlRule] = field(default_factory=dict, hash=False)
    # User `attr`/`heading` rules, each on its own under its time budget (a joined pattern could
    # not say which rule ran out of time); tried after the shipped ones, as file order has it.
    attr_budgeted: tuple[tuple[HtmlRule, regex.Pattern[str]], ...] = ()
    heading_budgeted: tuple[tuple[HtmlRule, regex.Pattern[str]], ...] = ()
    # Class strings repeat across elements and pages; matching each once is most of the speed.
    _attr_memo: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    _trim: tuple[TextRule, ...] = field(init=False, compare=False, repr=False)
    # The text rules that can drop a line of n words (those with max_words >= n), by n: long
    # paragraphs, most of a body, then skip nearly every rule without looking at it.
    _text_plans: dict[tuple[int, str], tuple[_PlanEntry, ...]] = field(default_factory=dict, compare=False,
                                                                        repr=False)
    _max_words: int = field(init=False, compare=False, repr=False)
    # Each text rule's literal prefixes (None: not anchored on literals), in `text` order.
    _heads: tuple[tuple[str, ...] | None, ...] = field(init=False, compare=False, repr=False)
    # Literals one of which every class/id token the joined `attr` pattern matches holds: most
    # tokens hold none and skip the (slower) pattern.
    _attr_gate: re.Pattern[str] | None = field(init=False, compare=False, repr=False)
    # What every heading the joined `heading` pattern matches starts with.
    _heading_starts: tuple[str, ...] | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_trim", tuple(rule for rule in self.text if rule.trim))
        object.__setattr__(self, "_attr_gate", gate(self.attr.pattern, self.attr.flags) if self.attr else None)
        object.__setattr__(self, "_heading_starts",
                           starts(self.heading.pattern, self.heading.flags) if self.heading else None)
        object.__setattr__(self, "_max_words", max((r.max_words for r in self.text), default=0))
        object.__setattr__(self, "_heads", tuple(_prefixes(r) for r in self.text))

    def _text_plan(self, words: int, first: str) -> tuple[_PlanEntry, ...]:
        """The rules that may drop a line of `words` words whose lowercased text starts with
        `first` (an ASCII character; "" for any other): anchored rules whose literal prefixes
        all start otherwise are left out."""
        key = (min(words, self._max_words + 1), first if first.isascii() else "")
        plan = self._text_plans.get(key)
        if plan is None:
            # Plain tuples: the text rules run on every line, and attribute lookups add up.
            plan = tuple((heads, r.needles, r.search, r) for r, heads in zip(self.text, self._heads)
                         if key[0] <= r.max_words and (heads is None or not key[1]
                                                      or any(h.startswith(key[1]) for h in heads)))
            self._text_plans[key] = plan
        return plan

    @property
    def has_attr_rules(self) -> bool:
        return self.attr is not None or bool(self.attr_budgeted)

    @property
    def has_heading_rules(self) -> bool:
        return self.heading is not None or bool(self.heading_budgeted)

    def text_rule(self, line: str, words: int, skip: Collection[str] = ()) -> TextRule | None:
        """The first text rule (in file order) that drops `line` of `words` words, if any; rules
        keyed in `skip` are left out. Raises `RuleTimeoutError` when a user rule runs out of time."""
        # Joining the rules into one alternation was measured 4x slower: Python's engine then
        # tries every alternative at every position, while single anchored patterns fail fast.
        lowered = line.lower()
        plan = self._text_plan(words, lowered[:1])
        if not plan:
            return None
        if skip:
            plan = tuple(p for p in plan if p[3].key not in skip)
        rule = None
        try:
            for starts, needles, search, rule in plan:
                if starts is not None and not lowered.startswith(starts):
                    continue
                if needles is not None:
                    # A loop, not any(): this runs for every rule on every line, and the generator
                    # cost more than the substring tests themselves.
                    for needle in needles:
                        if needle in lowered:
                            break
                    else:
                        continue
                if search(line):
                    return rule
        except TimeoutError:  # only `regex` raises it, so only a user rule
            raise timed_out(rule) from None
        return None

    def may_trim(self, line: str) -> bool:
        """Whether some `trim` rule could match inside `line` (its needles occur in it)."""
        if not self._trim:
            return False
        lowered = line.lower()
        return any(rule.needles is None or any(n in lowered for n in rule.needles) for rule in self._trim)

    def trailing_rule(self, sentence: str, words: int, skip: Collection[str] = ()) -> TextRule | None:
        """The first `trim` rule that matches a paragraph's last `sentence`, if any."""
        for rule in self._trim:
            if words > rule.max_words or rule.key in skip:
                continue
            try:
                if rule.search(sentence):
                    return rule
            except TimeoutError:
                raise timed_out(rule) from None
        return None

    def heading_rule(self, text: str, skip: Collection[str] = ()) -> str | None:
        """Name of the heading rule matching the whole of `text` (lowercased), if any."""
        if self.heading is not None and (match := self.heading.fullmatch(text)):
            return self.heading_names[int(match.lastgroup[1:])]
        return first_budgeted(self.heading_budgeted, text, skip, full=True)

    def heading_hits(self, texts: Iterable[str], skip: Collection[str] = ()) -> dict[str, str]:
        """The heading rule's name for each of `texts` (normalised, lowercased) that one matches
        whole. One call per page: a call per text cost more than most matches."""
        found = {}
        fullmatch, heads, names = (self.heading.fullmatch if self.heading is not None else None,
                                   self._heading_starts, self.heading_names)
        for text in texts:
            if fullmatch is not None and (heads is None or text.startswith(heads)) and (match := fullmatch(text)):
                found[text] = names[int(match.lastgroup[1:])]
            elif self.heading_budgeted and (name := first_budgeted(self.heading_budgeted, text, skip, full=True)):
                found[text] = name
        return found

    def attr_hits(self, values: Iterable[str], skip: Collection[str] = ()) -> dict[str, str]:
        """The class/id rule's name for each of `values` that one matches (see `attr_rule`)."""
        memo, found = self._attr_memo, {}
        for value in values:
            name = memo.get(value, _MISS)
            if name is _MISS:
                name = self.attr_rule(value, skip)
            if name:
                found[value] = name
        return found

    def attr_rule(self, attrs: str, skip: Collection[str] = ()) -> str | None:
        """Name of the class/id rule matching one attribute value, if any."""
        # Matched token by token: no attr pattern spans a space, and single tokens ("flex",
        # "mt-4", "post__title") recur across sites far more than whole class strings do, which
        # made this pass a third of the pruning time on varied pages (WCXB).
        memo = self._attr_memo
        name = memo.get(attrs, _MISS)
        if name is not _MISS:
            return name
        if len(memo) > 200_000:
            memo.clear()
        name = None
        for token in attrs.split():
            found = memo.get(token, _MISS)
            if found is _MISS:
                plain = BEM_MODIFIER.sub("", token).lower()
                gated = self._attr_gate is not None and not self._attr_gate.search(plain)
                match = self.attr.search(plain) if self.attr is not None and not gated else None
                found = (self.attr_names[int(match.lastgroup[1:])] if match
                         else first_budgeted(self.attr_budgeted, plain, skip, full=False))
                if not skip:  # an answer without a skipped rule holds for this page only
                    memo[token] = found
            if found is not None:
                name = found
                break
        if not skip:
            memo[attrs] = name
        return name


def _prefixes(rule: TextRule) -> tuple[str, ...] | None:
    # Shipped rules only: a user rule runs on `regex`, whose syntax `re`'s parser may read otherwise.
    if not isinstance(rule.pattern, re.Pattern):
        return None
    return prefixes(rule.pattern.pattern, rule.pattern.flags)


def _join(rules: Iterable[HtmlRule], kind: str) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    chosen = [r for r in rules if r.kind == kind and r.timeout is None]
    if not chosen:
        return None, ()
    pattern = "|".join(f"(?P<r{i}>{r.pattern})" for i, r in enumerate(chosen))
    # Class/id and heading patterns run on lowercased text: case-insensitive matching is 3x slower.
    return re.compile(pattern), tuple(r.name for r in chosen)


def compile_rules(files: tuple[RuleFile, ...]) -> RuleSet:
    """Compile the rules of these files for one pass over a page."""
    html = [r for f in files for r in f.html]
    attr, attr_names = _join(html, "attr")
    heading, heading_names = _join(html, "heading")
    selectors = tuple((r, compile_selector(r.kind, r.pattern, r.name)) for r in html if r.kind in ("css", "xpath"))
    text = tuple(r for f in files for r in f.text)
    exact = {r.pattern: r for r in html if r.kind == "exact"}
    # Lowercased text, no IGNORECASE: as the joined shipped patterns.
    attr_budgeted, heading_budgeted = (
        tuple((r, compile_pattern(r.pattern, r.key, True, 0)) for r in html if r.kind == kind and r.timeout is not None)
        for kind in ("attr", "heading"))
    return RuleSet(selectors, attr, attr_names, heading, heading_names, text, exact,
                   attr_budgeted, heading_budgeted)
