"""Literal substrings that every match of a text rule's regex contains: a cheap prefilter.

A `str` search in C is ~100x cheaper than an unanchored regex search, so a line that holds none
of a rule's needles is never handed to the regex (tests/test_needles.py checks it never skips a
line the regex would match).
"""

from __future__ import annotations

import re
from re import _constants as _sre  # type: ignore[attr-defined]
from re._parser import parse as _sre_parse  # type: ignore[import-not-found]
from typing import Any


def _literal_run(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    """The longest literal one of which every match of this sequence contains: a run of literal
    characters, or a group of literal alternatives (its shortest alternative counts)."""
    best: tuple[str, ...] | None = None
    best_len, run = 0, ""
    for op, arg in [*items, (None, None)]:
        if op is _sre.LITERAL:
            run += chr(arg)
            continue
        if len(run) > best_len:
            best, best_len = (run,), len(run)
        run = ""
        if op is _sre.SUBPATTERN and len(arg[3]) == 1 and arg[3][0][0] is _sre.BRANCH:
            alternatives = arg[3][0][1][1]
            if all(alt and all(o is _sre.LITERAL for o, _ in alt) for alt in alternatives):
                words = tuple("".join(chr(c) for _, c in alt) for alt in alternatives)
                if min(map(len, words)) > best_len:
                    best, best_len = words, min(map(len, words))
    return best if best_len >= 3 else None


def needles(pattern: str) -> tuple[str, ...] | None:
    """Lowercase substrings of which every match of `pattern` contains one, or None."""
    try:
        top = list(_sre_parse(pattern, re.IGNORECASE))
    except re.error:
        return None
    # The parser factors a prefix that every alternative shares ("\\b…|\\b…") out of the branch.
    while top and top[0][0] is _sre.AT:
        top = top[1:]
    branches = top[0][1][1] if len(top) == 1 and top[0][0] is _sre.BRANCH else [top]
    found: list[str] = []
    for branch in branches:
        run = _literal_run(list(branch))
        if run is None:
            return None
        found += (word.lower() for word in run)
    return tuple(found)
