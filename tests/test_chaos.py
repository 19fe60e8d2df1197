"""Chaos: a crawl of 300 URLs over 3 hosts, about 10 % of them hostile, is killed with SIGKILL
at 3 random moments (seeded) and run again at once each time, then run to the end. Each URL is
then in the output exactly once, as an article or a failure/skip with the reason its endpoint
earns; every line is valid UTF-8 JSON; no run stalled past its deadline; a last run has nothing
to do."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from faultserver import ARTICLE_HTML, FaultServer

SEED = 20261201
PAGES_PER_HOST = 90
LONG_LABEL = "http://" + "a" * 64 + ".com/"
SURROGATE_LD = ('<script type="application/ld+json">{"@type": "NewsArticle", '
                '"author": {"name": "Bob \\udc00 Smith"}}</script>')
# Hostile endpoints of every host and the reason each must end with (a prefix).
HOSTILE = {
    "/slow?i={i}": "timeout after 1 s",
    "/reset?i={i}": "connection reset while reading body",
    "/truncated?i={i}": "connection closed while reading body",
    "/flaky?fail=99&i={i}": "HTTP 503",
    "/bomb?i={i}": "body larger than 1 MB",
    "/big?size=3000000&i={i}": "body larger than 1 MB",
    "/loop?i={i}": "redirect loop: ",
    "/pdf?i={i}": "not HTML: application/pdf",
    "/pdf?stall=1&i={i}": "not HTML: application/pdf",
    "/missing?i={i}": "HTTP 404",
    "/private/page?i={i}": "disallowed by robots.txt",
    "/surrogate?i={i}": "cleaned",
}
CRASHED = "crashed the crawler twice"  # a URL in flight at two of the kills may end so
RUN_DEADLINE = 45.0  # seconds: 1 s attempts, 1 retry, 6 slots; a stalled host would blow it


@pytest.fixture
def hosts() -> Iterator[list[FaultServer]]:
    servers = [FaultServer(latency=0.01, robots_txt="User-agent: *\nDisallow: /private\n")
               for _ in range(3)]
    for server in servers:
        server.slow_seconds = 3
        server.add_page("/surrogate", ARTICLE_HTML.replace("</head>", SURROGATE_LD + "</head>"))
        for i in range(PAGES_PER_HOST):
            server.add_page(f"/a/{i}", ARTICLE_HTML.replace("Rivers return", f"Story {i}: rivers return"))
        server.__enter__()
    try:
        yield servers
    finally:
        for server in servers:
            server.close()


def job(servers: list[FaultServer]) -> dict[str, str]:
    """Every URL of the job and the outcome it must end with ("cleaned" or a reason prefix)."""
    expected = {}
    for n, server in enumerate(servers):
        for i in range(PAGES_PER_HOST):
            expected[server.url(f"/a/{i}")] = "cleaned"
        for path, outcome in HOSTILE.items():
            expected[server.url(path.format(i=n))] = outcome
        other = servers[(n + 1) % len(servers)]
        expected[server.url(f"/redirect-to?url={other.url('/a/0')}")] = "cleaned"
    expected[LONG_LABEL] = ("internal error: LocationParseError", "invalid URL")
    expected["not a url"] = "invalid URL"
    return expected


def command(urls: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "scraper", "crawl", str(urls), "-o", str(output),
            "--allow-private", "--delay", "0", "--per-host", "2", "--concurrency", "6",
            "--timeout", "1", "--retries", "1", "--max-bytes", "1MB", "-j", "2", "-q"]


def lines(output: Path) -> list[bytes]:
    found = []
    for path in (output, output.with_suffix(".failures.jsonl")):
        if path.exists():
            found += path.read_bytes().splitlines(keepends=True)
    return found


def recorded_so_far(output: Path) -> int:
    return sum(1 for line in lines(output) if line.endswith(b"}\n"))


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, f"the crawl ended early: exit {proc.returncode}"
        assert time.monotonic() < deadline, f"the crawl stalled: nothing new for {seconds} s"
        time.sleep(0.01)


def test_a_crawl_killed_three_times_ends_with_every_url_exactly_once(
        tmp_path: Path, hosts: list[FaultServer]) -> None:
    rng = random.Random(SEED)
    expected = job(hosts)
    assert len(expected) == 3 * (PAGES_PER_HOST + len(HOSTILE) + 1) + 2 == 311
    urls = list(expected)
    rng.shuffle(urls)
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    output = tmp_path / "out.jsonl"
    kills = sorted(rng.sample(range(10, 250), 3))
    sessions: list[int] = []
    try:
        for at in kills:
            proc = subprocess.Popen(command(listing, output), start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            sessions.append(proc.pid)
            wait_for(lambda: recorded_so_far(output) >= at, proc, RUN_DEADLINE)
            time.sleep(rng.uniform(0, 0.3))  # land anywhere: mid-fetch, mid-clean, mid-write
            os.kill(proc.pid, signal.SIGKILL)  # the crawl only, as `kill -9 PID` does
            proc.wait()
            assert b"in use by another crawl" not in proc.stderr.read()  # type: ignore[union-attr]
        started = time.monotonic()
        final = subprocess.run(command(listing, output), capture_output=True, text=True,
                               timeout=RUN_DEADLINE + 30)
        took = time.monotonic() - started
    finally:
        for pid in sessions:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert final.returncode == 1, final.stderr  # 1: some URLs failed, none left pending
    assert "resuming the crawl into" in final.stderr
    assert took < RUN_DEADLINE, f"the last run took {took:.1f} s"

    records = [json.loads(line.decode("utf-8")) for line in lines(output)]  # strict UTF-8 JSON
    assert all(line.endswith(b"}\n") for line in lines(output))
    assert Counter(r["source"] for r in records) == Counter(list(expected))  # each URL exactly once
    got = {r["source"]: r.get("reason", "cleaned") for r in records}
    wrong = {url: got[url] for url, want in expected.items()
             if not got[url].startswith(want) and got[url] != CRASHED}
    assert wrong == {}
    crashed = [url for url, outcome in got.items() if outcome == CRASHED]
    assert len(crashed) <= 12  # only URLs in flight at two kills
    for n, server in enumerate(hosts):
        article = next(r for r in records if r["source"] == server.url(f"/surrogate?i={n}"))
        assert article.get("author", "Bob \ufffd Smith") == "Bob \ufffd Smith"

    before = [server.log for server in hosts]
    again = subprocess.run(command(listing, output), capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "nothing to do: all 311 URLs" in again.stderr
    assert [server.log for server in hosts] == before
