"""A `RuleBook` holds every known rule file and hands out the compiled `RuleSet` for a page's
host or for scraped text, compiling each combination of files once and keeping a bounded number.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from typing import Any

from scraper.clean.rules import RuleFile
from scraper.clean.ruleset import RuleSet, compile_rules
from scraper.urls import host_of


def without_rules(files: Iterable[RuleFile], names: Collection[str]) -> tuple[RuleFile, ...]:
    """The files with the rules named in `names` taken out."""
    if not names:
        return tuple(files)
    return tuple(replace(f, html=tuple(r for r in f.html if r.name not in names),
                         text=tuple(r for r in f.text if r.name not in names)) for f in files)


def _without_disabled(files: list[RuleFile]) -> tuple[RuleFile, ...]:
    """The files with the rules that any of them disables taken out."""
    return without_rules(files, {name for f in files for name in f.disable})


class RuleBook:
    """All known rule files; hands out the compiled `RuleSet` for a page's host or text.

    It holds its rules as data and compiles them on first use (lxml selectors cannot be
    pickled): a pickled book travels without its compiled sets and compiles them again where
    it lands. Books given the same `compiled` dict share the sets of equal files."""

    def __init__(self, files: Iterable[RuleFile], compiled: dict[tuple[RuleFile, ...], RuleSet] | None = None) -> None:
        self.files = tuple(files)
        self._compiled = compiled if compiled is not None else {}
        self._hosts: dict[str, RuleSet] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"files": self.files}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["files"])  # type: ignore[misc]

    def for_url(self, url: str | None) -> RuleSet:
        host = host_of(url)
        found = self._hosts.get(host)
        if found is None:
            if len(self._hosts) >= _HOSTS_KEPT:
                self._hosts.clear()
            found = self._hosts[host] = self._for_host(host)
        return found

    def for_text(self, text: str, url: str | None = None) -> RuleSet:
        """Rules for plain text: by URL when known, else site files whose markers appear."""
        if url:
            return self.for_url(url)
        files = [f for f in self.files if not f.domains or any(m in text for m in f.text_markers)]
        return self._build(_without_disabled(files))

    def _for_host(self, host: str) -> RuleSet:
        return self._build(_without_disabled([f for f in self.files if not f.domains or f.applies_to_host(host)]))

    def _build(self, files: tuple[RuleFile, ...]) -> RuleSet:
        """The compiled rules of these files; hosts with the same files share one RuleSet (and
        so one memo of class/id matches, since class names recur across sites)."""
        found = self._compiled.get(files)
        if found is None:
            if len(self._compiled) >= _SETS_KEPT:
                self._compiled.clear()
            found = self._compiled[files] = compile_rules(files)
        return found


# Bounds of what a book keeps compiled: hosts seen, and distinct sets of files among them.
_HOSTS_KEPT = 4096
_SETS_KEPT = 256
