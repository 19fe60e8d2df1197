"""`scraper rules check`: validate a user rule file and show what it would change on pages.

Unlike loading, which stops at the first problem, the check reports every problem it finds:
TOML syntax, unknown keys, bad regexes and selectors, names disabled that no file defines,
and regexes that take too long on adversarial text (run in a child process with a deadline,
since a runaway regex cannot be interrupted in-process).
"""

from __future__ import annotations

import multiprocessing
import re
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from scraper.article import Article
from scraper.clean.cleaner import Cleaner, CleanOptions
from scraper.errors import RuleError
from scraper.run.batch import BatchOptions, clean_input, find_inputs
from scraper.clean.rulefiles import parse_rules  # the loader's own validation, one entry at a time
from scraper.review.provenance import rule_index

_TOP = ("domains", "text_markers", "html", "text", "disable")
# Inputs on which a badly nested pattern backtracks for seconds; a sound one takes microseconds.
_ADVERSARIAL = ("a" * 4000 + "!", " ".join(["aaaa"] * 60) + " !", "-" * 4000, "ab1 " * 500 + "\x00",
                "sign up " * 200, "x" * 200 + " " * 2000 + "y")


@dataclass(frozen=True)
class CheckOptions:
    """The rules the file is checked against, and each regex's time budget on the test inputs."""

    clean: CleanOptions = field(default_factory=CleanOptions)
    regex_budget: float = 0.5


@dataclass
class CheckReport:
    """Problems make the file unusable; warnings do not; changes say what it does to the pages."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    rules: int = 0


def _regexes(data: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for kind in ("html", "text"):
        for entry in data.get(kind, []) if isinstance(data.get(kind), list) else []:
            if not isinstance(entry, dict):
                continue
            for key in ("attr", "heading", "pattern"):
                if isinstance(entry.get(key), str):
                    found.append((str(entry.get("name", "?")), entry[key]))
    return found


def _timing_child(patterns: list[str], conn: Any) -> None:
    for i, pattern in enumerate(patterns):
        conn.send(i)
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error:
            continue
        for text in _ADVERSARIAL:
            compiled.search(text)
    conn.send(len(patterns))


def slow_regexes(patterns: list[str], budget: float) -> set[int]:
    """Indexes of the patterns that take longer than `budget` seconds on the adversarial inputs."""
    slow: set[int] = set()
    start = 0
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    while start < len(patterns):
        parent, child = context.Pipe(duplex=False)
        proc = context.Process(target=_timing_child, args=(patterns[start:], child), daemon=True)
        proc.start()
        child.close()
        current, deadline = start, time.monotonic() + budget + 2.0  # the first one pays the start-up
        try:
            while True:
                if not parent.poll(max(deadline - time.monotonic(), 0)):
                    slow.add(current)
                    start = current + 1
                    break
                got = parent.recv() + start
                if got >= len(patterns):
                    start = len(patterns)
                    break
                current, deadline = got, time.monotonic() + budget
        except EOFError:
            start = current + 1  # the child died on this pattern (memory): count it as slow
            slow.add(current)
        finally:
            proc.kill()
            proc.join(timeout=5)
            parent.close()
    return slow


def _validate(data: dict[str, Any], name: str, report: CheckReport) -> None:
    if unknown := set(data) - set(_TOP):
        report.problems.append(f"{name}: unknown keys {sorted(unknown)} (known: {', '.join(_TOP)})")
    for key in ("domains", "text_markers", "disable"):
        if key in data:
            try:
                parse_rules({key: data[key]}, name)
            except (RuleError, TypeError, ValueError, AttributeError) as exc:
                report.problems.append(getattr(exc, "reason", None) or f"{name}: {key}: {exc}")
    names: Counter[str] = Counter()
    for kind in ("html", "text"):
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            report.problems.append(f"{name}: {kind} must be an array of tables ([[{kind}]])")
            continue
        for i, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                report.problems.append(f"{name}: {kind} rule {i}: not a table")
                continue
            try:
                parse_rules({kind: [entry]}, name)
                report.rules += 1
            except RuleError as exc:
                report.problems.append(exc.reason.replace(f"{kind} rule 1", f"{kind} rule {i}"
                                                          + (f" ({entry['name']})" if "name" in entry else ""), 1))
            except (TypeError, ValueError) as exc:
                report.problems.append(f"{name}: {kind} rule {i}: {exc}")
            names[str(entry.get("name"))] += 1
    for rule, n in names.items():
        if n > 1:
            report.warnings.append(f"{name}: rule name {rule!r} used {n} times; the review cannot tell them apart")


def check_rule_file(path: str | Path, pages: list[str] | None = None, options: CheckOptions | None = None) -> CheckReport:
    """Check one rule file; with `pages` (files or folders), say what it changes on each."""
    options = options or CheckOptions()
    report = CheckReport()
    name = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        report.problems.append(f"rule file not found: {name}")
        return report
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"cannot read rule file {name}: {exc}")
        return report
    except tomllib.TOMLDecodeError as exc:
        report.problems.append(f"{name}: not valid TOML: {exc}")
        return report
    _validate(data, name, report)
    known = rule_index(options.clean.rule_files)
    defined = {str(e.get("name")) for k in ("html", "text") for e in data.get(k, []) if isinstance(e, dict)}
    for off in data.get("disable", []) if isinstance(data.get("disable"), list) else []:
        if off not in known and off not in defined:
            report.warnings.append(f"{name}: disable names {off!r}, which no shipped or given rule file defines")
        elif off in known and known[off].kind == "builtin":
            report.warnings.append(f"{name}: {off!r} is built into scraper's filters, not a rule file: disable has no effect")
    regexes = _regexes(data)
    compiled = []
    for rule, pattern in regexes:
        try:
            re.compile(pattern)
            compiled.append((rule, pattern))
        except re.error:
            pass  # reported above as a bad regex
    for i in sorted(slow_regexes([p for _, p in compiled], options.regex_budget)):
        report.problems.append(f"{name}: rule {compiled[i][0]!r}: regex takes over {options.regex_budget:g} s "
                               "on adversarial text (nested or overlapping repeats?)")
    if pages and not report.problems:
        report.changes = changes(str(path), pages, options.clean)
    elif pages:
        report.changes = ["(pages not checked: fix the problems first)"]
    return report


def _removals(article: Article) -> Counter[tuple[str, str]]:
    return Counter((r.rule, r.text) for r in article.removed)


def changes(path: str, pages: list[str], base: CleanOptions) -> list[str]:
    """Per page: the removals the file adds and takes away, and the word count before and after."""
    before = BatchOptions(clean=base)
    after = BatchOptions(clean=replace(base, rule_files=(*base.rule_files, path)))
    lines: list[str] = []
    without, with_ = Cleaner(before.clean), Cleaner(after.clean)
    for item in find_inputs(pages):
        old, new = clean_input(item, before, without), clean_input(item, after, with_)
        if not isinstance(old, Article) or not isinstance(new, Article):
            why = [f"{label}: {r.reason}" for label, r in (("without", old), ("with", new)) if not isinstance(r, Article)]
            lines.append(f"{item.source}: fails {'; '.join(why)}")
            continue
        added = _removals(new) - _removals(old)
        gone = _removals(old) - _removals(new)
        if not added and not gone and old.text == new.text:
            lines.append(f"{item.source}: no change ({new.word_count} words)")
            continue
        lines.append(f"{item.source}: {old.word_count} → {new.word_count} words")
        lines += [f"  + {rule}: {text}" for (rule, text) in added]
        lines += [f"  - {rule} (no longer removed): {text}" for (rule, text) in gone]
    return lines
