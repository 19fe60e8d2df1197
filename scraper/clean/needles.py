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


_ANCHORS = frozenset({_sre.AT_BEGINNING, _sre.AT_BEGINNING_STRING})
# Prefix sets multiply across alternations; past this many, the check costs more than it saves.
_MAX_PREFIXES = 64


def _leading(items: list[tuple[Any, Any]]) -> set[str]:
    """Literal strings one of which every match of this sequence starts with ({""}: none known)."""
    found = {""}
    for op, arg in items:
        if op is _sre.LITERAL:
            found = {p + chr(arg) for p in found}
            continue
        if op is _sre.SUBPATTERN and len(arg[3]) == 1 and arg[3][0][0] is _sre.BRANCH:
            alternatives = arg[3][0][1][1]
        elif op is _sre.BRANCH:
            alternatives = arg[1]
        elif op is _sre.SUBPATTERN:
            alternatives = [arg[3]]
        else:
            break
        heads = set().union(*(_leading(list(alt)) for alt in alternatives))
        found = {p + h for p in found for h in heads}
        break  # what follows a group depends on which alternative matched
    return found if len(found) <= _MAX_PREFIXES else {""}


def starts(pattern: str, flags: int = 0) -> tuple[str, ...] | None:
    """Lowercase literal prefixes one of which every string that `pattern` matches *from its
    start* (`match`, `fullmatch`) begins with, or None when none is known."""
    try:
        heads = _leading(list(_sre_parse(pattern, flags)))
    except (re.error, RecursionError):
        return None
    return None if "" in heads else tuple(sorted({h.lower() for h in heads}))


def prefixes(pattern: str, flags: int = re.IGNORECASE) -> tuple[str, ...] | None:
    """Lowercase literal prefixes of which a search of `pattern` (anchored at the start of the
    string by `^` or `\\A` in every alternative) can only match a string that starts with one;
    None when the pattern is not anchored so, or no prefix is known.

    A prefilter as `needles` is: `line.lower().startswith(prefixes)` is one C call."""
    if flags & re.MULTILINE:
        return None
    try:
        parsed = _sre_parse(pattern, flags)
    except re.error:
        return None
    if parsed.state.flags & re.MULTILINE:
        return None
    top = list(parsed)
    branches = top[0][1][1] if len(top) == 1 and top[0][0] is _sre.BRANCH else [top]
    found: set[str] = set()
    for branch in branches:
        branch = list(branch)
        if not branch or branch[0][0] is not _sre.AT or branch[0][1] not in _ANCHORS:
            return None
        heads = _leading(branch[1:])
        if "" in heads:
            return None
        found |= heads
    return tuple(sorted({p.lower() for p in found})) or None


_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT))


def _contained(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Literal strings one of which every match of this sequence contains (the set whose
    shortest string is longest), or None when no literal is certain."""
    best: set[str] | None = None
    best_len, run = 0, ""
    for op, arg in [*items, (None, None)]:
        if op is _sre.LITERAL:
            run += chr(arg)
            continue
        found: set[str] | None = {run} if run else None
        if found is not None and len(run) > best_len:
            best, best_len = found, len(run)
        if run and op in (_sre.SUBPATTERN, _sre.BRANCH):
            # A run and the group after it: "p(w|aywall)" holds "pw" or "paywall", not just "p".
            heads = _leading([(op, arg)])
            if "" not in heads and min(len(run) + len(h) for h in heads) > best_len:
                best, best_len = {run + h for h in heads}, min(len(run) + len(h) for h in heads)
        run = ""
        if op is _sre.SUBPATTERN:
            found = _contained(list(arg[3]))
        elif op is _sre.BRANCH:
            alternatives = [_contained(list(alt)) for alt in arg[1]]
            found = None if any(a is None for a in alternatives) else set().union(*alternatives)  # type: ignore[arg-type]
        elif op in _REPEATS and arg[0] >= 1:
            found = _contained(list(arg[2]))
        elif op is getattr(_sre, "ATOMIC_GROUP", None):
            found = _contained(list(arg))
        else:
            continue
        if found and min(map(len, found)) > best_len:
            best, best_len = found, min(map(len, found))
    return best


def gate(pattern: str, flags: int = 0) -> re.Pattern[str] | None:
    """A literal-only regex that finds something in every lowercased string `pattern` matches
    (so a string it misses needs no search with `pattern`), or None when none is known. Python's
    engine runs an alternation of literals several times faster than a pattern whose
    alternatives open with anchors, classes or lookbehinds."""
    try:
        found = _contained(list(_sre_parse(pattern, flags)))
    except (re.error, RecursionError):
        return None
    if not found:
        return None
    return re.compile("|".join(re.escape(n) for n in sorted({n.lower() for n in found}, key=len, reverse=True)))
