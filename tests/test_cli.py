"""The `scraper` command: outputs by suffix, exit codes, summary, help, show --explain."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli

PROMO = '<aside class="x1"><h3>Sign up to our morning newsletter</h3><p>Get the news first.</p></aside>'


def write_pages(folder: Path, n: int = 2) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"page{i}.html"
        path.write_text(article_page(f"Harbour story number {i}", extra_body=PROMO), encoding="utf-8")
        paths.append(path)
    return paths


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_sqlite_output_has_articles_and_failures(tmp_path):
    write_pages(tmp_path / "in")
    (tmp_path / "in" / "broken.html").write_bytes(b"")
    db = tmp_path / "out.db"
    result = invoke("clean", str(tmp_path / "in"), "-o", str(db), "-j", "1")
    assert result.exit_code == 1
    assert "2 cleaned, 1 failed" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 2
        reason = conn.execute("select reason from failures").fetchone()[0]
        text = conn.execute("select text from articles").fetchone()[0]
    assert reason == "empty input"
    assert "Sign up to our morning newsletter" not in text


def test_rerun_into_sqlite_replaces_rows_instead_of_duplicating(tmp_path):
    write_pages(tmp_path / "in")
    db = tmp_path / "out.db"
    for _ in range(2):
        assert invoke("clean", str(tmp_path / "in"), "-o", str(db), "-j", "1").exit_code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 2


def test_default_output_is_articles_db_in_the_current_folder(tmp_path, monkeypatch):
    write_pages(tmp_path / "in")
    monkeypatch.chdir(tmp_path)
    assert invoke("clean", "in", "-j", "1").exit_code == 0
    assert (tmp_path / "articles.db").exists()


def test_stdout_output_is_pure_jsonl(tmp_path):
    pages = write_pages(tmp_path / "in")
    result = invoke("clean", *map(str, pages), "-o", "-", "-j", "1")
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    records = [json.loads(line) for line in lines]
    assert {"url", "canonical_url", "title", "author", "date", "sitename", "description", "language",
            "text", "word_count", "content_hash", "source", "removed"} <= set(records[0])
    assert "2 cleaned, 0 failed" in result.stderr


def test_folder_output_writes_markdown_and_json_with_safe_names(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(article_page("../../etc/passwd: a title / with slashes"), encoding="utf-8")
    out = tmp_path / "out"
    assert invoke("clean", str(page), "-o", str(out), "-j", "1").exit_code == 0
    written = sorted(p.name for p in out.iterdir())
    assert len([n for n in written if n.endswith(".md")]) == 1
    assert all("/" not in n and not n.startswith(".") for n in written)
    assert all(p.resolve().parent == out.resolve() for p in out.iterdir())


def test_stdin_input(tmp_path):
    result = CliRunner().invoke(cli, ["clean", "-", "-o", "-"], input=article_page().encode())
    assert result.exit_code == 0
    assert "harbour wall" in json.loads(result.stdout)["text"]


def test_parallel_workers_give_the_same_results(tmp_path):
    write_pages(tmp_path / "in", n=6)
    result = invoke("clean", str(tmp_path / "in"), "-o", str(tmp_path / "o.jsonl"), "-j", "2")
    assert result.exit_code == 0
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 6


def test_bad_rule_file_is_a_usage_error(tmp_path):
    rules = tmp_path / "bad.toml"
    rules.write_text("[[html]]\nname = 'x'\ncss = 'div[['\n")
    result = invoke("clean", str(tmp_path), "--rules", str(rules))
    assert result.exit_code == 2
    assert "bad CSS selector" in result.stderr


def test_user_rule_file_removes_a_block(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(article_page(extra_body='<div class="house-ad-x"><p>Buy our tote bag today, only ten pounds.</p></div>'))
    rules = tmp_path / "mine.toml"
    rules.write_text('domains = ["news.example.com"]\n[[html]]\nname = "tote"\ncss = "div.house-ad-x"\n')
    result = invoke("show", str(page), "--explain", "--rules", str(rules))
    assert result.exit_code == 0
    body, _, explained = result.stdout.partition("--- removed")
    assert "tote bag" not in body
    assert "[html:tote] Buy our tote bag" in explained


def test_show_explain_lists_rules(tmp_path):
    page = write_pages(tmp_path / "in", n=1)[0]
    result = invoke("show", str(page), "--explain")
    assert result.exit_code == 0
    assert "harbour wall" in result.stdout
    assert "newsletter-heading] Sign up to our morning newsletter" in result.stdout


def test_help_explains_every_command():
    for command in ([], ["clean"], ["show"]):
        result = invoke(*command, "--help")
        assert result.exit_code == 0
        assert "Usage:" in result.stdout
    assert "--output" in invoke("clean", "--help").stdout


def test_usage_error_exits_2():
    assert invoke("clean").exit_code == 2


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "scraper", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "clean" in result.stdout
