"""Time budgets for the user's rule regexes: a runaway pattern is stopped, skipped and reported.

User rule files are untrusted: their regexes run on the `regex` engine, whose matches take a
`timeout=`, so one with catastrophic backtracking cannot hang a batch. A rule that runs out of
time raises `RuleTimeoutError`; `RuleBudget` catches it, skips that rule for the rest of the page
and notes it once. The shipped rules stay on `re`, which is faster (benchmarks/rule_engines.py:
on `regex` with a timeout the fixtures' text filters take 1.5x and pruning 2x as long), and
never raise it.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Collection, TypeVar

import regex

from scraper.errors import RuleTimeoutError

# Seconds one match of a user rule may take. Rule patterns run on a line or a class name:
# sound ones take microseconds, so this only ever stops runaway backtracking.
USER_RULE_TIMEOUT = 0.25
_log = logging.getLogger(__name__)
T = TypeVar("T")


def timed_out(rule: Any) -> RuleTimeoutError:
    """The error for a user rule (a `TextRule` or `HtmlRule`) whose match ran out of time."""
    return RuleTimeoutError(f"rule {rule.name!r} of {rule.origin} took over {rule.timeout:g} s on this "
                            f"page and was skipped for it", rule.key)


def first_budgeted(entries: tuple[tuple[Any, regex.Pattern[str]], ...], text: str,
                   skip: Collection[str], full: bool) -> str | None:
    """Name of the first user `attr`/`heading` rule matching `text`, each under its budget."""
    for rule, pattern in entries:
        if rule.key in skip:
            continue
        try:
            hit = (pattern.fullmatch if full else pattern.search)(text, timeout=rule.timeout)
        except TimeoutError:
            raise timed_out(rule) from None
        if hit:
            return rule.name
    return None


class RuleBudget:
    """One page's account of user rules that ran out of time: each is skipped for the rest of
    the page, logged with its file and name, and noted once (the notes go to `reverted`)."""

    def __init__(self, page: str | None = None) -> None:
        self.page = page  # for the log line: the page is in a batch of thousands
        self.skip: set[str] = set()
        self.notes: list[str] = []

    def run(self, match: Callable[..., T], *args: Any) -> T:
        """Call a `RuleSet` matcher with the skipped rules; on a timeout, skip that rule and retry."""
        while True:
            try:
                return match(*args, skip=self.skip)
            except RuleTimeoutError as exc:
                self.skip.add(exc.rule)
                self.notes.append(exc.reason)
                _log.warning("%s%s", exc.reason, f": {self.page}" if self.page else "")
