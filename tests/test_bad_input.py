"""Bad input never crashes a batch: each case ends as an article or a failure with a reason."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli


def run_clean(tmp_path: Path, *files: Path) -> tuple[int, str, list[dict], list[dict]]:
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["clean", *map(str, files), "-o", str(out), "-j", "1", "-q"])
    articles = [json.loads(line) for line in out.read_text().splitlines()]
    failures = [json.loads(line) for line in (tmp_path / "out.failures.jsonl").read_text().splitlines()]
    return result.exit_code, result.stderr, articles, failures


def good_page(tmp_path: Path) -> Path:
    path = tmp_path / "good.html"
    path.write_text(article_page(), encoding="utf-8")
    return path


def test_empty_file_is_a_failure_and_the_batch_goes_on(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    code, err, articles, failures = run_clean(tmp_path, empty, good_page(tmp_path))
    assert code == 1
    assert [f["reason"] for f in failures] == ["empty input"]
    assert len(articles) == 1
    assert "1 cleaned, 1 failed" in err


def test_binary_file_is_a_failure(tmp_path):
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20)
    code, _, articles, failures = run_clean(tmp_path, binary)
    assert code == 1 and not articles
    assert failures[0]["reason"] == "binary content, not text"


def test_truncated_gzip_is_a_failure(tmp_path):
    data = gzip.compress(article_page().encode())
    truncated = tmp_path / "page.html.gz"
    truncated.write_bytes(data[: len(data) // 2])
    code, _, _, failures = run_clean(tmp_path, truncated, good_page(tmp_path))
    assert code == 1
    assert failures[0]["reason"].startswith("corrupt or truncated gzip")


def test_legacy_encoding_without_charset_is_decoded(tmp_path):
    paragraphs = [
        "Les élus ont voté mardi la reconstruction du mur du port avant les tempêtes d'hiver.",
        "Les ingénieurs avaient prévenu depuis des années que les pierres bougeaient déjà.",
        "Les pêcheurs, très inquiets, ont rempli la salle des fêtes jusqu'à la dernière chaise.",
        "Le chantier coûtera quatre millions d'euros, financés par un fonds côtier créé en été.",
    ]
    page = article_page("Le mur du port sera reconstruit", paragraphs=paragraphs)
    page = page.replace('<meta charset="utf-8">', "")
    legacy = tmp_path / "legacy.html"
    legacy.write_bytes(page.encode("cp1252"))
    code, _, articles, failures = run_clean(tmp_path, legacy)
    assert code == 0 and not failures
    assert "reconstruction du mur du port avant les tempêtes" in articles[0]["text"]
    assert "Ã" not in articles[0]["text"]  # no mojibake


def test_fifty_megabyte_page_is_refused_with_a_reason(tmp_path):
    huge = tmp_path / "huge.html"
    filler = "<div><p>" + "filler text " * 80 + "</p></div>\n"
    with huge.open("w", encoding="utf-8") as fh:
        fh.write(article_page().replace("</body>", ""))
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(filler * 100)
        fh.write("</body></html>")
    code, _, articles, failures = run_clean(tmp_path, huge, good_page(tmp_path))
    assert code == 1 and len(articles) == 1
    assert failures[0]["reason"].startswith("page larger than")


def test_ten_thousand_levels_of_nesting(tmp_path):
    deep = tmp_path / "deep.html"
    deep.write_text("<html><body>" + "<div>" * 10_000 + "<p>deep</p>" + "</div>" * 10_000
                    + "</body></html>", encoding="utf-8")
    code, _, articles, failures = run_clean(tmp_path, deep, good_page(tmp_path))
    assert len(articles) + len(failures) == 2
    assert len(articles) == 1
    assert failures and failures[0]["reason"]


def test_missing_file_is_a_failure(tmp_path):
    code, _, _, failures = run_clean(tmp_path, tmp_path / "nope.html", good_page(tmp_path))
    assert code == 1
    assert failures[0]["reason"] == "no such file"


def test_control_characters_beside_a_removed_block_are_cleaned_not_a_crash():
    import scraper
    html = (b'<html><body><div class="newsletter-box">Sign up \x0b now</div>\x0b<p>'
            + b"The harbour wall was rebuilt this spring by volunteers. " * 8 + b"</p></body></html>")
    article = scraper.clean_html(html)
    assert "harbour wall" in article.text and "Sign up" not in article.text
    assert [r.rule for r in article.removed] == ["newsletter-box"]


def test_an_unforeseen_exception_is_that_inputs_failure(tmp_path, monkeypatch):
    from scraper.run import batch as pipeline
    from scraper.clean.cleaner import Cleaner

    def broken(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'text'")

    monkeypatch.setattr(Cleaner, "clean_html", broken)
    items = [pipeline.Input(str(good_page(tmp_path))), pipeline.Input(str(tmp_path / "missing.html"))]
    options = pipeline.BatchOptions(jobs=1, page_timeout=None, max_memory=None, learn_templates=False)
    results = list(pipeline.run_batch(items, options))  # in this process: no worker to catch it
    assert [r.reason for r in results] == [
        "internal error: AttributeError: 'NoneType' object has no attribute 'text'", "no such file"]


def test_an_unparseable_url_is_an_input_error_and_a_pages_own_bad_canonical_is_ignored():
    import pytest
    import scraper
    page = article_page().encode()
    for clean in (lambda: scraper.clean_html(page, url="http://[bad"),
                  lambda: scraper.clean_text("A line of text long enough to keep.", url="http://x:99999999/")):
        with pytest.raises(scraper.InputError) as info:
            clean()
        assert info.value.reason == "invalid URL: unparseable"
    hostile = article_page(head='<link rel="canonical" href="http://[oops/">').replace(
        '<link rel="canonical" href="https://news.example.com/local/harbour-wall">', "")
    assert "harbour wall" in scraper.clean_html(hostile.encode()).text
