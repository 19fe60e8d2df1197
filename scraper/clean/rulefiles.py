"""Rule files read from TOML and validated entry by entry into `RuleFile`s, which
`scraper.clean.rules` compiles per page. Shipped files come from `scraper/rulesets/<group>/`; a
user's file is untrusted, so its regexes are checked for the `regex` engine, which can stop a
match in time (`scraper.clean.budget`).
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from scraper.clean.budget import USER_RULE_TIMEOUT
from scraper.clean.needles import needles
from scraper.clean.rules import (
    DEFAULT_MAX_WORDS,
    HTML_KINDS,
    HtmlRule,
    RuleFile,
    TextRule,
    compile_pattern,
    compile_selector,
    normalise_text,
)
from scraper.errors import RuleError


def parse_rules(data: dict[str, Any], name: str, timeout: float | None = None) -> RuleFile:
    """One file's rules; `timeout` is the per-match budget of its regexes (user files only)."""
    unknown = set(data) - {"domains", "text_markers", "html", "text", "disable"}
    if unknown:
        raise RuleError(f"{name}: unknown keys {sorted(unknown)}")
    html: list[HtmlRule] = []
    for i, entry in enumerate(data.get("html", [])):
        where = f"{name}: html rule {i + 1}"
        if unknown := set(entry) - {"name", "expand", *HTML_KINDS}:
            raise RuleError(f"{where}: unknown keys {sorted(unknown)}")
        kinds = [k for k in HTML_KINDS if k in entry]
        if len(kinds) != 1 or "name" not in entry:
            raise RuleError(f"{where}: needs a name and exactly one of {', '.join(HTML_KINDS)}")
        kind = kinds[0]
        pattern = normalise_text(str(entry[kind])) if kind == "exact" else str(entry[kind])
        compile_selector(kind, pattern, where, budgeted=timeout is not None)
        html.append(HtmlRule(str(entry["name"]), kind, pattern, bool(entry.get("expand", False)), name,
                             timeout if kind in ("attr", "heading") else None))
    text = []
    for i, entry in enumerate(data.get("text", [])):
        where = f"{name}: text rule {i + 1}"
        if "name" not in entry or "pattern" not in entry:
            raise RuleError(f"{where}: needs a name and a pattern")
        if unknown := set(entry) - {"name", "pattern", "max_words", "trim"}:
            raise RuleError(f"{where}: unknown keys {sorted(unknown)}")
        compiled = compile_pattern(str(entry["pattern"]), where, budgeted=timeout is not None)
        text.append(TextRule(str(entry["name"]), compiled, int(entry.get("max_words", DEFAULT_MAX_WORDS)),
                             needles(compiled.pattern), bool(entry.get("trim", False)), name, timeout))
    domains = tuple(str(d).lower().removeprefix("www.") for d in data.get("domains", []))
    markers = tuple(str(m) for m in data.get("text_markers", []))
    disable = data.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(d, str) for d in disable):
        raise RuleError(f"{name}: disable must be a list of rule names")
    return RuleFile(name, domains, markers, tuple(html), tuple(text), tuple(disable))


def load_rule_file(path: str | Path, timeout: float = USER_RULE_TIMEOUT) -> RuleFile:
    """Load and validate one user rule file; raise `RuleError` with the file and the problem.

    Its regexes run under `timeout` seconds per match (see the module docstring)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuleError(f"rule file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read rule file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from exc
    return parse_rules(data, str(path), timeout)


def shipped_rule_files(groups: tuple[str, ...] = ("generic", "sites")) -> tuple[RuleFile, ...]:
    """The rule files shipped in the package (`rulesets/<group>/*.toml`), read now."""
    root = resources.files("scraper") / "rulesets"
    return tuple(parse_rules(tomllib.loads(entry.read_text(encoding="utf-8")), f"{group}/{entry.name}")
                 for group in groups
                 for entry in sorted(root.joinpath(group).iterdir(), key=lambda e: e.name)
                 if entry.name.endswith(".toml"))
