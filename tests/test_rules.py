"""Rule files: loading, validation errors, site matching, and the safety net."""

from __future__ import annotations

import pytest

import scraper
from pages import PARAGRAPHS, article_page
from scraper.errors import RuleError
from scraper.clean.rules import BEM_MODIFIER
from scraper.clean.rulebook import RuleBook
from scraper.clean.rulefiles import load_rule_file, shipped_rule_files


def write(tmp_path, text: str):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, message", [
    ("domains = [", "not valid TOML"),
    ("colour = 'red'", "unknown keys"),
    ("[[html]]\nname = 'x'", "exactly one of"),
    ("[[html]]\nname = 'x'\ncss = 'div'\nattr = 'y'", "exactly one of"),
    ("[[html]]\nname = 'x'\nxpath = '//div[['", "bad XPath selector"),
    ("[[text]]\nname = 'x'\npattern = '(unclosed'", "bad regex"),
    ("[[text]]\npattern = 'x'", "needs a name"),
    ("[[text]]\nname = 'x'\npattern = 'y'\nmax_word = 3", "unknown keys"),
    ("[[html]]\nname = 'x'\ncss = 'div'\nexpnad = true", "unknown keys"),
])
def test_bad_rule_files_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(RuleError, match=message):
        load_rule_file(write(tmp_path, text))


def test_missing_rule_file():
    with pytest.raises(RuleError, match="rule file not found"):
        load_rule_file("/nonexistent/rules.toml")


def test_site_rules_apply_to_subdomains_only_of_their_domain():
    book = RuleBook(shipped_rule_files())
    names = lambda url: {name for name, _ in ((r.name, s) for r, s in book.for_url(url).selectors)}
    assert "theweek-related-slices" in names("https://theweek.com/politics/x")
    assert "theweek-related-slices" in names("https://www.theweek.co.uk/news/x")
    assert "theweek-related-slices" in names("https://uk.theweek.com/x")
    assert "theweek-related-slices" not in names("https://nottheweek.com/x")
    assert "theweek-related-slices" not in names(None)


def test_text_markers_select_site_rules_for_text_without_url():
    book = RuleBook(shipped_rule_files())
    plain = {r.name for r in book.for_text("Nothing special here.").text}
    week = {r.name for r in book.for_text("Sign up for The Week's Free Newsletters").text}
    assert "theweek-brand-line" not in plain
    assert "theweek-brand-line" in week


def test_safety_net_refuses_a_rule_that_would_remove_the_article(tmp_path):
    greedy = write(tmp_path, '[[html]]\nname = "greedy"\ncss = "div.article-body"\n')
    article = scraper.clean_html(article_page(), options=scraper.CleanOptions(rule_files=(str(greedy),)))
    assert PARAGRAPHS[0] in article.text
    assert any(note.startswith("greedy: would remove") for note in article.reverted)
    assert not any(r.rule == "greedy" for r in article.removed)


def test_text_safety_net_keeps_text_when_filters_would_take_most_of_it(tmp_path):
    greedy = write(tmp_path, '[[text]]\nname = "every-line"\npattern = "."\nmax_words = 100\n')
    text = "\n".join(PARAGRAPHS)
    article = scraper.clean_text(text, options=scraper.CleanOptions(rule_files=(str(greedy),)))
    assert article.text == "\n\n".join(PARAGRAPHS)
    assert article.reverted and "text filters" in article.reverted[0]


@pytest.mark.parametrize("classes", [
    "post__body entry-content", "mt-4 flex ad-slot", "newsletter-post article", "share-bar--dark top",
    "content-header--social-icons-position", "related", "nonad-banner", "story toc_19421 toc-para",
])
def test_class_strings_match_token_by_token_as_they_would_whole(classes):
    rules = RuleBook(shipped_rule_files()).for_url(None)
    whole = rules.attr.search(BEM_MODIFIER.sub("", classes).lower())
    assert rules.attr_rule(classes) == (rules.attr_names[int(whole.lastgroup[1:])] if whole else None)


@pytest.mark.parametrize("markup", [
    '<h3 id="more-about-our-plans">More about our plans for the quay</h3><p>The quay comes next.</p>',
    '<p id="we-hope-to-learn-more-about-the-tides">We hope to learn more about the tides this year.</p>',
])
def test_ids_generated_from_text_are_not_read_as_promo_names(markup):
    # Headings' ids, and ids spelling out a block's first words, were made by a CMS from the
    # text: "more-about" in them says nothing about what the block is.
    article = scraper.clean_html(article_page(extra_body=markup), url="https://news.example.com/a")
    assert "more about" in article.text.lower()


def test_a_box_named_by_its_id_still_goes():
    box = '<div id="more-about-harbours"><a href="/x">Harbour history</a> <a href="/y">Tides</a></div>'
    article = scraper.clean_html(article_page(extra_body=box), url="https://news.example.com/a")
    assert "Harbour history" not in article.text
    assert [r.rule for r in article.removed if r.stage == "html"] == ["related-box"]


def test_a_promo_heading_holding_a_control_character_is_still_removed():
    page = article_page(extra_body='<h3>More from the \x01 desk</h3><ul><li><a href="/a">Another story</a></li>'
                                   '<li><a href="/b">Second story here</a></li></ul>')
    article = scraper.clean_html(page, url="https://news.example.com/a")
    assert "Another story" not in article.text
    assert "related-heading" in {r.rule for r in article.removed}


@pytest.mark.parametrize("value,rule", [
    ("toc_container", "table-of-contents"), ("ez-toc-container", "table-of-contents"),
    ("toc-list", "table-of-contents"), ("toc", "table-of-contents"),
    ("toc_when-to-dip-into-the-fund", None), ("toc_19421", None), ("toc-para", None),
])
def test_a_table_of_contents_is_named_toc_but_a_section_it_points_at_is_not(value, rule):
    # "toc_" plus a heading's slug is the id of the section a table of contents links to.
    assert RuleBook(shipped_rule_files()).for_url(None).attr_rule(value) == rule
