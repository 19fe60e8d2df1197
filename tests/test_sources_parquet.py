"""Parquet inputs: one page per row, with the JSONL field options; other columns pass through."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli

URL = "https://news.example.com/local/harbour-wall"


def run(*args: str):
    result = CliRunner().invoke(cli, ["clean", *args, "-o", "-", "-q", "-j", "1"])
    return result, [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_each_row_is_a_page_and_its_other_columns_pass_through(tmp_path: Path) -> None:
    path = tmp_path / "pages.parquet"
    table = pa.table({
        "id": ["a", "b", "c"],
        "page_url": [URL, URL + "/2", URL + "/3"],
        "body": [article_page(), None, article_page(title="Third harbour story")],
        "crawled": [dt.datetime(2025, 3, 4, 5, 6, 7)] * 3,
        "score": [0.5, 0.25, 1.0],
    })
    pq.write_table(table, path, row_group_size=2)
    result, records = run(str(path), "--html-field", "body", "--url-field", "page_url")
    assert result.exit_code == 1
    by_id = {r.get("id") or r["source"]: r for r in records}
    assert by_id["a"]["url"] == URL and by_id["a"]["score"] == 0.5
    assert by_id["a"]["crawled"] == "2025-03-04T05:06:07" and by_id["a"]["source"] == f"{path}:1"
    assert by_id[f"{path}:2"]["reason"] == "no 'body' field"
    assert by_id["c"]["title"].startswith("Third harbour story")


def test_a_file_without_the_html_column_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "pages.parquet"
    pq.write_table(pa.table({"content": [article_page()]}), path)
    result, [failure] = run(str(path))
    assert failure["reason"] == "no 'html' column" and result.exit_code == 1


def test_a_file_that_is_not_parquet_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "pages.parquet"
    path.write_bytes(b"PAR1 not really")
    result, [failure] = run(str(path))
    assert failure["reason"].startswith("unreadable Parquet") and result.exit_code == 1


def test_without_pyarrow_a_parquet_input_is_a_usage_error_with_the_install_command(tmp_path: Path) -> None:
    import subprocess
    import sys
    path = tmp_path / "pages.parquet"
    pq.write_table(pa.table({"html": [article_page()]}), path)
    hide = ("import sys; sys.modules['pyarrow'] = None; sys.argv = ['scraper', *sys.argv[1:]]; "
            "from scraper.cli import main; main()")
    result = subprocess.run([sys.executable, "-c", hide, "clean", str(path), "-o", "-"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "error: reading Parquet needs pyarrow: pip install pyarrow\n"
