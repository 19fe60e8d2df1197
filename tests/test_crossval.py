"""`scraper eval --folds K`: domains are held out together, each fold is cleaned without the rules
only its own domains support, and every rule's removals are counted against the truth."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from scraper.evaluation.crossval import assign_folds, cross_validate, render_crossval, site_domain
from scraper.evaluation.runner import EvalOptions

ARTICLE = ("The harbour master said the new pontoon would open in the spring after two winters of "
           "delays caused by storms and a shortage of steel. ")
# (domain, promo line that a text rule drops, whether the truth holds it)
PAGES = {
    "a1": ("news-a.example", "We use cookies to improve your experience on this site."),
    "a2": ("news-a.example", "We use cookies to improve your experience on this site."),
    "b1": ("news-b.example", "This website uses cookies to remember your settings."),
    "c1": ("news-c.example", "Like this story? Share it with a friend today"),
}


def _page(promo: str) -> bytes:
    body = "".join(f"<p>{ARTICLE}</p>" for _ in range(4))
    return (f"<html><head><title>Pontoon delayed</title></head><body><article><h1>Pontoon delayed</h1>"
            f"{body}<p>{promo}</p></article></body></html>").encode()


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "wcxb"
    (root / "html").mkdir(parents=True)
    (root / "ground-truth").mkdir()
    for page_id, (domain, promo) in PAGES.items():
        (root / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(_page(promo)))
        truth = {"main_content": "\n\n".join([ARTICLE.strip()] * 4), "with": ["the new pontoon would open"],
                 "without": [promo.lower()[:20]]}
        (root / "ground-truth" / f"{page_id}.json").write_text(
            json.dumps({"url": f"https://www.{domain}/story/{page_id}", "ground_truth": truth}))
    return root


def test_pages_of_one_site_share_a_domain():
    assert site_domain("https://blog.example.co.uk/a") == site_domain("https://www.example.co.uk/b") == "example.co.uk"
    assert site_domain("https://news.example.com/a") == "example.com"


def test_folds_are_balanced_by_pages_and_keep_domains_whole():
    folds = assign_folds(Counter({"big.example": 5, "mid.example": 3, "small.example": 2, "tiny.example": 1}), 2)
    assert folds["big.example"] != folds["mid.example"]
    sizes = Counter()
    for domain, pages in {"big.example": 5, "mid.example": 3, "small.example": 2, "tiny.example": 1}.items():
        sizes[folds[domain]] += pages
    assert sorted(sizes.values()) == [5, 6]


def test_a_rule_only_the_held_out_domain_supports_is_left_out_there(dataset: Path):
    report = cross_validate(dataset, 3, EvalOptions(bootstrap=10, warmup=False), min_domains=1)
    # cookie-line fires on news-a and news-b: each held out alone, the other still supports it.
    assert all("cookie-line" not in f.disabled for f in report.folds)
    # The rule that drops the share appeal fires on news-c only: held out, nobody else supports it.
    only_c = {r.name for r in report.rules if set(r.domains) == {"news-c.example"}}
    assert only_c and any(only_c <= set(f.disabled_firing) for f in report.folds)
    assert report.in_sample.summary("scraper").leak_rate == 0.0
    assert report.held_out.leak_rate == pytest.approx(1 / 4)  # the share line is back on news-c
    rules = {r.name: r for r in report.rules}
    assert rules["cookie-line"].pages == 3 and rules["cookie-line"].without_hit == 3
    assert rules["cookie-line"].truth_words == 0 and rules["cookie-line"].with_hit == 0
    text = render_crossval(report)
    assert "| scraper |" in text and "| cookie-line | 3 |" in text and "held-out" in text


def test_eval_folds_prints_held_out_figures_and_the_rule_report(dataset: Path):
    from click.testing import CliRunner

    from scraper.cli import cli

    result = CliRunner().invoke(cli, ["eval", str(dataset), "--folds", "2", "-q", "--bootstrap", "5"])
    assert result.exit_code == 0, result.output
    assert "cross-validation by domain, 2 folds" in result.output
    assert "| rule | pages | blocks |" in result.output
    assert CliRunner().invoke(cli, ["eval", str(dataset), "--folds", "1"]).exit_code == 2
