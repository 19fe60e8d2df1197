"""`--input-format` overrides the name and the sniffing, for files and for stdin."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli


def run(*args: str, input: bytes | None = None):
    result = CliRunner().invoke(cli, ["clean", *args, "-o", "-", "-q", "-j", "1"], input=input)
    return result, [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_text_on_stdin_that_looks_like_html_is_read_as_text() -> None:
    page = "<b>not markup</b> The council voted on Tuesday to rebuild the old harbour wall before winter.\n"
    _, [sniffed] = run("-", input=page.encode())
    _, [forced] = run("-", "--input-format", "text", input=page.encode())
    assert "<b>" not in sniffed["text"] and forced["text"].startswith("<b>not markup</b>")


def test_a_record_stream_can_be_named_when_sniffing_would_not_see_it() -> None:
    line = json.dumps({"html": article_page(), "url": "https://news.example.com/a"}).encode()
    result, [article] = run("-", "--input-format", "jsonl", input=b"\n" * 3 + line + b"\n")
    assert result.exit_code == 0 and article["source"] == "stdin:4"


def test_parquet_on_stdin_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["clean", "-", "--input-format", "parquet", "-o", "-"], input=b"PAR1")
    assert result.exit_code == 2
    assert "Parquet cannot be read from stdin" in result.stderr


def test_a_folder_gives_its_pages_not_its_record_files(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(article_page(), encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"html": article_page()}) + "\n", encoding="utf-8")
    result, records = run(str(tmp_path))
    assert [Path(r["source"]).name for r in records] == ["a.html"]
