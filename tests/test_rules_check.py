"""`scraper rules check`: every problem of a rule file at once, and what it changes on pages."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli
from scraper.review import check_rule_file

PROMO = '<aside class="x1"><h3>Sign up to our morning newsletter</h3><p>Get the news first.</p></aside>'


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_passes_and_says_what_it_removes_on_each_page(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(article_page(extra_body='<div class="tip-jar"><p>Buy me a coffee today please</p></div>'),
                    encoding="utf-8")
    rules = _file(tmp_path, '# Tip jars.\n[[html]]\nname = "tip-jar"\ncss = "div.tip-jar"\n')
    report = check_rule_file(rules, [str(page)])
    assert report.problems == [] and report.rules == 1
    assert any("+ tip-jar: Buy me a coffee today please" in line for line in report.changes)


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    rules = _file(tmp_path, """colour = "red"
[[html]]
name = "bad-css"
css = "div[["
[[html]]
name = "typo"
css = "div"
expnad = true
[[text]]
name = "bad-regex"
pattern = "(unclosed"
""")
    problems = "\n".join(check_rule_file(rules).problems)
    assert "unknown keys ['colour']" in problems
    assert "html rule 1 (bad-css): bad CSS selector" in problems
    assert "html rule 2 (typo): unknown keys ['expnad']" in problems
    assert "text rule 1 (bad-regex): bad regex" in problems


def test_a_runaway_regex_is_caught_within_its_budget(tmp_path):
    rules = _file(tmp_path, '[[text]]\nname = "nested"\npattern = "^(a+)+$"\n'
                            '[[text]]\nname = "fine"\npattern = "^sign up"\n')
    report = check_rule_file(rules)
    assert len(report.problems) == 1
    assert "'nested': regex takes over" in report.problems[0]


def test_disable_shows_the_removals_it_gives_back_and_warns_on_unknown_names(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(article_page(extra_body=PROMO), encoding="utf-8")
    rules = _file(tmp_path, 'domains = ["news.example.com"]\ndisable = ["newsletter-heading", "no-such-rule", "edge-crumb"]\n')
    report = check_rule_file(rules, [str(page)])
    assert report.problems == []
    assert any("'no-such-rule', which no shipped or given rule file defines" in w for w in report.warnings)
    assert any("'edge-crumb' is built into scraper's filters" in w for w in report.warnings)
    assert any("- newsletter-heading (no longer removed): Sign up to our morning newsletter" in line
               for line in report.changes)


def test_cli_exit_codes(tmp_path):
    good = _file(tmp_path, '[[text]]\nname = "x"\npattern = "^buy now$"\n')
    result = CliRunner().invoke(cli, ["rules", "check", str(good)])
    assert result.exit_code == 0 and "1 rule(s), ok" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("domains = [", encoding="utf-8")
    result = CliRunner().invoke(cli, ["rules", "check", str(bad)])
    assert result.exit_code == 1 and "not valid TOML" in result.stdout
    assert "Examples:" in CliRunner().invoke(cli, ["rules", "check", "--help"]).stdout
