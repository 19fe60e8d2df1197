"""WARC inputs: HTML responses become articles with the record's URL, id, charset and date;
every other record is skipped and counted; a truncated or oversized record is its own failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli
from scraper.sources import Page, SourceOptions, open_sources
from warcs import response, write_warc

URL = "https://news.example.com/local/harbour-wall"


def run(*args: str, input: bytes | None = None):
    result = CliRunner().invoke(cli, ["clean", *args, "-o", "-", "-q", "-j", "1"], input=input)
    # Articles go to stdout and failures to stderr, each as it comes: merged in order.
    lines = result.output.splitlines()
    return result, [json.loads(line) for line in lines if line.startswith("{")]


@pytest.mark.parametrize("gzip", [True, False], ids=["warc.gz", "warc"])
def test_only_html_responses_are_pages_and_every_other_record_is_counted(tmp_path: Path, gzip: bool) -> None:
    warc = write_warc(tmp_path / ("crawl.warc.gz" if gzip else "crawl.warc"), html=article_page().encode(), gzip=gzip)
    result, records = run(str(warc))
    assert result.exit_code == 0, result.output
    [article] = records
    assert "harbour wall" in article["text"]
    assert article["url"] == URL
    assert article["id"].startswith("urn:uuid:") and article["source"] == f"{warc}#{article['id']}"
    assert article["fetched"] == "2025-03-04T05:06:07Z"
    summary = result.stderr
    assert "1 cleaned, 0 failed, 7 skipped" in summary
    for kind in ("warcinfo", "request", "metadata", "revisit", "resource"):
        assert f"1  skipped: WARC {kind} record" in summary
    assert "1  skipped: WARC response not HTML" in summary
    assert "1  skipped: WARC response HTTP 4xx" in summary


def test_the_charset_comes_from_the_http_headers(tmp_path: Path) -> None:
    page = article_page(title="Café society votes").replace('<meta charset="utf-8">', "").encode("cp1252")
    warc = write_warc(tmp_path / "a.warc.gz", lambda w: [response(w, URL, page, "text/html; charset=windows-1252")])
    result, [article] = run(str(warc))
    assert article["title"].startswith("Café society") and article["encoding"] == "windows-1252"


def test_a_truncated_record_is_its_failure_and_the_records_before_it_are_kept(tmp_path: Path) -> None:
    pages = [article_page(title=f"Story {n} of the harbour").encode() for n in range(3)]
    whole = write_warc(tmp_path / "whole.warc", lambda w: [response(w, f"{URL}-{n}", p) for n, p in enumerate(pages)],
                       gzip=False)
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc"
    cut.write_bytes(data[: len(data) - 500])
    result, records = run(str(cut))
    assert result.exit_code == 1
    assert [r.get("title") for r in records if "text" in r] == ["Story 0 of the harbour", "Story 1 of the harbour"]
    [failure] = [r for r in records if "reason" in r]
    assert failure["reason"] == "truncated WARC record" and failure["url"] == f"{URL}-2"


def test_a_record_over_max_bytes_is_a_failure_and_the_next_one_is_cleaned(tmp_path: Path) -> None:
    big = article_page(extra_body="<p>" + "filler words " * 20000 + "</p>").encode()
    warc = write_warc(tmp_path / "a.warc.gz", lambda w: [response(w, f"{URL}-big", big),
                                                         response(w, URL, article_page().encode())])
    result, records = run(str(warc), "--max-bytes", "100KB")
    assert sorted(str(r.get("reason")) for r in records) == ["None", "WARC record larger than 100 KB"]


def test_a_file_that_is_not_a_warc_is_one_failure(tmp_path: Path) -> None:
    fake = tmp_path / "fake.warc"
    fake.write_bytes(article_page().encode())
    result, records = run(str(fake))
    assert result.exit_code == 1
    [failure] = records
    assert failure["source"] == str(fake) and failure["reason"].startswith("not a WARC file")


def test_a_warc_on_stdin_is_sniffed_and_read_record_by_record(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "a.warc.gz", html=article_page().encode())
    result, [article] = run("-", input=warc.read_bytes())
    assert result.exit_code == 0
    assert article["url"] == URL and article["source"].startswith("stdin#urn:uuid:")
    assert "7 skipped" in result.stderr


def test_warc_pages_are_yielded_lazily_with_their_record_fields(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "a.warc.gz", html=article_page().encode())
    sources = open_sources([str(warc)], SourceOptions())
    pages = iter(sources)
    page = next(pages)
    assert isinstance(page, Page) and page.url == URL and page.charset == "utf-8"
    assert page.fetched == "2025-03-04T05:06:07Z" and page.id and page.id.startswith("urn:uuid:")
    assert ("Content-Type", "text/html; charset=utf-8") in page.headers
    assert list(pages) == []
    assert sources.skipped["WARC request record"] == 1 and sum(sources.skipped.values()) == 7


def test_a_gzip_encoded_payload_is_decoded_and_a_bomb_stops_at_max_bytes(tmp_path: Path) -> None:
    import gzip

    def encoded(w, url: str, body: bytes):
        record = response(w, url, gzip.compress(body))
        record.http_headers.add_header("Content-Encoding", "gzip")
        return record

    bomb = b"<p>" + b"a" * (20 << 20)
    warc = write_warc(tmp_path / "a.warc.gz", lambda w: [encoded(w, URL, article_page().encode()),
                                                         encoded(w, f"{URL}-bomb", bomb)])
    result, records = run(str(warc), "--max-bytes", "1MB")
    by_url = {r["url"]: r for r in records}
    assert "harbour wall" in by_url[URL]["text"]
    assert by_url[f"{URL}-bomb"]["reason"] == "WARC record larger than 1 MB"


def test_a_broken_encoded_payload_is_its_failure_and_the_file_goes_on(tmp_path: Path) -> None:
    import gzip

    def encoded(w, url: str, body: bytes):
        record = response(w, url, body)
        record.http_headers.add_header("Content-Encoding", "gzip")
        return record

    warc = write_warc(tmp_path / "a.warc.gz", lambda w: [
        encoded(w, f"{URL}-plain", b"<p>not gzip at all</p>"),
        encoded(w, f"{URL}-cut", gzip.compress(article_page().encode())[:-40]),
        response(w, URL, article_page().encode())])
    result, records = run(str(warc))
    by_url = {r["url"]: r.get("reason") for r in records}
    assert by_url == {f"{URL}-plain": "undecodable gzip HTTP payload",
                      f"{URL}-cut": "truncated gzip HTTP payload", URL: None}


def test_a_chunked_payload_is_joined_and_a_broken_one_is_its_failure(tmp_path: Path) -> None:
    page = article_page().encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(page[i:i + 1000]), page[i:i + 1000]) for i in range(0, len(page), 1000))

    def chunks(w, url: str, body: bytes):
        record = response(w, url, body)
        record.http_headers.add_header("Transfer-Encoding", "chunked")
        return record

    warc = write_warc(tmp_path / "a.warc.gz", lambda w: [chunks(w, URL, chunked + b"0\r\n\r\n"),
                                                         chunks(w, f"{URL}-cut", chunked[:1500])])
    result, records = run(str(warc))
    by_url = {r["url"]: r for r in records}
    assert "harbour wall" in by_url[URL]["text"]
    assert by_url[f"{URL}-cut"]["reason"] == "broken chunked HTTP payload"
