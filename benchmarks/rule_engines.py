"""Why the shipped rules stay on `re`: the same rules on `regex` with a `timeout=` (as user rule
files run) cost more in pruning and text filtering. Times one pass over the fixture pages.

    python benchmarks/rule_engines.py [--reps 5]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
import tomllib
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from scraper.clean import rulebook, rulefiles  # noqa: E402
from scraper.clean.cleaner import parse_html  # noqa: E402
from scraper.clean.decode import decode_bytes  # noqa: E402
from scraper.clean.extract import ExtractOptions, extract_text  # noqa: E402
from scraper.clean.filters import filter_lines  # noqa: E402
from scraper.clean.prune import prune  # noqa: E402
from scraper.clean.budget import USER_RULE_TIMEOUT  # noqa: E402


def shipped(timeout: float | None) -> rulebook.RuleBook:
    """The shipped rule files, compiled as shipped (None) or as a user file would be."""
    root = resources.files("scraper") / "rulesets"
    files = [rulefiles.parse_rules(tomllib.loads(entry.read_text(encoding="utf-8")), f"{group}/{entry.name}", timeout)
             for group in ("generic", "sites")
             for entry in sorted(root.joinpath(group).iterdir(), key=lambda e: e.name) if entry.name.endswith(".toml")]
    return rulebook.RuleBook(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    reps = parser.parse_args().reps
    pages = []
    for path in sorted((ROOT / "fixtures" / "pages").iterdir()):
        data = path.read_bytes()
        pages.append(decode_bytes(gzip.decompress(data) if path.name.endswith(".gz") else data)[0])
    bodies = [body.splitlines() for html in pages if (body := extract_text(parse_html(html), None, ExtractOptions()))]
    for name, book in (("re (shipped)", shipped(None)), (f"regex, timeout={USER_RULE_TIMEOUT}", shipped(USER_RULE_TIMEOUT))):
        ruleset = book.for_url(None)
        pruning = filtering = 0.0
        for _ in range(reps):
            ruleset._attr_memo.clear()  # a cold memo each pass, as in a fresh worker
            for html in pages:
                root = parse_html(html)
                started = time.perf_counter()
                prune(root, ruleset)
                pruning += time.perf_counter() - started
            started = time.perf_counter()
            for lines in bodies:
                filter_lines(lines, ruleset)
            filtering += time.perf_counter() - started
        print(f"{name:24s} prune {pruning / reps * 1000:6.1f} ms   text filters {filtering / reps * 1000:6.1f} ms"
              f"   ({len(pages)} pages, {len(bodies)} bodies, mean of {reps})")


if __name__ == "__main__":
    main()
