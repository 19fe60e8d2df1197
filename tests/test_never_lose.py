"""The never-lose guard: when the promo rules took the article, the article comes back, and the
record says what happened (`reverted`, `warnings`)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from scraper import CleanOptions, clean_html
from scraper.clean.recovery import GuardOptions
from scraper.sinks.store import open_store

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
SIGNUP = (PAGES / "signup-wrapped-short-post.html").read_bytes()
PAYWALLED = (PAGES / "paywalled-story-pitch-first.html").read_bytes()
NO_GUARD = CleanOptions(never_lose=GuardOptions(enabled=False))


def test_a_post_taken_as_a_signup_box_comes_back_and_the_undo_is_listed():
    article = clean_html(SIGNUP)
    assert "still pay for a landline" in article.text
    assert "A toaster that tweets" not in article.text  # the teasers the lost post left behind
    assert article.reverted == ("email-signup-form: took article text that the unpruned page keeps; undone",)
    assert "html rules took article text: 1 removal(s) undone" in article.warnings


def test_without_the_guard_that_post_is_lost():
    article = clean_html(SIGNUP, options=NO_GUARD)
    assert "still pay for a landline" not in article.text
    assert article.warnings == ()


def test_a_story_in_paywall_blocks_behind_a_pitch_is_kept_whole():
    article = clean_html(PAYWALLED)
    assert "tomorrow there will be no ferry at all." in article.text
    assert len(article.reverted) == 4 and all(r.startswith("paywall-box: ") for r in article.reverted)
    assert "full extraction used" in article.warnings
    assert clean_html(PAYWALLED, options=NO_GUARD).word_count < 100  # the pitch alone


def test_a_clean_page_carries_no_warnings():
    article = clean_html((PAGES / "clean-lighthouse.htm").read_bytes())
    assert article.warnings == () and article.reverted == ()


def test_a_body_far_shorter_than_the_page_text_is_flagged():
    comments = "".join(f'<li><p>{"A reader comment that goes on about something else entirely. " * 4}</p></li>'
                       for _ in range(12))
    page = f"""<html><body><article><h1>Short notice</h1>
    <p>The library on Elm Street closes at noon on Friday for a staff training day, and reopens on Saturday.</p>
    </article><section id="comments"><ol>{comments}</ol></section></body></html>"""
    article = clean_html(page)
    assert "closes at noon on Friday" in article.text
    assert "body much shorter than the page text" in article.warnings


def test_warnings_reach_every_store(tmp_path):
    article = clean_html(SIGNUP, source="signup.html")
    for name in ("out.jsonl", "out.db"):
        store = open_store(str(tmp_path / name))
        store.add(article)
        store.close()
    line = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert line["warnings"] == list(article.warnings)
    with sqlite3.connect(tmp_path / "out.db") as db:
        (stored,) = db.execute("SELECT warnings FROM articles").fetchone()
    assert json.loads(stored) == list(article.warnings)


def test_a_database_made_before_warnings_gains_the_column(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the articles table as earlier releases made it
        db.execute("""CREATE TABLE articles (
            source TEXT PRIMARY KEY, url TEXT, canonical_url TEXT, title TEXT, author TEXT, date TEXT,
            sitename TEXT, description TEXT, language TEXT, text TEXT NOT NULL, word_count INTEGER,
            content_hash TEXT, encoding TEXT, removed TEXT, reverted TEXT, cleaned_at TEXT)""")
        db.execute("INSERT INTO articles (source, text) VALUES ('old.html', 'Kept from before.')")
    store = open_store(str(path), append=True)
    store.add(clean_html(SIGNUP, source="signup.html"))
    store.close()
    with sqlite3.connect(path) as db:
        rows = dict(db.execute("SELECT source, warnings FROM articles").fetchall())
    assert rows["old.html"] is None and json.loads(rows["signup.html"])


def test_show_explain_prints_the_undo_and_the_warnings():
    from click.testing import CliRunner

    from scraper.cli import cli

    result = CliRunner().invoke(cli, ["show", str(PAGES / "signup-wrapped-short-post.html"), "--explain"])
    assert "[safety net] email-signup-form: took article text that the unpruned page keeps; undone" in result.stdout
    assert "[warning] html rules took article text: 1 removal(s) undone" in result.stdout


def test_an_article_pruned_away_behind_a_long_link_list_comes_back():
    # The article's container has a promo-like class; once it is gone, trafilatura takes the
    # site's long link lists for the body, which is not short at all: what gives it away is
    # that pruning took nearly all of the page's paragraph text.
    para = "The tide tables for the estuary were wrong for three weeks in March, and two boats ran aground."
    links = "".join(f'<li><a href="/s{i}">Section number {i} of the site with a long name</a></li>' for i in range(60))
    page = f"""<html><head><title>Tide tables</title></head><body><nav><ul>{links}</ul></nav>
    <div class="promo-article"><h1>Tide tables were wrong</h1>{f'<p>{para}</p>' * 4}</div>
    <footer><ul>{links}</ul></footer></body></html>"""
    article = clean_html(page)
    assert "two boats ran aground" in article.text and "Section number" not in article.text
    assert article.reverted == ("ad-slot: took article text that the unpruned page keeps; undone",)
    assert "two boats ran aground" not in clean_html(page, options=NO_GUARD).text
