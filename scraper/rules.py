"""Cleaning rules as data: TOML files grouped by concept, loaded and compiled once.

A rule file may hold HTML rules (`[[html]]`: a CSS or XPath selector, a regex on class/id
names, a regex on the text of a short heading whose block is removed, or the exact text of a
block, as site templates are learned) and text rules (`[[text]]`: a regex that marks a whole
line as promo). A file with `domains` is a site file and applies to those domains and their
subdomains; `text_markers` let a site file apply to already-scraped text that carries no URL.
Files without `domains` are generic and always apply. `disable = ["rule-name", ...]` turns
rules of other files (shipped ones included) off wherever the disabling file applies.
"""

from __future__ import annotations

import re
import tomllib
from re import _constants as _sre  # type: ignore[attr-defined]
from re._parser import parse as _sre_parse  # type: ignore[import-not-found]
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector
from cssselect import SelectorError

from .errors import RuleError

# BEM modifiers ("content-header--social-icons-position") describe a variant of a block, not
# what the block is: Wired's article header was taken for a share bar (AEB).
BEM_MODIFIER = re.compile(r"--[\w-]*")
_HTML_KINDS = ("css", "xpath", "attr", "heading", "exact")
_MISS = object()
_DEFAULT_MAX_WORDS = 30


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


@dataclass(frozen=True)
class TextRule:
    """Drop a whole line whose text matches `pattern` and has at most `max_words` words."""

    name: str
    pattern: re.Pattern[str]
    max_words: int = _DEFAULT_MAX_WORDS
    # Lowercase substrings one of which every match contains, when the pattern guarantees
    # some: a `str` search in C is ~100x cheaper than an unanchored regex search.
    needles: tuple[str, ...] | None = None
    # Small print that sites glue onto the end of a paragraph ("… As an Amazon Associate we
    # earn from qualifying purchases."): a matching last sentence is cut off a longer line.
    trim: bool = False


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
    # Class strings repeat across elements and pages; matching each once is most of the speed.
    _attr_memo: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    _trim: tuple[TextRule, ...] = field(init=False, compare=False, repr=False)
    _text_plan: tuple[tuple[int, tuple[str, ...] | None, Callable[[str], Any], TextRule], ...] = field(
        init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_trim", tuple(rule for rule in self.text if rule.trim))
        # Plain tuples: the text rules run on every line, and attribute lookups add up.
        object.__setattr__(self, "_text_plan", tuple((r.max_words, r.needles, r.pattern.search, r)
                                                     for r in self.text))

    def text_rule(self, line: str, words: int) -> TextRule | None:
        """The first text rule (in file order) that drops `line` of `words` words, if any."""
        # Joining the rules into one alternation was measured 4x slower: Python's engine then
        # tries every alternative at every position, while single anchored patterns fail fast.
        lowered = line.lower()
        for max_words, needles, search, rule in self._text_plan:
            if words > max_words:
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
        return None

    def may_trim(self, line: str) -> bool:
        """Whether some `trim` rule could match inside `line` (its needles occur in it)."""
        if not self._trim:
            return False
        lowered = line.lower()
        return any(rule.needles is None or any(n in lowered for n in rule.needles) for rule in self._trim)

    def trailing_rule(self, sentence: str, words: int) -> TextRule | None:
        """The first `trim` rule that matches a paragraph's last `sentence`, if any."""
        for rule in self._trim:
            if words <= rule.max_words and rule.pattern.search(sentence):
                return rule
        return None

    def attr_rule(self, attrs: str) -> str | None:
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
                match = self.attr.search(plain) if self.attr is not None else None
                found = memo[token] = self.attr_names[int(match.lastgroup[1:])] if match else None
            if found is not None:
                name = found
                break
        memo[attrs] = name
        return name


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


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise RuleError(f"{where}: bad regex {pattern!r}: {exc}") from exc


def _selector(kind: str, pattern: str, where: str) -> Callable[[Any], list] | re.Pattern[str] | None:
    """Compile one HTML rule's pattern, turning syntax errors into `RuleError`."""
    if kind == "exact":
        if not pattern:
            raise RuleError(f"{where}: empty exact text")
        return None
    try:
        if kind == "css":
            return CSSSelector(pattern)
        if kind == "xpath":
            return etree.XPath(pattern)
    except (SelectorError, etree.XPathSyntaxError) as exc:
        raise RuleError(f"{where}: bad {kind.upper() if kind == 'css' else 'XPath'} selector {pattern!r}: {exc}") from exc
    return _compile(pattern, where)


def _parse(data: dict[str, Any], name: str) -> RuleFile:
    unknown = set(data) - {"domains", "text_markers", "html", "text", "disable"}
    if unknown:
        raise RuleError(f"{name}: unknown keys {sorted(unknown)}")
    html: list[HtmlRule] = []
    for i, entry in enumerate(data.get("html", [])):
        where = f"{name}: html rule {i + 1}"
        if unknown := set(entry) - {"name", "expand", *_HTML_KINDS}:
            raise RuleError(f"{where}: unknown keys {sorted(unknown)}")
        kinds = [k for k in _HTML_KINDS if k in entry]
        if len(kinds) != 1 or "name" not in entry:
            raise RuleError(f"{where}: needs a name and exactly one of {', '.join(_HTML_KINDS)}")
        kind = kinds[0]
        pattern = normalise_text(str(entry[kind])) if kind == "exact" else str(entry[kind])
        _selector(kind, pattern, where)
        html.append(HtmlRule(str(entry["name"]), kind, pattern, bool(entry.get("expand", False))))
    text = []
    for i, entry in enumerate(data.get("text", [])):
        where = f"{name}: text rule {i + 1}"
        if "name" not in entry or "pattern" not in entry:
            raise RuleError(f"{where}: needs a name and a pattern")
        if unknown := set(entry) - {"name", "pattern", "max_words", "trim"}:
            raise RuleError(f"{where}: unknown keys {sorted(unknown)}")
        compiled = _compile(str(entry["pattern"]), where)
        text.append(TextRule(str(entry["name"]), compiled, int(entry.get("max_words", _DEFAULT_MAX_WORDS)),
                             needles(compiled.pattern), bool(entry.get("trim", False))))
    domains = tuple(str(d).lower().removeprefix("www.") for d in data.get("domains", []))
    markers = tuple(str(m) for m in data.get("text_markers", []))
    disable = data.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(d, str) for d in disable):
        raise RuleError(f"{name}: disable must be a list of rule names")
    return RuleFile(name, domains, markers, tuple(html), tuple(text), tuple(disable))


def load_rule_file(path: str | Path) -> RuleFile:
    """Load and validate one user rule file; raise `RuleError` with the file and the problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuleError(f"rule file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read rule file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from exc
    return _parse(data, str(path))


def _shipped() -> Iterable[RuleFile]:
    root = resources.files("scraper") / "rulesets"
    for group in ("generic", "sites"):
        for entry in sorted(root.joinpath(group).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                yield _parse(tomllib.loads(entry.read_text(encoding="utf-8")), f"{group}/{entry.name}")


def _join(rules: Iterable[HtmlRule], kind: str) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    chosen = [r for r in rules if r.kind == kind]
    if not chosen:
        return None, ()
    pattern = "|".join(f"(?P<r{i}>{r.pattern})" for i, r in enumerate(chosen))
    # Class/id and heading patterns run on lowercased text: case-insensitive matching is 3x slower.
    return re.compile(pattern), tuple(r.name for r in chosen)


def _without_disabled(files: list[RuleFile]) -> tuple[RuleFile, ...]:
    """The files with the rules that any of them disables taken out."""
    off = {name for f in files for name in f.disable}
    if not off:
        return tuple(files)
    return tuple(replace(f, html=tuple(r for r in f.html if r.name not in off),
                         text=tuple(r for r in f.text if r.name not in off)) for f in files)


class RuleBook:
    """All known rule files; hands out the compiled `RuleSet` for a page's host or text."""

    def __init__(self, files: Iterable[RuleFile]) -> None:
        self.files = tuple(files)
        self._by_host = lru_cache(maxsize=4096)(self._for_host)

    @classmethod
    def default(cls, extra: Iterable[str | Path] = ()) -> RuleBook:
        """The shipped generic and site rules plus the user's rule files, in that order."""
        return cls([*_shipped(), *(load_rule_file(p) for p in extra)])

    def for_url(self, url: str | None) -> RuleSet:
        host = (urlsplit(url).hostname or "") if url else ""
        return self._by_host(host.lower().removeprefix("www."))

    def for_text(self, text: str, url: str | None = None) -> RuleSet:
        """Rules for plain text: by URL when known, else site files whose markers appear."""
        if url:
            return self.for_url(url)
        files = [f for f in self.files if not f.domains or any(m in text for m in f.text_markers)]
        return self._build(_without_disabled(files))

    def _for_host(self, host: str) -> RuleSet:
        return self._build(_without_disabled([f for f in self.files if not f.domains or f.applies_to_host(host)]))

    @staticmethod
    @lru_cache(maxsize=256)
    def _build(files: tuple[RuleFile, ...]) -> RuleSet:
        """Compile the rules of these files; hosts with the same files share one RuleSet (and
        so one memo of class/id matches, since class names recur across sites)."""
        html = [r for f in files for r in f.html]
        attr, attr_names = _join(html, "attr")
        heading, heading_names = _join(html, "heading")
        selectors = tuple((r, _selector(r.kind, r.pattern, r.name)) for r in html if r.kind in ("css", "xpath"))
        text = tuple(r for f in files for r in f.text)
        exact = {r.pattern: r for r in html if r.kind == "exact"}
        return RuleSet(selectors, attr, attr_names, heading, heading_names, text, exact)
