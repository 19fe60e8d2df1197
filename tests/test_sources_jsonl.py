"""JSON Lines inputs (plain, .gz, .zst): one page per line, the other fields passed through, a
stable id for every record, and each bad line its own failure with a reason."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli

URL = "https://news.example.com/local/harbour-wall"


def run(*args: str, input: bytes | None = None):
    result = CliRunner().invoke(cli, ["clean", *args, "-o", "-", "-q", "-j", "1"], input=input)
    return result, [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def lines(*records: object) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


WRITERS = {".jsonl": lambda d: d, ".jsonl.gz": gzip.compress, ".jsonl.zst": zstandard.compress}


@pytest.mark.parametrize("suffix", list(WRITERS))
def test_each_line_is_a_page_and_its_other_fields_pass_through(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"pages{suffix}"
    path.write_bytes(WRITERS[suffix](lines(
        {"id": "doc-1", "url": URL, "html": article_page(), "lang": "en", "crawl": {"batch": 7}, "title": "Theirs"})))
    result, [article] = run(str(path))
    assert result.exit_code == 0, result.output
    assert "harbour wall" in article["text"] and article["url"] == URL
    assert article["id"] == "doc-1" and article["source"] == f"{path}:1"
    assert article["lang"] == "en" and article["crawl"] == {"batch": 7}
    # A field named like an article field keeps its value under input_<name>.
    assert article["input_title"] == "Theirs" and article["title"].startswith("Harbour wall")
    assert "html" not in article


def test_field_names_are_options(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(lines({"content": article_page(), "link": URL, "url": "https://other.example/x"}))
    result, [article] = run(str(path), "--html-field", "content", "--url-field", "link")
    assert article["url"] == URL and article["input_url"] == "https://other.example/x"


def test_a_record_without_id_gets_a_stable_hash_of_its_source(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(lines({"html": article_page()}, {"html": article_page(title="Another harbour story")}))
    _, first = run(str(path))
    _, again = run(str(path))
    ids = [r["id"] for r in first]
    assert ids == [r["id"] for r in again] and len(set(ids)) == 2 and all(len(i) == 32 for i in ids)


def test_every_bad_line_is_its_own_failure_and_the_good_ones_are_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_bytes(lines(
        {"html": article_page(), "url": URL},
        b'{"html": "<p>broken',
        {"url": URL + "/no-html"},
        b'{"html": "caf\xe9 bytes that are not UTF-8"}',
        b'["not", "an", "object"]',
        {"html": article_page(extra_body="<p>" + "filler words " * 20000 + "</p>")},
        {"html": 42},
        b"",
        {"html": article_page(title="Last story of the harbour"), "url": URL + "/last"},
    ))
    result, records = run(str(path), "--max-bytes", "100KB")
    assert result.exit_code == 1
    reasons = {r["source"].rsplit(":", 1)[1]: r.get("reason") for r in records}
    assert reasons["1"] is None and reasons["9"] is None
    assert reasons["2"].startswith("broken JSON")
    assert reasons["3"] == "no 'html' field"
    assert reasons["4"] == "record is not valid UTF-8"
    assert reasons["5"] == "record is not a JSON object"
    assert reasons["6"] == "record larger than 100 KB"
    assert reasons["7"] == "'html' field is not a string"
    assert "8" not in reasons  # a blank line is no record


def test_a_truncated_gzip_ends_its_file_with_a_failure(tmp_path: Path) -> None:
    data = gzip.compress(lines(*({"html": article_page(title=f"Story {n} of the harbour"), "n": n}
                                 for n in range(40))))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 3 // 4])
    result, records = run(str(path))
    assert result.exit_code == 1
    cleaned = [r for r in records if "text" in r]
    [failure] = [r for r in records if "reason" in r]
    assert 0 < len(cleaned) < 40 and failure["reason"].startswith("corrupt or truncated gzip")


def test_input_format_reads_any_name_as_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(lines({"html": article_page(), "url": URL}))
    result, [article] = run(str(path), "--input-format", "jsonl")
    assert article["url"] == URL and article["source"] == f"{path}:1"


@pytest.mark.parametrize("pack", [lambda d: d, gzip.compress, zstandard.compress], ids=["plain", "gz", "zst"])
def test_a_jsonl_stream_on_stdin_is_sniffed(pack) -> None:
    result, records = run("-", input=pack(lines({"html": article_page(), "url": URL, "k": 1}, b"{broken")))
    assert [(r["source"], r.get("k")) for r in records] == [("stdin:1", 1), ("stdin:2", None)]


def test_one_page_on_stdin_is_still_one_page() -> None:
    result, [article] = run("-", "--url", URL, input=b"\n\n  " + article_page().encode())
    assert result.exit_code == 0 and article["source"] == URL
