"""Crawl cleaning holds each page to the same time and memory limits as `clean`: a page that
hangs its cleaning worker ends as "timed out after N s", its worker is replaced, and the crawl
completes with every other URL cleaned."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import scraper.crawl.job
from faultserver import ARTICLE_HTML, FaultServer
from scraper.cli import cli
from scraper.crawl.workers import clean_page

HANGS = "This page hangs the cleaner"


def clean_or_hang(body: bytes, *args: object, **kwargs: object) -> object:
    """Cleaning that never ends on one page, as a pathological page does inside C code."""
    if HANGS.encode() in body:
        while True:
            time.sleep(1)
    return clean_page(body, *args, **kwargs)  # type: ignore[arg-type]


def results(out: Path) -> dict[str, str]:
    found = {}
    for path in (out, out.with_suffix(".failures.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            found[record["source"]] = record.get("reason", "cleaned")
    return found


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_page_that_hangs_its_cleaner_times_out_and_the_crawl_completes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    monkeypatch.setattr(scraper.crawl.job, "clean_page", clean_or_hang)
    with FaultServer(robots_txt=None) as server:
        server.add_page("/hang", ARTICLE_HTML.replace("Rivers return", HANGS))
        for i in range(4):
            server.add_page(f"/a/{i}", ARTICLE_HTML.replace("Rivers return", f"Story {i}: rivers return"))
        urls = [server.url("/hang")] + [server.url(f"/a/{i}") for i in range(4)]
        listing = tmp_path / "urls.txt"
        listing.write_text("\n".join(urls) + "\n")
        out = tmp_path / "out.jsonl"
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["crawl", str(listing), "-o", str(out), "-j", jobs, "-q",
                                          "--allow-private", "--delay", "0", "--no-learn",
                                          "--page-timeout", "1"])
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert results(out) == {server.url("/hang"): "timed out after 1 s",
                            **{url: "cleaned" for url in urls[1:]}}
    assert elapsed < 1 + 15  # the page's deadline, plus start-up: never the hang


def test_crawl_help_states_the_page_limits() -> None:
    text = " ".join(CliRunner().invoke(cli, ["crawl", "--help"]).output.split())
    for phrase in ("--page-timeout FLOAT RANGE Seconds cleaning one page may take", "[default: 30.0",
                   "--max-memory TEXT Memory (address space) cleaning one page may take", "[default: 2GB]"):
        assert phrase in text


def test_a_bad_max_memory_is_a_usage_error(tmp_path: Path) -> None:
    listing = tmp_path / "urls.txt"
    listing.write_text("http://example.com/\n")
    result = CliRunner().invoke(cli, ["crawl", str(listing), "-o", str(tmp_path / "o.jsonl"),
                                      "--max-memory", "lots"])
    assert result.exit_code == 2
    assert "--max-memory" in result.output
