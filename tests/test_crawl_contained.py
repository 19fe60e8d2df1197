"""One URL never stops the crawl: any exception while handling it, foreseen or not, becomes its
recorded failure ("internal error: <type>: <message>") and the job goes on; strings from pages
reach every output format encodable; re-runs do not crash again on the same URL."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from faultserver import ARTICLE_HTML, FaultServer
from scraper.article import Article, Failure
from scraper.crawl.job import CrawlOptions, crawl
from scraper.crawl.fetch import Fetcher, FetchOptions
from scraper.crawl.robots import RobotsCache
from scraper.crawl.state import CrawlState
from scraper.sinks.store import JsonlStore, open_store

FETCH = FetchOptions(allow_private=True, connect_timeout=1, read_timeout=1, retries=0)
OPTIONS = CrawlOptions(fetch=FETCH, delay=0, jobs=1)
LONG_LABEL = "http://" + "a" * 64 + ".com/"
# Literally backslash-u-d-c-0-0 in the JSON text: json.loads makes it a lone surrogate.
SURROGATE_LD = ('<script type="application/ld+json">{"@type": "NewsArticle", '
                '"author": {"name": "Bob \\udc00 Smith"}, "headline": "Rivers return"}</script>')


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(robots_txt=None) as server:
        server.add_page("/surrogate", ARTICLE_HTML.replace("</head>", SURROGATE_LD + "</head>"))
        for i in range(3):
            server.add_page(f"/a/{i}", ARTICLE_HTML.replace("Rivers return", f"Story {i}: rivers return"))
        yield server


def cli_crawl(urls: list[str], tmp_path: Path, output: str, *extra: str) -> subprocess.CompletedProcess:
    listing = tmp_path / "urls.txt"
    listing.write_text("\n".join(urls) + "\n")
    return subprocess.run([sys.executable, "-m", "scraper", "crawl", str(listing), "-o", output,
                           "--allow-private", "--delay", "0", "--timeout", "2", "-j", "1", "-q",
                           *extra], capture_output=True, timeout=60, cwd=tmp_path)


def records(tmp_path: Path, output: str, stdout: bytes = b"") -> list[dict]:
    """Every record the crawl wrote, articles and failures, parsed from strict UTF-8."""
    path = tmp_path / output
    if output == "-":
        return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]
    if output.endswith(".db"):
        with sqlite3.connect(path) as db:
            db.text_factory = bytes
            rows = db.execute("SELECT source, author FROM articles UNION ALL "
                              "SELECT source, reason FROM failures").fetchall()
        return [{"source": s.decode("utf-8"), "author": a and a.decode("utf-8")} for s, a in rows]
    if output.endswith(".jsonl"):
        files = [path, path.with_suffix(".failures.jsonl")]
    else:
        files = sorted(path.glob("*.json")) + [path / "failures.jsonl"]
        files.remove(path / "templates.json")
    found = []
    for file in files:
        if file.suffix == ".json":
            found.append(json.loads(file.read_bytes().decode("utf-8")))
        elif file.exists():
            found += [json.loads(line) for line in file.read_bytes().decode("utf-8").splitlines()]
    return found


def test_a_host_label_over_63_characters_fails_that_url_and_reruns_do_not_crash(
        tmp_path: Path, server: FaultServer) -> None:
    urls = [LONG_LABEL, server.url("/a/0")]
    first = cli_crawl(urls, tmp_path, "out.jsonl")
    assert first.returncode == 1, first.stderr
    assert b"Traceback" not in first.stderr
    assert b"1 cleaned, 1 failed" in first.stderr
    failures = [json.loads(x) for x in (tmp_path / "out.failures.jsonl").read_text().splitlines()]
    assert [f["source"] for f in failures] == [LONG_LABEL]
    # Today urllib3 refuses the label; once URL checks refuse it first, it is an invalid URL.
    assert failures[0]["reason"].startswith(("internal error: LocationParseError: ", "invalid URL"))
    again = cli_crawl(urls, tmp_path, "out.jsonl")
    assert again.returncode == 1 and b"nothing to do: all 2 URLs" in again.stderr


@pytest.mark.parametrize("output", ["out.jsonl", "out.db", "folder", "-"])
def test_a_lone_surrogate_in_json_ld_is_written_by_every_output_format(
        tmp_path: Path, server: FaultServer, output: str) -> None:
    extra = ("--state", str(tmp_path / "s.db")) if output == "-" else ()
    done = cli_crawl([server.url("/surrogate"), server.url("/a/0")], tmp_path, output, *extra)
    assert done.returncode == 0, done.stderr
    assert b"2 cleaned, 0 failed" in done.stderr
    found = {r["source"]: r for r in records(tmp_path, output, done.stdout)}
    assert found[server.url("/surrogate")]["author"] == "Bob \ufffd Smith"
    assert found[server.url("/a/0")]["author"] == "Ada Example"


def in_process(tmp_path: Path, urls: list[str], store: object | None = None,
               options: CrawlOptions = OPTIONS) -> dict[str, Article | Failure]:
    store = store or open_store(str(tmp_path / "out.jsonl"), append=True)
    try:
        results = list(crawl(urls, store, options, tmp_path / "job.state.db"))  # type: ignore[arg-type]
    finally:
        store.close()  # type: ignore[attr-defined]
    by_source = {r.source: r for r in results}
    assert len(by_source) == len(results) == len(urls)
    return by_source


def outcome(result: Article | Failure) -> str:
    return result.reason if isinstance(result, Failure) else "cleaned"


def test_a_bug_in_a_fetch_thread_is_that_urls_failure(tmp_path: Path, server: FaultServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real = Fetcher.fetch

    def fetch(self: Fetcher, url: str, *args: object, **kwargs: object) -> object:
        if url.endswith("/a/1"):
            raise KeyError("no such header")
        return real(self, url, *args, **kwargs)

    monkeypatch.setattr(Fetcher, "fetch", fetch)
    urls = [server.url(f"/a/{i}") for i in range(3)]
    got = {s: outcome(r) for s, r in in_process(tmp_path, urls).items()}
    assert got == {urls[0]: "cleaned", urls[1]: "internal error: KeyError: 'no such header'",
                   urls[2]: "cleaned"}


def test_a_bug_in_the_robots_check_is_that_urls_failure(tmp_path: Path, server: FaultServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    real = RobotsCache.allowed

    def allowed(self: RobotsCache, url: str, *args: object) -> bool:
        if url.endswith("/a/2"):
            raise ZeroDivisionError("division by zero")
        return real(self, url, *args)

    monkeypatch.setattr(RobotsCache, "allowed", allowed)
    urls = [server.url(f"/a/{i}") for i in range(3)]
    got = {s: outcome(r) for s, r in in_process(tmp_path, urls).items()}
    assert got[urls[2]] == "internal error: ZeroDivisionError: division by zero"
    assert got[urls[0]] == got[urls[1]] == "cleaned"
    assert server.count("/a/2") == 0


class PickyStore(JsonlStore):
    """A store that cannot take one article (as a store that meets a value it cannot encode)."""

    def add(self, article: Article) -> None:
        if article.source and article.source.endswith("/a/1"):
            raise TypeError("cannot store this article")
        super().add(article)


def test_a_store_that_cannot_take_a_record_fails_only_that_url(tmp_path: Path,
                                                               server: FaultServer) -> None:
    urls = [server.url(f"/a/{i}") for i in range(3)]
    store = PickyStore(tmp_path / "out.jsonl", append=True)
    got = {s: outcome(r) for s, r in in_process(tmp_path, urls, store).items()}
    assert got == {urls[0]: "cleaned", urls[1]: "internal error: TypeError: cannot store this article",
                   urls[2]: "cleaned"}
    failures = [json.loads(x) for x in (tmp_path / "out.failures.jsonl").read_text().splitlines()]
    assert [(f["source"], f["kind"]) for f in failures] == [(urls[1], "TypeError")]


def test_saved_pages_that_cannot_be_indexed_fail_and_the_crawl_goes_on(tmp_path: Path,
                                                                       server: FaultServer) -> None:
    saved = tmp_path / "pages"
    (saved / "index.jsonl").mkdir(parents=True)  # the index cannot be written: each page says so
    urls = [server.url(f"/a/{i}") for i in range(3)]
    done = cli_crawl(urls, tmp_path, "out.jsonl", "--save-html", str(saved))
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"0 cleaned, 3 failed" in done.stderr
    assert b"internal error: IsADirectoryError: [Errno 21] Is a directory" in done.stderr


def test_a_bug_in_a_cleaning_worker_comes_back_as_that_pages_failure(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from scraper.crawl import workers
    from scraper.clean.cleaner import Cleaner

    def broken(*args: object, **kwargs: object) -> Article:
        raise AttributeError("'NoneType' object has no attribute 'text'")

    monkeypatch.setattr(Cleaner, "clean_html", broken)
    result, _ = workers.clean_page(ARTICLE_HTML.encode(), "http://x.test/a", None,
                                   "http://x.test/a", cleaner=Cleaner())
    assert isinstance(result, Failure)
    assert result.reason == "internal error: AttributeError: 'NoneType' object has no attribute 'text'"


def test_unparseable_urls_with_unencodable_text_are_recorded_as_their_records_show_them(
        tmp_path: Path, server: FaultServer) -> None:
    urls = ["http://a\udc00.com/", "http://b\x85\x00.test/x y", server.url("/a/0")]
    got = {s: outcome(r) for s, r in in_process(tmp_path, urls).items()}
    assert got == {"http://a\ufffd.com/": "invalid URL: not valid Unicode",
                   "http://b\u2026.test/x y": "invalid URL: whitespace or control character",
                   server.url("/a/0"): "cleaned"}
    with CrawlState(tmp_path / "job.state.db") as state:
        assert state.counts() == {"pending": 0, "done": 1, "failed": 2, "skipped": 0}
