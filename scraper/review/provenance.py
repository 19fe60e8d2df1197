"""Where each rule comes from: its file, its kind, and the evidence comment written above or in it.

The review shows this beside every removal, so that a person who doubts a removal can read why
the rule exists before turning it off. Comments are read from the TOML text itself (tomllib
drops them): the comment lines inside a rule's table, else the file's opening comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from scraper.clean.rules import HTML_KINDS

# Rules built into the filters and the pruner rather than written in a rule file.
_BUILTIN = {
    "standfirst": "the page's standfirst repeats its meta description (prune.py)",
    "title-repeat": "a line that repeats the title (filters.py)",
    "headline-run": "a run of short headline-like lines: a list of other articles (filters.py)",
    "brand-line": "a line that is only the site's name (filters.py)",
    "brand-pitch": "a short line selling the site itself (filters.py)",
    "related-list": "a heading followed by a list of links to other articles (filters.py)",
    "edge-crumb": "a first or last line of at most three words: a crumb or a tag list (filters.py)",
    "promo-box-heading": "the heading of a promo box whose lines were removed (filters.py)",
    "dateline-only": "a line holding only a date (filters.py)",
    "date-label": "the label in front of a date-only line (filters.py)",
}
_TABLE = re.compile(r"^\s*\[\[(html|text)\]\]\s*$")
_NAME = re.compile(r"""^\s*name\s*=\s*["'](.+?)["']\s*$""")


@dataclass(frozen=True)
class RuleInfo:
    """One rule as the review describes it; `kind` picks its colour: html, text, template, builtin."""

    name: str
    kind: str
    file: str
    evidence: str = ""
    selector: str = ""  # html rules: which of css/xpath/attr/heading/exact


def _comment(lines: list[str]) -> str:
    return " ".join(line.strip().lstrip("#").strip() for line in lines).strip()


def rules_in_text(text: str, file: str) -> list[RuleInfo]:
    """The rules of one rule file's TOML text with their evidence comments, in file order."""
    infos: list[RuleInfo] = []
    lines = text.splitlines()
    header: list[str] = []
    for line in lines:
        if not line.strip().startswith("#"):
            break
        header.append(line)
    current: dict[str, Any] | None = None

    def close() -> None:
        if current is not None and current.get("name"):
            comments = current["own"] or current["above"] or header
            infos.append(RuleInfo(str(current["name"]), str(current["stage"]), file,
                                  _comment(comments), str(current.get("selector", ""))))

    # Comments since the last key line: inside a rule (before one of its keys) they are its
    # own evidence; before a [[table]] line they introduce the next rule.
    pending: list[str] = []
    for line in lines[len(header):]:
        stripped = line.strip()
        if match := _TABLE.match(line):
            close()
            current = {"stage": match.group(1), "own": [], "above": pending}
            pending = []
        elif stripped.startswith("#"):
            pending.append(stripped)
        elif "=" in stripped:
            if current is not None:
                current["own"] += pending
                if name := _NAME.match(line):
                    current["name"] = name.group(1)
                key = stripped.split("=", 1)[0].strip()
                if key in HTML_KINDS:
                    current["selector"] = key
            pending = []
    close()
    return infos


def _shipped() -> list[tuple[str, str]]:
    root = resources.files("scraper") / "rulesets"
    found = []
    for group in ("generic", "sites"):
        for entry in sorted(root.joinpath(group).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                found.append((f"{group}/{entry.name}", entry.read_text(encoding="utf-8")))
    return found


def rule_index(rule_files: tuple[str, ...] = ()) -> dict[str, RuleInfo]:
    """Every rule name known from the shipped files, the given user files and the built-ins.

    A name defined twice keeps its last definition, as the user's file is what applies last.
    """
    index = {name: RuleInfo(name, "builtin", "built into scraper", why) for name, why in _BUILTIN.items()}
    sources = _shipped()
    for path in rule_files:
        try:
            sources.append((str(path), Path(path).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue  # loading the rules already said why; the review only loses the comments
    for file, text in sources:
        for info in rules_in_text(text, file):
            index[info.name] = info
    return index


def describe(name: str, index: dict[str, RuleInfo]) -> RuleInfo:
    """The rule's description, or one for a learned template rule or a rule no file names."""
    if name in index:
        return index[name]
    if name.startswith("template-"):
        return RuleInfo(name, "template", "learned site template",
                        "a block that recurs on most pages of this site (scraper.learn.templates)")
    return RuleInfo(name or "unnamed", "html", "unknown file", "")
