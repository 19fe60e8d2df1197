"""User rule files run under a time budget: a runaway regex is skipped for the page and reported
with its file and name; the page still comes out. The shipped rules stay on the fast path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pages import PARAGRAPHS, article_page
from scraper import CleanOptions, clean_html, clean_text
from scraper.errors import RuleTimeoutError
from scraper.clean.budget import RuleBudget
from scraper.clean.rulebook import RuleBook
from scraper.clean.rulefiles import load_rule_file, shipped_rule_files

# `(a|aa)+$` backtracks exponentially on a run of a's that does not end the string, in `re` and
# in `regex` alike; `(a+)+$` does in `re` (regex optimises that one).
RUNAWAY = "(a|aa)+$"
BAIT = "a" * 40 + "b"


def rule_file(tmp_path: Path, kind: str, pattern: str, name: str = "runaway") -> Path:
    path = tmp_path / f"slow-{kind}.toml"
    key = "pattern" if kind == "text" else kind
    path.write_text(f'[[{"text" if kind == "text" else "html"}]]\nname = "{name}"\n{key} = {json.dumps(pattern)}\n',
                    encoding="utf-8")
    return path


def bait_page() -> str:
    """An article whose short line, heading and class name are all bait for a runaway pattern."""
    return article_page(extra_body=f'<p>{BAIT}</p><div class="{BAIT}"><h3>{BAIT}</h3><p>Read more.</p></div>')


@pytest.mark.parametrize("kind", ["text", "attr", "heading"])
def test_a_runaway_user_rule_is_skipped_and_the_page_comes_out(tmp_path, kind):
    path = rule_file(tmp_path, kind, RUNAWAY)
    started = time.monotonic()
    article = clean_html(bait_page(), options=CleanOptions(rule_files=(str(path),)))
    assert time.monotonic() - started < 20  # each kind of match gave up after its budget, once
    assert PARAGRAPHS[0] in article.text
    note = f"rule 'runaway' of {path} took over 0.25 s on this page and was skipped for it"
    assert article.reverted.count(note) == 1


def test_a_timed_out_text_rule_says_its_file_and_name(tmp_path):
    path = rule_file(tmp_path, "text", RUNAWAY, name="greedy-a")
    rules = RuleBook([load_rule_file(path, timeout=0.05)]).for_url(None)
    with pytest.raises(RuleTimeoutError) as caught:
        rules.text_rule(BAIT, 1)
    assert caught.value.rule == f"{path}: greedy-a"
    assert f"rule 'greedy-a' of {path} took over 0.05 s" in caught.value.reason
    budget = RuleBudget()
    assert budget.run(rules.text_rule, BAIT, 1) is None
    assert budget.run(rules.text_rule, BAIT, 1) is None  # skipped now: no second wait
    assert budget.skip == {f"{path}: greedy-a"} and len(budget.notes) == 1


def test_sound_user_rules_still_match_under_the_budget(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[[text]]\nname = "donate"\npattern = "^please donate\\\\b"\n'
                    '[[html]]\nname = "quay-extras"\nattr = "^quay-extras$"\n'
                    '[[html]]\nname = "gift-heading"\nheading = "give the gift of news"\n', encoding="utf-8")
    page = article_page(extra_body='<p>Please donate today.</p><div class="quay-extras"><p>Half price now.</p></div>'
                                   '<section><h3>Give the gift of news</h3><p>Subscribe for a friend.</p></section>')
    article = clean_html(page, options=CleanOptions(rule_files=(str(path),)))
    assert {"donate", "quay-extras", "gift-heading"} <= {r.rule for r in article.removed}
    assert "Half price" not in article.text and "gift of news" not in article.text and not article.reverted


def test_a_runaway_rule_is_skipped_for_the_rest_of_the_text_not_retried_per_line(tmp_path):
    path = rule_file(tmp_path, "text", RUNAWAY)
    article = clean_text("\n".join([*PARAGRAPHS, BAIT, BAIT, BAIT]), options=CleanOptions(rule_files=(str(path),)))
    assert article.text.count(BAIT) == 3 and len(article.reverted) == 1


def test_shipped_rules_stay_on_the_fast_engine():
    rules = RuleBook(shipped_rule_files()).for_url(None)
    assert all(isinstance(rule.pattern, re.Pattern) and rule.timeout is None for rule in rules.text)
    assert not rules.attr_budgeted and not rules.heading_budgeted


@pytest.mark.parametrize("pattern", [RUNAWAY, "(a+)+$"])
def test_clean_with_a_runaway_rule_file_finishes_and_names_the_rule(tmp_path, pattern):
    (tmp_path / "page.html").write_text(bait_page(), encoding="utf-8")
    rules = rule_file(tmp_path, "text", pattern)
    result = subprocess.run([sys.executable, "-m", "scraper", "clean", "page.html", "--rules", str(rules),
                             "-o", "out.jsonl", "-j", "1"], capture_output=True, text=True, cwd=tmp_path,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert PARAGRAPHS[0] in record["text"]
    if pattern == RUNAWAY:
        assert (f"WARNING rule 'runaway' of {rules} took over 0.25 s on this page and was skipped for it: "
                "page.html") in result.stderr
        assert any("'runaway'" in note and str(rules) in note for note in record["reverted"])
