"""The review report in a real headless Chromium: navigation, highlights, toggles, filters, safety."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from browser import Watched, browser, watched  # noqa: F401  (pytest fixtures)
from scraper.review import ReviewOptions, write_review

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
SOURDOUGH = "wordpress-sourdough.html"
# A page whose *text* is markup: the review must show it, never run it.
HOSTILE = """<!doctype html><html><head><title>&lt;script&gt;alert('title')&lt;/script&gt; Hostile page</title>
<link rel="canonical" href="https://hostile.example/story"><script>alert('page script')</script></head>
<body><article><h1>&lt;script&gt;alert('title')&lt;/script&gt; Hostile page</h1>
<p>The council met on Tuesday to discuss the bridge repairs, which have been delayed twice this year.</p>
<p>Residents wrote: &lt;script&gt;alert('xss-script')&lt;/script&gt; and also &lt;img src=x onerror="alert('xss-img')"&gt; in their letters to the editor.</p>
<p>Engineers said the work would take another six weeks and cost more than the original estimate of the city.</p>
<div class="newsletter-signup"><h3>Sign up for our newsletter</h3><p>&lt;img src=x onerror="alert('xss-removed')"&gt; Get the daily briefing in your inbox.</p>
<form><input type="email" name="email"></form></div>
<p>The mayor promised that the bridge would reopen before the winter, weather permitting, and thanked residents.</p>
</article><img src="http://127.0.0.1:9/tracker.gif" onerror="alert('page img')"></body></html>"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pages = tmp_path_factory.mktemp("pages")
    for name in (SOURDOUGH, "theweek-com-air-traffic.html", "business-standard-kharif.html",
                 "guardian-like-beavers.html"):
        shutil.copy(FIXTURES / name, pages / name)
    (pages / "hostile.html").write_text(HOSTILE, encoding="utf-8")
    (pages / "empty.html").write_text("", encoding="utf-8")
    out = tmp_path_factory.mktemp("review")
    write_review([str(pages)], out, ReviewOptions(jobs=1))
    return out


def _clean_run(seen: Watched) -> None:
    assert seen.errors == []
    assert seen.dialogs == []
    assert seen.outside_file() == []


def test_index_leads_to_a_page_whose_removed_blocks_carry_their_rule(report: Path, watched: Watched) -> None:
    page = watched.page
    page.goto((report / "index.html").as_uri())
    page.click("a.page-link:has-text('Why my sourdough stopped rising')")
    page.wait_for_selector("#blocks")
    removed = page.locator(".block.removed")
    assert removed.count() >= 2
    tags = removed.locator(".tag").all_text_contents()
    assert "HTML rule · jump-link" in tags
    assert "text filter · affiliate-small-print" in tags
    # Hover shows the rule's file, its evidence comment and the words it took.
    block = page.locator(".block.removed[data-rule='jump-link']").first
    block.hover()
    tip = block.locator(".tip")
    assert tip.is_visible()
    assert "jump-link" in tip.inner_text()
    assert ".toml" in tip.locator(".rule-file").inner_text()
    assert "took 3 words" in tip.inner_text()
    # Keyboard users get the same by focusing the block.
    page.mouse.move(0, 0)
    small_print = page.locator(".block.removed[data-rule='affiliate-small-print']").first
    small_print.focus()
    assert small_print.locator(".tip").is_visible() and not tip.is_visible()
    assert "generic/" in small_print.locator(".rule-file").inner_text()
    assert page.locator(".block.kept").first.inner_text().startswith("For most of last year")
    _clean_run(watched)


def test_the_trafilatura_toggle_strikes_what_the_rules_took_and_hides_what_it_would_not_keep(report: Path, watched: Watched) -> None:
    page = watched.page
    page.goto((report / "index.html").as_uri())
    page.click("a.page-link:has-text('Why my sourdough stopped rising')")
    jump = page.locator(".block.removed[data-rule='jump-link']").first  # trafilatura drops it anyway
    small_print = page.locator(".block.removed[data-rule='affiliate-small-print']").first
    assert jump.is_visible() and small_print.is_visible()
    assert not page.locator("#tf-summary").is_visible()
    page.check("#tf-toggle")
    assert page.locator("#tf-summary").is_visible()
    assert "trafilatura alone keeps" in page.locator("#tf-summary").inner_text()
    assert not jump.is_visible()
    assert small_print.is_visible()
    decoration = small_print.locator("p").evaluate("p => getComputedStyle(p).textDecorationLine")
    assert decoration == "line-through"
    page.uncheck("#tf-toggle")
    assert jump.is_visible()
    _clean_run(watched)


def test_pages_filter_by_rule_and_a_rule_lists_its_pages(report: Path, watched: Watched) -> None:
    page = watched.page
    page.goto((report / "index.html").as_uri())
    rows = page.locator("#pages tbody tr")
    total = rows.count()
    page.select_option("#rule-filter", "jump-link")
    visible = page.locator("#pages tbody tr:visible")
    assert 0 < visible.count() < total
    for rules in visible.locator("td.rules").all_text_contents():
        assert "jump-link" in rules
    assert page.locator("#shown").inner_text() == f"{visible.count()} pages"
    page.select_option("#rule-filter", "")
    assert page.locator("#pages tbody tr:visible").count() == total
    # From the rules table: one click lists every page the rule fired on.
    page.click("#rules a.rule-link:text-is('email-signup-form')")
    expect(page.locator("#rule-filter")).to_have_value("email-signup-form")
    fired = page.locator("#pages tbody tr:visible")
    pages_column = page.locator("#rules tr[data-rule='email-signup-form'] td").nth(5).inner_text()
    assert fired.count() == int(pages_column)
    page.select_option("#site-filter", "hostile.example")
    assert page.locator("#pages tbody tr:visible").count() == 1
    # The site view: its pages, and only the rules that fired on them.
    page.select_option("#rule-filter", "")
    page.click("#sites a.site-link:text-is('crumbandcrust.blog')")
    expect(page.locator("#site-filter")).to_have_value("crumbandcrust.blog")
    assert page.locator("#pages tbody tr:visible").count() == 1
    shown_rules = page.locator("#rules tbody tr:visible td:first-child").all_inner_texts()
    fired = page.locator("#pages tbody tr:visible").get_attribute("data-rules").split()
    assert "jump-link" in shown_rules and sorted(shown_rules) == sorted(fired)
    assert len(shown_rules) < page.locator("#rules tbody tr").count()
    _clean_run(watched)


def test_failures_are_listed_with_their_reason(report: Path, watched: Watched) -> None:
    page = watched.page
    page.goto((report / "index.html").as_uri())
    failed = page.locator("#pages tbody tr.failed")
    assert failed.count() == 1
    assert "empty input" in failed.inner_text()
    # Failures sort first: risk is highest.
    assert page.locator("#pages tbody tr").first.get_attribute("class") == "failed"
    _clean_run(watched)


def test_markup_in_page_text_is_shown_never_run(report: Path, watched: Watched) -> None:
    page = watched.page
    page.goto((report / "index.html").as_uri())
    page.click("a.page-link:has-text('Hostile page')")
    page.wait_for_selector("#blocks")
    text = page.locator("#blocks").inner_text()
    assert "<script>alert('xss-script')</script>" in text
    assert "<img src=x onerror=\"alert('xss-img')\">" in text
    assert any("onerror=\"alert('xss-removed')\"" in t for t in page.locator(".block.removed").all_inner_texts())
    assert "<script>alert('title')</script>" in page.locator("h1").inner_text()
    assert page.locator("#blocks script, #blocks img, header script, header img").count() == 0
    page.mouse.move(0, 0)
    for block in page.locator(".block").all():
        block.hover()
    page.check("#tf-toggle")
    assert watched.dialogs == []
    _clean_run(watched)


def test_copy_buttons_hold_rule_file_snippets(report: Path, watched: Watched) -> None:
    page = watched.page
    page.goto((report / "index.html").as_uri())
    page.click("a.page-link:has-text('Why my sourdough stopped rising')")
    button = page.locator(".block.removed[data-rule='jump-link'] button.copy").first
    snippet = button.get_attribute("data-snippet")
    assert 'domains = ["crumbandcrust.blog"]' in snippet and 'disable = ["jump-link"]' in snippet
    button.click()
    page.wait_for_selector("#copied:has-text('Copied')")
    kept = page.locator(".block.kept").first
    kept.hover()
    leak = kept.locator("button.copy").get_attribute("data-snippet")
    assert "[[html]]" in leak and 'exact = "For most of last year' in leak
    _clean_run(watched)


def test_a_large_index_shows_pages_of_rows(tmp_path: Path, watched: Watched) -> None:
    import json
    records = tmp_path / "many.jsonl"
    with records.open("w", encoding="utf-8") as fh:
        for i in range(520):
            removed = [{"rule": "jump-link", "text": "Skip to content", "stage": "html"}] if i % 2 else []
            fh.write(json.dumps({"source": f"gone/{i}.html", "url": f"https://s{i % 3}.example/{i}",
                                 "title": f"Story {i}", "text": "Words of the story. " * 60,
                                 "word_count": 240, "removed": removed, "reverted": []}) + "\n")
    write_review([str(records)], tmp_path / "review")
    page = watched.page
    page.goto((tmp_path / "review" / "index.html").as_uri())
    assert page.locator("#shown").inner_text() == "520 pages (1–500 shown)"
    assert page.locator("#pages tbody tr:visible").count() == 500
    page.click("#next-rows")
    assert page.locator("#pages tbody tr:visible").count() == 20
    assert page.locator("#shown").inner_text() == "520 pages (501–520 shown)"
    page.select_option("#rule-filter", "jump-link")
    assert page.locator("#shown").inner_text() == "260 pages"
    assert not page.locator("#next-rows").is_visible()
    _clean_run(watched)


def test_the_one_page_form_works_alone(tmp_path: Path, watched: Watched) -> None:
    from click.testing import CliRunner
    from scraper.cli import cli
    target = tmp_path / "one.html"
    result = CliRunner().invoke(cli, ["show", str(FIXTURES / SOURDOUGH), "--html", str(target)])
    assert result.exit_code == 0, result.output
    page = watched.page
    page.goto(target.as_uri())
    jump = page.locator(".block.removed[data-rule='jump-link']").first
    jump.hover()
    assert "jump-link" in jump.locator(".tip").inner_text()
    page.check("#tf-toggle")
    assert not jump.is_visible()
    assert watched.requests == [target.as_uri()]
    _clean_run(watched)
