"""Crawl-level fetch limits: a stalling URL costs its own deadline only, and a huge robots.txt
Crawl-delay is capped, so no host is held back for long by one hostile answer."""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner

from faultserver import FaultServer
from scraper.cli import cli


def crawl(tmp_path: Path, urls: list[str], *flags: str):
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["crawl", str(listing), "-o", str(out), "-j", "1", "-q",
                                      "--allow-private", "--delay", "0", "--no-learn", *flags])
    elapsed = time.monotonic() - started
    records = {}
    for path in (out, out.with_suffix(".failures.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            records[record["source"]] = record.get("reason", "cleaned")
    return result, records, elapsed


def test_stalling_urls_fail_at_the_timeout_and_the_host_goes_on(tmp_path: Path) -> None:
    with FaultServer(robots_txt=None) as server:
        slow = [server.url("/drip-headers"), server.url("/drip-body")]
        normal = [server.url(p) for p in ("/article", "/", "/legacy", "/gzip")]
        result, records, elapsed = crawl(tmp_path, slow + normal, "--per-host", "1",
                                         "--timeout", "2")
    assert result.exit_code == 1, result.output
    assert records == {**{url: "timeout after 2 s" for url in slow},
                       **{url: "cleaned" for url in normal}}
    assert elapsed < 2 * (2 + 1) + 10  # two deadlines one after the other, plus start-up


def test_a_huge_crawl_delay_is_capped(tmp_path: Path) -> None:
    with FaultServer(robots_txt="User-agent: *\nCrawl-delay: 100000000\n") as server:
        urls = [server.url(p) for p in ("/article", "/", "/legacy")]
        result, records, elapsed = crawl(tmp_path, urls, "--max-crawl-delay", "0.5")
        starts = [r.started for r in server.log if r.path != "/robots.txt"]
    assert result.exit_code == 0, result.output
    assert set(records.values()) == {"cleaned"}
    assert all(b - a >= 0.45 for a, b in zip(starts, starts[1:]))  # the capped delay is kept
    assert elapsed < 20


def test_help_states_the_fetch_limits() -> None:
    text = " ".join(CliRunner().invoke(cli, ["crawl", "--help"]).output.split())
    for phrase in ("--timeout FLOAT RANGE Seconds one attempt may take in all",
                   "--robots-timeout", "[default: 10.0", "--max-crawl-delay", "[default: 60.0",
                   "--max-retry-after", "[default: 120.0", "counted after decompression"):
        assert phrase in text
