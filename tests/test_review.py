"""`scraper review`: what it reads (stores, saved crawl pages, pages on the fly) and writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pages import PARAGRAPHS as PARAGRAPHS_TEXT, article_page
from scraper.cli import cli
from scraper.errors import InputError
from scraper.review import ReviewOptions, write_review
from scraper.review.model import ordered

PROMO = '<aside class="x1"><h3>Sign up to our morning newsletter</h3><p>Get the news first.</p></aside>'
URL = "https://news.example.com/local/harbour-wall"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def _page(folder: Path, name: str = "page.html") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article_page(extra_body=PROMO), encoding="utf-8")
    return path


def _pages(out: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((out / "pages").glob("*.html"))]


def test_blocks_come_in_reading_order_with_each_removal_in_its_place():
    record = {"text": "First paragraph here.\n\nSecond paragraph, kept whole.",
              "removed": [{"rule": "newsletter-box", "text": "Sign up now for the digest", "stage": "html"},
                          {"rule": "affiliate-small-print", "text": "We earn from purchases.", "stage": "text"}]}
    baseline = ["Sign up now for the digest", "First paragraph here. We earn from purchases.",
                "Second paragraph, kept whole."]
    blocks = ordered(record, baseline, " ".join(baseline))
    assert [(b.state, b.rule, b.text) for b in blocks] == [
        ("removed", "newsletter-box", "Sign up now for the digest"),
        ("kept", "", "First paragraph here."),
        ("removed", "affiliate-small-print", "We earn from purchases."),
        ("kept", "", "Second paragraph, kept whole."),
    ]
    assert all(b.baseline for b in blocks)


def test_a_store_whose_pages_are_on_disk_is_reviewed_in_reading_order(tmp_path):
    page = _page(tmp_path / "in")
    db = tmp_path / "articles.db"
    assert invoke("clean", str(page), "-o", str(db), "-j", "1").exit_code == 0
    result = write_review([str(db)], tmp_path / "review")
    assert (result.pages, result.failed) == (1, 0)
    html = _pages(tmp_path / "review")[0]
    assert 'data-rule="newsletter-heading"' in html and 'id="tf-toggle" disabled' not in html
    assert "position is not known" not in html


def test_records_without_their_page_say_so_and_list_removals_after_the_text(tmp_path):
    page = _page(tmp_path / "in")
    out = tmp_path / "out.jsonl"
    assert invoke("clean", str(page), str(tmp_path / "missing.html"), "-o", str(out), "-j", "1").exit_code == 1
    page.unlink()
    result = write_review([str(out)], tmp_path / "review")
    assert (result.pages, result.failed) == (2, 1)
    html = _pages(tmp_path / "review")[0]
    assert "source page not found on disk" in html
    assert "position is not known" in html and 'id="tf-toggle" disabled' in html
    index = (tmp_path / "review" / "index.html").read_text(encoding="utf-8")
    assert "failed: no such file" in index


def test_crawled_pages_use_the_saved_html_and_never_refetch(tmp_path):
    saved = tmp_path / "saved"
    _page(saved, "news.example.com/harbour.html")
    (saved / "index.jsonl").write_text(json.dumps({"file": "news.example.com/harbour.html", "url": URL,
                                                   "final_url": URL, "http_charset": "utf-8"}) + "\n"
                                       + json.dumps({"file": "../../etc/passwd", "url": URL + "?2"}) + "\n")
    records = tmp_path / "crawl.jsonl"
    assert invoke("clean", str(saved / "news.example.com/harbour.html"), "-o", str(records), "-j", "1").exit_code == 0
    data = json.loads(records.read_text())
    records.write_text(json.dumps({**data, "source": URL}) + "\n" + json.dumps({**data, "source": URL + "?2"}) + "\n")
    write_review([str(records)], tmp_path / "with", ReviewOptions(saved_html=str(saved)))
    first, second = _pages(tmp_path / "with")
    assert "position is not known" not in first
    assert "nothing was refetched" in second  # the index line pointing outside the folder is ignored
    write_review([str(records)], tmp_path / "without")
    assert all("nothing was refetched" in html for html in _pages(tmp_path / "without"))


def test_the_output_folder_is_an_earlier_review_or_empty(tmp_path):
    page = _page(tmp_path / "in")
    other = tmp_path / "notes"
    other.mkdir()
    (other / "todo.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        write_review([str(page)], other)
    assert (other / "todo.txt").read_text() == "mine"
    out = tmp_path / "review"
    write_review([str(page), str(page.with_name("gone.html"))], out)
    write_review([str(page)], out)  # a re-run replaces the earlier review, stale page files too
    assert len(list((out / "pages").glob("*.html"))) == 1
    result = invoke("review", str(page), "-o", str(other))
    assert result.exit_code == 2 and "not empty" in result.stderr


def test_the_report_loads_nothing_from_outside_and_escapes_page_text(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "x.html").write_text(article_page("Title with <b>bold</b> &lt;i&gt;", extra_body=PROMO), encoding="utf-8")
    out = tmp_path / "review"
    assert invoke("review", str(folder), "-o", str(out), "-j", "1").exit_code == 0
    for path in [*out.rglob("*.html"), *out.rglob("*.css"), *out.rglob("*.js")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path
        assert "url(" not in text and "@import" not in text
    html = _pages(out)[0]
    assert "&lt;i&gt;" in html and "<i>" not in html
    assert "Content-Security-Policy" in html


def test_show_html_writes_one_self_contained_page(tmp_path):
    page = _page(tmp_path / "in")
    target = tmp_path / "one.html"
    result = invoke("show", str(page), "--html", str(target))
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert "<style>" in html and "<script>" in html and 'src="assets/' not in html and 'href="assets/' not in html
    assert "sha256-" in html and "'unsafe-inline'" not in html
    assert 'data-rule="newsletter-heading"' in html


def test_review_help_has_an_example():
    result = invoke("review", "--help")
    assert result.exit_code == 0 and "scraper review articles.db" in result.stdout


def test_a_leaked_block_gets_a_selector_unique_to_it_or_none():
    from scraper.clean.cleaner import parse_html
    from scraper.review.selectors import leak_selectors
    root = parse_html('<html><body><div class="recipe-box"><p>Try our recipe box for free</p></div>'
                      '<p class="x">Twice</p><p class="x">Twice</p><p id="post-123456">Generated id</p></body></html>')
    found = leak_selectors(root, ["Try our recipe box for free", "Twice", "Generated id"])
    assert found == {"try our recipe box for free": "div.recipe-box"}


def test_a_long_removed_box_is_matched_line_by_line_and_counted_in_full(tmp_path):
    box = ('<div class="promo-panel"><p>Our members keep this newsroom going, and every pound goes into reporting '
           'on the harbour, the council and the schools of the coast.</p><p>Join them today from three pounds a '
           'month and get early access to every investigation we publish this year.</p></div>')
    page = tmp_path / "in" / "p.html"
    page.parent.mkdir()
    page.write_text(article_page(extra_body=box), encoding="utf-8")
    rules = tmp_path / "mine.toml"
    rules.write_text('[[html]]\nname = "promo-panel"\ncss = "div.promo-panel"\n', encoding="utf-8")
    from scraper.clean.cleaner import CleanOptions, clean_html
    from scraper.review.sources import Item, Raw, review
    options = CleanOptions(rule_files=(str(rules),))
    article = clean_html(page.read_bytes(), options=options, source=str(page))
    assert article.removed[0].text.endswith("…")  # the record keeps a shortened copy
    view = review(Item(str(page), article.to_dict(), raw=Raw(page.read_bytes())), options)
    taken = [b for b in view.blocks if b.rule == "promo-panel"]
    assert [b.text[:22] for b in taken] == ["Our members keep this ", "Join them today from t"]
    assert sum(b.words for b in taken) == 42 and not any(b.shortened for b in taken)
    assert not [b for b in view.blocks if b.state == "lost"]


def test_a_real_crawl_is_reviewed_from_its_saved_pages_without_refetching(tmp_path):
    from faultserver import FaultServer
    with FaultServer() as server:
        server.add_page("/story", article_page(extra_body=PROMO))
        urls = tmp_path / "urls.txt"
        urls.write_text(server.url("/story") + "\n")
        crawled = invoke("crawl", str(urls), "-o", str(tmp_path / "out.db"), "--save-html", str(tmp_path / "raw"),
                         "--allow-private", "--ignore-robots", "--delay", "0", "-j", "1", "-q")
        assert crawled.exit_code == 0, crawled.stderr
        fetched = len(server.log)
        result = invoke("review", str(tmp_path / "out.db"), "-o", str(tmp_path / "review"),
                        "--saved-html", str(tmp_path / "raw"), "-j", "1")
        assert result.exit_code == 0, result.stderr
        assert len(server.log) == fetched
    html = _pages(tmp_path / "review")[0]
    assert 'data-rule="newsletter-heading"' in html
    assert "position is not known" not in html and 'id="tf-toggle" disabled' not in html


def test_each_rule_is_described_by_its_file_and_its_own_evidence_comment():
    from scraper.review.provenance import describe, rule_index
    rules = rule_index()
    box = rules["newsletter-box"]
    assert (box.kind, box.file, box.selector) == ("html", "generic/newsletter.toml", "attr")
    assert box.evidence.startswith('Not "newsletter-post"')  # the comment inside its table
    signup = rules["newsletter-signup-line"]
    assert signup.kind == "text" and "Evidence: seed 000 (The Week)" in signup.evidence  # the file's header
    assert describe("template-text-3", rules).kind == "template"
    assert rules["edge-crumb"].kind == "builtin"


def test_refused_removals_are_shown_with_their_reason_and_raise_the_risk(tmp_path):
    page = _page(tmp_path / "in")
    rules = tmp_path / "greedy.toml"
    rules.write_text('[[html]]\nname = "greedy"\ncss = "div.article-body"\n', encoding="utf-8")
    out = tmp_path / "review"
    assert invoke("review", str(page), "-o", str(out), "--rules", str(rules), "-j", "1").exit_code == 0
    html = _pages(out)[0]
    refused = re.search(r'<ul class="reverted-list">(.*?)</ul>', html).group(1)
    assert "greedy: would remove" in refused and str(rules) in refused
    assert "safety net refused 1 removal(s)" in (out / "index.html").read_text(encoding="utf-8")


def test_a_damaged_record_is_one_failure_not_the_end_of_the_review(tmp_path):
    good = {"source": "a.html", "url": URL, "title": "Fine", "text": "Kept words here.", "word_count": 3,
            "removed": [{"rule": "jump-link", "text": "Skip", "stage": "html"}], "reverted": []}
    records = tmp_path / "out.jsonl"
    records.write_text("\n".join([json.dumps(good), "{not json", json.dumps({**good, "source": "b.html", "removed": "x"}),
                                  json.dumps({**good, "source": "c.html", "text": 7}), "[1, 2]"]) + "\n")
    result = write_review([str(records)], tmp_path / "review")
    assert (result.pages, result.failed) == (4, 3)
    index = (tmp_path / "review" / "index.html").read_text(encoding="utf-8")
    assert "unreadable record line" in index and index.count("damaged record") == 2


def test_nothing_to_review_is_a_usage_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke("review", str(tmp_path / "empty"), "-o", str(tmp_path / "review"))
    assert result.exit_code == 2 and "nothing to review" in result.stderr


def test_the_rule_for_a_leaked_line_of_a_text_input_is_a_text_rule_that_removes_it(tmp_path):
    import html as html_lib
    import tomllib
    from scraper.clean.cleaner import CleanOptions, clean_text
    text = tmp_path / "in" / "story.txt"
    text.parent.mkdir()
    leak = "Tide tables (PDF) *updated* weekly at [harbourtides.example] for boat owners"
    text.write_text("Harbour wall to be rebuilt\n" + "\n".join(PARAGRAPHS_TEXT) + f"\n{leak}\n", encoding="utf-8")
    out = tmp_path / "review"
    write_review([str(text)], out)
    snippets = [html_lib.unescape(m) for m in re.findall(r'class="copy leak" data-snippet="([^"]*)"', _pages(out)[0])]
    snippet = next(s for s in snippets if "Tide tables" in s)
    assert snippet.startswith("[[text]]")
    rules = tmp_path / "leak.toml"
    rules.write_text(snippet, encoding="utf-8")
    tomllib.loads(snippet)
    cleaned = clean_text(text.read_text(encoding="utf-8"), options=CleanOptions(rule_files=(str(rules),)))
    assert "Tide tables" not in cleaned.text and "harbour" in cleaned.text


def test_the_rule_copied_from_a_leaked_block_removes_it(tmp_path):
    import html as html_lib
    from scraper.clean.cleaner import CleanOptions, clean_html
    page = tmp_path / "in" / "p.html"
    page.parent.mkdir()
    page.write_text(article_page(extra_body='<div class="tip-jar"><p>Buy the harbour reporters a coffee '
                                            'and keep them warm on the quay this winter.</p></div>'), encoding="utf-8")
    out = tmp_path / "review"
    write_review([str(page)], out)
    snippets = [html_lib.unescape(m) for m in re.findall(r'class="copy leak" data-snippet="([^"]*)"', _pages(out)[0])]
    snippet = next(s for s in snippets if "coffee" in s)
    assert 'css = "div.tip-jar"' in snippet and 'domains = ["news.example.com"]' in snippet
    rules = tmp_path / "leak.toml"
    rules.write_text(snippet, encoding="utf-8")
    cleaned = clean_html(page.read_bytes(), options=CleanOptions(rule_files=(str(rules),)))
    assert "coffee" not in cleaned.text and "harbour wall" in cleaned.text


def test_the_snippet_copied_from_a_removal_turns_that_rule_off_for_the_site(tmp_path):
    import html as html_lib
    from scraper.clean.cleaner import CleanOptions, clean_html
    page = tmp_path / "in" / "p.html"
    page.parent.mkdir()
    page.write_text(article_page(extra_body="<p>Our free weekly digest of harbour news lands in time for the "
                                            "Friday market.</p>"), encoding="utf-8")
    out = tmp_path / "review"
    write_review([str(page)], out)
    found = re.search(r'data-rule="free-daily-email".*?class="copy disable" data-snippet="([^"]*)"', _pages(out)[0], re.S)
    rules = tmp_path / "off.toml"
    rules.write_text(html_lib.unescape(found.group(1)), encoding="utf-8")
    cleaned = clean_html(page.read_bytes(), options=CleanOptions(rule_files=(str(rules),)))
    assert "Our free weekly digest" in cleaned.text


def test_a_store_cannot_make_the_review_show_a_local_file(tmp_path, monkeypatch):
    import json as _json
    from click.testing import CliRunner as _Runner
    from scraper.cli import cli as _cli
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("TOPSECRET api key 12345\n", encoding="utf-8")
    key = tmp_path / "elsewhere" / "id_rsa"
    key.write_text("PRIVATE KEY MATERIAL\n", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    store = work / "store.jsonl"
    store.write_text("".join(_json.dumps({"source": str(p), "text": "hello world", "title": "t"}) + "\n"
                             for p in (secret, key, "../elsewhere/secret.txt")), encoding="utf-8")
    result = _Runner().invoke(_cli, ["review", str(store), "-o", str(work / "rv")])
    assert result.exit_code == 0, result.output
    shown = "".join(p.read_text(encoding="utf-8") for p in (work / "rv").rglob("*.html"))
    assert "TOPSECRET" not in shown and "PRIVATE KEY" not in shown and "hello world" in shown


@pytest.mark.parametrize("count", ["abc", "1e3", 1e999, [1], True])
def test_a_damaged_word_count_does_not_stop_the_review(tmp_path, count):
    import json as _json
    from click.testing import CliRunner as _Runner
    from scraper.cli import cli as _cli
    store = tmp_path / "w.jsonl"
    store.write_text(_json.dumps({"source": "a.html", "text": "three small words", "word_count": count}) + "\n"
                     + _json.dumps({"source": "b.html", "text": "another page here", "word_count": 3}) + "\n",
                     encoding="utf-8")
    result = _Runner().invoke(_cli, ["review", str(store), "-o", str(tmp_path / "rv")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "rv" / "pages").glob("*.html"))) == 2


@pytest.mark.parametrize("text", ["Hello \x7f world", "tab\there \x01 and \"quotes\" \\ too"])
def test_copied_rule_snippets_are_valid_toml_whatever_the_block_holds(text):
    import tomllib
    from scraper.review.render import leak_snippet
    for text_input in (False, True):
        rule = tomllib.loads(leak_snippet(text, "example.com", 3, text_input=text_input))
        assert rule["domains"] == ["example.com"]
