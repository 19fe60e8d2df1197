"""A user rule file turns shipped rules off for its site (`disable`), and nowhere else."""

from __future__ import annotations

import pytest

from pages import article_page
from scraper.clean.cleaner import CleanOptions, clean_html
from scraper.errors import RuleError
from scraper.clean.rulefiles import load_rule_file

PROMO = "<p>Our free weekly digest of harbour news lands in time for the Friday market.</p>"
OTHER_SITE = "https://elsewhere.example.org/story"


def _rules(tmp_path, text: str) -> str:
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_disable_turns_a_shipped_rule_off_for_the_site_only(tmp_path):
    page = article_page(extra_body=PROMO)
    rules = _rules(tmp_path, 'domains = ["news.example.com"]\ndisable = ["free-daily-email"]\n')
    options = CleanOptions(rule_files=(rules,))
    default = clean_html(page, "https://news.example.com/local/harbour-wall")
    assert "free-daily-email" in {r.rule for r in default.removed}
    kept = clean_html(page, "https://news.example.com/local/harbour-wall", options=options)
    assert "free-daily-email" not in {r.rule for r in kept.removed}
    assert "Our free weekly digest of harbour news" in kept.text
    elsewhere = clean_html(page, OTHER_SITE, options=options)
    assert "free-daily-email" in {r.rule for r in elsewhere.removed}


def test_disable_without_domains_applies_everywhere(tmp_path):
    rules = _rules(tmp_path, 'disable = ["free-daily-email"]\n')
    article = clean_html(article_page(extra_body=PROMO), OTHER_SITE, options=CleanOptions(rule_files=(rules,)))
    assert "Our free weekly digest of harbour news" in article.text


def test_disable_must_be_a_list_of_names(tmp_path):
    with pytest.raises(RuleError, match="disable must be a list of rule names"):
        load_rule_file(_rules(tmp_path, 'disable = "free-daily-email"\n'))
