"""Crawling against a real local server: every URL ends as one result with the right reason,
politeness as the server saw it, robots.txt, and the address guard on every hop."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from faultserver import FaultServer
from scraper.article import Article, Failure
from scraper.cli import cli
from scraper.crawl.job import CrawlOptions, crawl
from scraper.crawl.fetch import FetchOptions
from scraper.crawl.state import CrawlState
from scraper.sinks.store import open_store

FETCH = FetchOptions(allow_private=True, connect_timeout=1, read_timeout=0.5, retries=1,
                     backoff_base=0.01, backoff_cap=0.05, max_bytes=64 * 1024)
OPTIONS = CrawlOptions(fetch=FETCH, delay=0, jobs=1)
REFUSED = "private address refused: 127.0.0.1 (use --allow-private to allow)"
ROBOTS = "User-agent: *\nDisallow: /private\n"


def run(tmp_path: Path, urls: list[str], options: CrawlOptions = OPTIONS,
        output: str = "out.jsonl") -> dict[str, Article | Failure]:
    """Crawl `urls` into `output`; return the results by source, checking each comes once."""
    store = open_store(str(tmp_path / output), append=True)
    try:
        results = list(crawl(urls, store, options, tmp_path / "job.state.db"))
    finally:
        store.close()
    by_source: dict[str, Article | Failure] = {}
    for result in results:
        assert result.source not in by_source, f"{result.source} came twice"
        by_source[result.source or ""] = result
    return by_source


def reason(result: Article | Failure) -> str:
    return result.reason if isinstance(result, Failure) else "cleaned"


def test_fault_endpoints_end_as_recorded_results_with_their_reasons(tmp_path: Path) -> None:
    with FaultServer(robots_txt=ROBOTS) as server:
        server.slow_seconds = 2
        paths = ["/slow", "/flaky", "/ratelimited", "/reset", "/loop", "/big?size=200000",
                 "/pdf", "/missing", "/gzip", "/legacy", "/private/page", "/chain?n=2"]
        urls = [server.url(p) for p in paths] + ["http://", "ftp://example.com/file"]
        results = run(tmp_path, urls)
        flaky_attempts = server.count("/flaky")
        limited = [r.started for r in server.log if r.path == "/ratelimited"]
    got = {source.removeprefix(server.base_url): reason(r) for source, r in results.items()}
    assert got == {
        "/slow": "timeout after 0.5 s (read)",
        "/flaky": "cleaned",
        "/ratelimited": "cleaned",
        "/reset": "connection reset while reading body",
        "/loop": f"redirect loop: {server.url('/loop')}",
        "/big?size=200000": "body larger than 64 KB",
        "/pdf": "not HTML: application/pdf",
        "/missing": "HTTP 404",
        "/gzip": "cleaned",
        "/legacy": "cleaned",
        "/private/page": "disallowed by robots.txt",
        "/chain?n=2": "cleaned",
        "http://": "invalid URL: no host",
        "ftp://example.com/file": "unsupported scheme: ftp",
    }
    assert flaky_attempts == 2
    assert len(limited) == 2 and limited[1] - limited[0] >= 0.9  # Retry-After: 1 honoured
    skipped = {s for s, r in results.items() if isinstance(r, Failure) and r.status == "skipped"}
    assert skipped == {server.url("/pdf"), server.url("/private/page")}
    assert "three rivers that once fed the valley" in results[server.url("/gzip")].text
    legacy = results[server.url("/legacy")]
    assert "café on the corner" in legacy.text and "€3" in legacy.text and "crème brûlée" in legacy.text
    assert results[server.url("/chain?n=2")].url == server.url("/chain?n=0")


def test_outcomes_are_in_the_state_database_and_the_output(tmp_path: Path) -> None:
    with FaultServer(robots_txt=ROBOTS) as server:
        urls = [server.url("/article"), server.url("/missing"), server.url("/flaky"),
                server.url("/chain?n=1"), server.url("/flaky?fail=9")]
        run(tmp_path, urls)
    state = CrawlState(tmp_path / "job.state.db")
    article = state.row(server.url("/article"))
    assert article is not None and article["status"] == "done"
    assert (article["http_status"], article["attempts"]) == (200, 1)
    assert article["etag"] and article["last_modified"] and article["fetched_at"]
    missing = state.row(server.url("/missing"))
    assert missing is not None
    assert (missing["status"], missing["reason"], missing["http_status"]) == ("failed", "HTTP 404", 404)
    assert state.row(server.url("/flaky"))["attempts"] == 2
    # A failure counts its tries as a page does: the request and its one retry.
    given_up = state.row(server.url("/flaky?fail=9"))
    assert (given_up["status"], given_up["reason"], given_up["attempts"]) == ("failed", "HTTP 503", 2)
    assert missing["attempts"] == 1
    assert state.row(server.url("/chain?n=1"))["final_url"] == server.url("/chain?n=0")
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    failures = (tmp_path / "out.failures.jsonl").read_text().splitlines()
    assert sorted(json.loads(x)["source"] for x in lines) == sorted(
        [server.url("/article"), server.url("/flaky"), server.url("/chain?n=1")])
    assert sorted((json.loads(x)["source"], json.loads(x)["reason"]) for x in failures) == [
        (server.url("/flaky?fail=9"), "HTTP 503"), (server.url("/missing"), "HTTP 404")]


def test_duplicate_urls_are_fetched_once(tmp_path: Path) -> None:
    with FaultServer(robots_txt=ROBOTS) as server:
        base = server.url("/article")
        urls = [base, base + "?utm_source=news&utm_medium=email", base + "#top",
                base.replace("http://", "HTTP://") + "?fbclid=1&gclid=2&mc_cid=3&mc_eid=4"]
        results = run(tmp_path, urls)
        assert server.count("/article") == 1
    assert list(results) == [base]


def most_started_within(starts: list[float], window: float) -> int:
    """The most requests that arrived within `window` seconds of each other."""
    starts = sorted(starts)
    return max(sum(1 for t in starts[i:] if t - s < window) for i, s in enumerate(starts))


def test_per_host_concurrency_as_the_server_saw_it(tmp_path: Path) -> None:
    latency = 0.2
    with FaultServer(latency=latency, robots_txt=None) as server:
        for i in range(8):
            server.add_page(f"/p/{i}", f"<p>page {i}</p>")
        run(tmp_path, [server.url(f"/p/{i}") for i in range(8)], replace(OPTIONS, per_host=2))
        assert server.count("/robots.txt") == 1
        starts = [r.started for r in server.log]
    # Every request takes at least `latency`, so requests that arrived closer together than
    # that were in flight at the same time. (`server.max_in_flight` also counts a handler
    # still returning after its response went out, which a fast client can overlap.)
    assert most_started_within(starts, latency - 0.03) == 2


def test_delay_between_request_starts_on_a_host(tmp_path: Path) -> None:
    with FaultServer(robots_txt=None) as server:
        run(tmp_path, [server.url(f"/missing?{i}") for i in range(4)], replace(OPTIONS, delay=0.25))
        starts = [r.started for r in server.log]
    assert len(starts) == 5  # robots.txt first, then the pages
    # Arrival times at the server carry scheduling noise under load (up to ~0.06 s seen); the
    # spacing itself is exact, and without the delay the gaps are a few ms.
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.25 - 0.1


def test_redirect_hops_are_spaced_by_the_delay_too(tmp_path: Path) -> None:
    with FaultServer(robots_txt=None) as server:
        results = run(tmp_path, [server.url("/chain?n=2")], replace(OPTIONS, delay=0.25))
        log = server.log
    assert isinstance(results[server.url("/chain?n=2")], Article)
    assert [r.path for r in log] == ["/robots.txt", "/chain?n=2", "/chain?n=1", "/chain?n=0"]
    starts = [r.started for r in log]
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.25 - 0.1  # as above


def test_robots_disallow_and_crawl_delay_are_honoured(tmp_path: Path) -> None:
    robots = "User-agent: *\nDisallow: /private\nCrawl-delay: 0.3\n"
    with FaultServer(robots_txt=robots) as server:
        urls = [server.url(p) for p in ("/private/page", "/missing?1", "/missing?2", "/article")]
        results = run(tmp_path, urls)
        log = server.log
    assert reason(results[server.url("/private/page")]) == "disallowed by robots.txt"
    assert [r.path for r in log] == ["/robots.txt", "/missing?1", "/missing?2", "/article"]
    starts = [r.started for r in log]
    # The server stamps arrivals; on a loaded machine one can be stamped late and the next gap
    # look short. Without the delay the gaps are a few ms, so 0.2 s still proves it is kept.
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.3 - 0.1


def test_ignore_robots_fetches_everything_without_robots_txt(tmp_path: Path) -> None:
    with FaultServer(robots_txt=ROBOTS) as server:
        results = run(tmp_path, [server.url("/private/page")], replace(OPTIONS, ignore_robots=True))
        assert server.count("/robots.txt") == 0
    assert isinstance(results[server.url("/private/page")], Article)


def test_robots_txt_forbidden_disallows_the_host_and_unreachable_allows_it(tmp_path: Path) -> None:
    with FaultServer() as server:
        server.robots_status = 403
        results = run(tmp_path, [server.url("/article")])
    assert reason(results[server.url("/article")]) == "disallowed by robots.txt"
    with FaultServer() as server:
        server.robots_status = 503
        (tmp_path / "again").mkdir()
        results = run(tmp_path / "again", [server.url("/article")],
                      replace(OPTIONS, fetch=replace(FETCH, retries=0)))
    assert reason(results[server.url("/article")]) == "cleaned"


def test_a_slow_host_does_not_stall_the_others(tmp_path: Path) -> None:
    with FaultServer(latency=0.4, robots_txt=None) as slow, \
            FaultServer(robots_txt=None) as fast:
        for server in (slow, fast):
            for i in range(6):
                server.add_page(f"/p/{i}", f"<p>page {i}</p>")
        urls = [slow.url(f"/p/{i}") for i in range(6)] + [fast.url(f"/p/{i}") for i in range(6)]
        run(tmp_path, urls, replace(OPTIONS, concurrency=4))
        slow_log, fast_log = slow.log, fast.log
    assert len(fast_log) == 7 and len(slow_log) == 7
    assert fast_log[-1].started < slow_log[3].started


def test_loopback_url_is_refused_without_allow_private(tmp_path: Path) -> None:
    with FaultServer() as server:
        results = run(tmp_path, [server.url("/article")], replace(OPTIONS, fetch=FetchOptions()))
        assert server.log == []
    failure = results[server.url("/article")]
    assert isinstance(failure, Failure) and failure.reason == REFUSED


def test_redirect_from_an_allowed_host_to_loopback_is_refused(tmp_path: Path) -> None:
    with FaultServer(robots_txt=ROBOTS) as allowed, FaultServer() as target:
        fetch = replace(FETCH, allow_private=False, allowed_endpoints=frozenset({allowed.endpoint}))
        hop = allowed.url("/redirect-to?url=" + target.url("/article"))
        results = run(tmp_path, [hop, allowed.url("/article")], replace(OPTIONS, fetch=fetch))
        assert target.log == []
    assert reason(results[hop]) == REFUSED
    assert reason(results[allowed.url("/article")]) == "cleaned"


def test_sqlite_output_and_saved_pages_can_be_cleaned_again(tmp_path: Path) -> None:
    import sqlite3

    with FaultServer(robots_txt=ROBOTS) as server:
        urls = [server.url("/article"), server.url("/legacy"), server.url("/missing")]
        run(tmp_path, urls, replace(OPTIONS, save_html=str(tmp_path / "raw")), output="out.db")
    with sqlite3.connect(tmp_path / "out.db") as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
        assert db.execute("SELECT source, reason FROM failures").fetchall() == [
            (server.url("/missing"), "HTTP 404")]
    index = [json.loads(x) for x in (tmp_path / "raw" / "index.jsonl").read_text().splitlines()]
    assert sorted(x["url"] for x in index) == sorted(urls[:2])
    again = CliRunner().invoke(cli, ["clean", str(tmp_path / "raw"), "-o", str(tmp_path / "again.jsonl"),
                                     "-j", "1"])
    assert again.exit_code == 0, again.stderr
    texts = [json.loads(x)["text"] for x in (tmp_path / "again.jsonl").read_text().splitlines()]
    assert any("café on the corner" in t for t in texts) and any("three rivers that once fed" in t for t in texts)


def test_cli_crawl_summarises_by_reason_and_exits_1_on_failures(tmp_path: Path) -> None:
    with FaultServer(robots_txt=ROBOTS) as server:
        urls = tmp_path / "urls.txt"
        urls.write_text("# a list\n\n" + "\n".join(
            [server.url("/article"), server.url("/missing"), server.url("/pdf"), "not a url"]) + "\n")
        out = str(tmp_path / "out.jsonl")
        args = ["crawl", str(urls), "-o", out, "--allow-private", "--delay", "0", "-j", "1"]
        result = CliRunner().invoke(cli, args)
        refused = CliRunner().invoke(cli, ["crawl", str(urls), "-o", str(tmp_path / "b.jsonl"), "-j", "1"])
    assert result.exit_code == 1, result.output
    assert "1 cleaned, 2 failed, 1 skipped" in result.stderr
    for line in ("failed: HTTP 404", "skipped: not HTML: application/pdf",
                 "failed: invalid URL: whitespace or control character"):
        assert line in result.stderr
    assert refused.exit_code == 1
    assert f"failed: {REFUSED}" in refused.stderr


def test_cli_help_explains_the_politeness_defaults() -> None:
    result = CliRunner().invoke(cli, ["crawl", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for flag in ("--delay FLOAT RANGE Minimum seconds between request starts on one host",
                 "[default: 1.0", "--per-host", "[default: 1;", "--concurrency", "[default: 16;",
                 "--max-bytes", "[default: 10MB]", "--max-redirects", "[default: 5;",
                 "--retry-failed", "--save-html", "--ignore-robots", "--allow-private", "--state",
                 "--user-agent", "--timeout", "--retries", "--jobs", "--rules"):
        assert flag in text, flag


def test_cli_reads_the_url_list_from_stdin(tmp_path: Path) -> None:
    with FaultServer(robots_txt=ROBOTS) as server:
        state = str(tmp_path / "job.state.db")
        args = ["crawl", "-", "-o", str(tmp_path / "out.db"), "--state", state, "--allow-private",
                "--delay", "0", "-j", "1"]
        result = CliRunner().invoke(cli, args, input=f"# from a pipe\n{server.url('/article')}\n")
    assert result.exit_code == 0, result.output
    assert "1 cleaned, 0 failed" in result.stderr
