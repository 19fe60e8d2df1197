"""Kill and resume: a crawl killed with SIGKILL part-way and run again ends with every URL
exactly once in the output; a finished job does no fetching; --retry-failed tries failures."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from faultserver import ARTICLE_HTML, FaultServer
from scraper.article import Article, Failure
from scraper.crawl.resume import reconcile
from scraper.crawl.state import CrawlState
from scraper.sinks.store import open_store

N_PAGES = 60


@pytest.fixture
def site() -> Iterator[FaultServer]:
    """One host with slow-ish pages (so a kill lands mid-crawl) and a few failing URLs."""
    with FaultServer(latency=0.03, robots_txt="User-agent: *\nDisallow: /private\n") as server:
        for i in range(N_PAGES):
            server.add_page(f"/a/{i}", ARTICLE_HTML.replace("Rivers return", f"Story {i}: rivers return"))
        yield server


def url_list(tmp_path: Path, server: FaultServer) -> tuple[Path, list[str]]:
    urls = [server.url(f"/a/{i}") for i in range(N_PAGES)]
    urls += [server.url("/missing"), server.url("/pdf"), server.url("/private/page"), "not a url"]
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(urls) + "\n")
    return path, urls


def command(urls: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "scraper", "crawl", str(urls), "-o", str(output),
            "--allow-private", "--delay", "0", "--per-host", "2", "-j", "1", "-q", *extra]


def sources(output: Path) -> list[str]:
    """Every source recorded in the output, articles and failures, duplicates kept."""
    if output.suffix == ".db":
        with sqlite3.connect(output) as db:
            rows = db.execute("SELECT source FROM articles UNION ALL SELECT source FROM failures")
            return [r[0] for r in rows]
    found = []
    for path in (output, output.with_suffix(".failures.jsonl")):
        if path.exists():
            found += [json.loads(line)["source"] for line in path.read_text().splitlines()]
    return found


def count_recorded(output: Path) -> int:
    try:
        return len(sources(output))
    except (sqlite3.Error, ValueError, OSError):
        return 0  # mid-write: try again


def kill_when(proc: subprocess.Popen, output: Path, at_least: int) -> None:
    """SIGKILL the crawl (and its worker processes) once `at_least` results are written."""
    deadline = time.monotonic() + 30
    while count_recorded(output) < at_least and time.monotonic() < deadline:
        assert proc.poll() is None, "the crawl ended before it could be killed"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("name", ["out.jsonl", "out.db"])
def test_killed_crawl_resumes_with_each_url_exactly_once(tmp_path: Path, site: FaultServer,
                                                         name: str) -> None:
    urls, expected = url_list(tmp_path, site)
    output = tmp_path / name
    for at_least in (10, 30):
        proc = subprocess.Popen(command(urls, output), start_new_session=True,
                                stderr=subprocess.DEVNULL)
        kill_when(proc, output, at_least)
    assert 0 < len(set(sources(output))) < len(expected)
    site.reset()
    done = subprocess.run(command(urls, output), capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # /missing and "not a url" failed
    assert "resuming the crawl into" in done.stderr
    assert f"{N_PAGES} cleaned, 2 failed, 2 skipped" in done.stderr
    recorded = Counter(sources(output))
    assert sorted(recorded) == sorted(expected)
    assert set(recorded.values()) == {1}
    # Nothing already recorded was fetched again.
    assert site.count("/a/0") + site.count("/a/1") == 0


def test_a_finished_job_run_again_fetches_nothing(tmp_path: Path, site: FaultServer) -> None:
    urls, expected = url_list(tmp_path, site)
    output = tmp_path / "out.jsonl"
    first = subprocess.run(command(urls, output), capture_output=True, text=True, timeout=120)
    assert first.returncode == 1, first.stderr
    site.reset()
    again = subprocess.run(command(urls, output), capture_output=True, text=True, timeout=60)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        f"nothing to do: all {len(expected)} URLs of this job are done ({N_PAGES} cleaned, "
        "2 failed, 2 skipped); use --retry-failed to try failures again")
    assert site.log == []
    assert sorted(sources(output)) == sorted(expected)


def test_retry_failed_tries_failures_again_and_keeps_one_record_each(tmp_path: Path) -> None:
    with FaultServer(robots_txt=None) as server:
        urls = tmp_path / "urls.txt"
        flaky, pdf = server.url("/flaky?fail=2"), server.url("/pdf")
        urls.write_text(f"{server.url('/article')}\n{flaky}\n{pdf}\n")
        output = tmp_path / "out.jsonl"
        first = subprocess.run(command(urls, output, "--retries", "0"), capture_output=True,
                               text=True, timeout=60)
        assert first.returncode == 1, first.stderr
        again = subprocess.run(command(urls, output, "--retries", "0"), capture_output=True,
                               text=True, timeout=60)
        assert "use --retry-failed" in again.stderr and server.count("/flaky") == 1
        retried = subprocess.run(command(urls, output, "--retries", "0", "--retry-failed"),
                                 capture_output=True, text=True, timeout=60)
        assert retried.returncode == 1  # 503 once more (it fails twice)
        assert "1 failed ones again" in retried.stderr
        last = subprocess.run(command(urls, output, "--retries", "0", "--retry-failed"),
                              capture_output=True, text=True, timeout=60)
        assert last.returncode == 0, last.stderr
        assert server.count("/flaky") == 3 and server.count("/pdf") == 1
    assert "2 cleaned, 0 failed, 1 skipped" in last.stderr
    assert Counter(sources(output)) == {server.url("/article"): 1, flaky: 1, pdf: 1}
    failures = [json.loads(x) for x in output.with_suffix(".failures.jsonl").read_text().splitlines()]
    assert [(f["source"], f["status"]) for f in failures] == [(pdf, "skipped")]


def test_state_of_another_output_is_refused(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("http://example.com/\n")
    state = tmp_path / "s.db"
    args = [sys.executable, "-m", "scraper", "crawl", str(urls), "--state", str(state), "--load-only"]
    assert subprocess.run([*args, "-o", str(tmp_path / "a.jsonl")], capture_output=True).returncode == 0
    other = subprocess.run([*args, "-o", str(tmp_path / "b.jsonl")], capture_output=True, text=True)
    assert other.returncode == 2
    assert "belongs to the crawl into" in other.stderr


@pytest.mark.parametrize("name", ["out.jsonl", "out.db", "out-folder"])
def test_results_written_but_not_recorded_before_a_kill_are_settled(tmp_path: Path,
                                                                    name: str) -> None:
    urls = ["http://a.test/1", "http://a.test/2", "http://a.test/3"]
    state = CrawlState(tmp_path / "s.db")
    state.load(urls)
    output = tmp_path / name
    store = open_store(str(output), append=True)
    store.add(Article(text="Rivers return to the valley after a decade.", source=urls[0]))
    store.fail(Failure(urls[1], "HTTP 404", "HTTPStatusError"))
    store.close()
    if name.endswith(".jsonl"):
        with output.open("a") as fh:
            fh.write('{"source": "http://a.test/3", "text": "torn by the ki')
    store = open_store(str(output), append=True)
    try:
        assert reconcile(store, state, dirty=True) == 2
    finally:
        store.close()
    assert [state.status(u) for u in urls] == ["done", "failed", "pending"]
    assert state.row(urls[1])["reason"] == "HTTP 404"
    if name.endswith(".jsonl"):
        assert output.read_text().endswith("}\n")
        assert [json.loads(x)["source"] for x in output.read_text().splitlines()] == [urls[0]]
