"""Every shipped rule shows its need on a fixture: it removes something from one of them (or the
safety net names it). A rule no fixture needs is either missing its evidence or dead weight."""

from __future__ import annotations

import tomllib
from pathlib import Path

from scraper.clean.cleaner import rulebook
from scraper.run.batch import BatchOptions, Input, clean_input

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_every_shipped_rule_fires_on_some_fixture():
    expectations = tomllib.loads((FIXTURES / "expectations.toml").read_text(encoding="utf-8"))
    fired: set[str] = set()
    for name, spec in expectations.items():
        article = clean_input(Input(str(FIXTURES / name)), BatchOptions(url=spec.get("url")))
        fired |= {r.rule for r in getattr(article, "removed", ())}
        fired |= {note.split(":")[0] for note in getattr(article, "reverted", ())}
    shipped = {r.name for f in rulebook(()).files for r in (*f.html, *f.text)}
    assert sorted(shipped - fired) == []
