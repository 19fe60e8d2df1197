"""The crawl state database: streamed loading, de-duplication, per-host chunks, outcomes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from scraper.crawl.state import CrawlState, Outcome, default_state_path
from scraper.urls import normalise


def load(tmp_path: Path, lines: list[str]) -> CrawlState:
    state = CrawlState(tmp_path / "job.state.db")
    state.load(lines)
    return state


def test_urls_are_normalised_and_deduplicated(tmp_path: Path) -> None:
    state = load(tmp_path, [
        "https://Example.COM:443/a?utm_source=x&id=1#top",
        "https://example.com/a?id=1",
        "https://example.com/a?id=1&fbclid=abc&gclid=1&mc_cid=2&mc_eid=3",
        "# a comment", "", "   ",
        "http://example.com:8080/b",
    ])
    assert state.counts() == {"pending": 2, "done": 0, "failed": 0, "skipped": 0}
    assert state.status("https://example.com/a?id=1") == "pending"
    assert state.row("http://example.com:8080/b")["host"] == "example.com:8080"


def test_loading_counts_read_and_new_urls_and_is_idempotent(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "s.db")
    assert state.load(["http://a.test/1", "http://a.test/2", "http://a.test/1"]) == (3, 2)
    assert state.load(["http://a.test/2", "http://a.test/3"]) == (2, 1)
    assert sum(state.counts().values()) == 3


def test_invalid_urls_are_kept_with_their_reason_and_no_host(tmp_path: Path) -> None:
    state = load(tmp_path, ["not a url", "ftp://example.com/file", "http://"])
    rows = state.pending("", 0, 10)
    assert [(r.url, r.reason) for r in rows] == [
        ("not a url", "invalid URL: whitespace or control character"),
        ("ftp://example.com/file", "unsupported scheme: ftp"),
        ("http://", "invalid URL: no host"),
    ]


def test_hosts_and_their_urls_come_in_small_ordered_chunks(tmp_path: Path) -> None:
    urls = [f"http://{h}.test/{i}" for i in range(5) for h in ("b", "a", "c")]
    state = load(tmp_path, urls)
    assert state.next_hosts("", 2) == ["a.test:80", "b.test:80"]
    assert state.next_hosts("b.test:80", 5) == ["c.test:80"]
    first = state.pending("a.test:80", 0, 2)
    assert [r.url for r in first] == ["http://a.test/0", "http://a.test/1"]
    rest = state.pending("a.test:80", first[-1].id, 10)
    assert [r.url for r in rest] == ["http://a.test/2", "http://a.test/3", "http://a.test/4"]


def test_outcomes_are_recorded_and_attempts_add_up(tmp_path: Path) -> None:
    state = load(tmp_path, ["http://a.test/x"])
    state.record("http://a.test/x", Outcome("failed", "HTTP 503", 4, 503))
    assert state.retry_failed() == 1
    state.record("http://a.test/x", Outcome("done", None, 1, 200, "http://a.test/y", '"e1"',
                                            "Wed, 01 Jan 2025 00:00:00 GMT", "2025-01-01T00:00:00Z"))
    state.commit()
    row = state.row("http://a.test/x")
    assert row is not None
    assert (row["status"], row["reason"], row["attempts"], row["http_status"]) == ("done", None, 5, 200)
    assert (row["final_url"], row["etag"], row["fetched_at"]) == (
        "http://a.test/y", '"e1"', "2025-01-01T00:00:00Z")
    assert row["last_modified"] == "Wed, 01 Jan 2025 00:00:00 GMT" and row["updated_at"]


def test_retry_failed_leaves_skipped_urls_alone(tmp_path: Path) -> None:
    state = load(tmp_path, ["http://a.test/1", "http://a.test/2"])
    state.record("http://a.test/1", Outcome("failed", "timeout"))
    state.record("http://a.test/2", Outcome("skipped", "not HTML: application/pdf"))
    assert state.retry_failed() == 1
    assert state.status("http://a.test/2") == "skipped"
    assert sorted(state.reasons()) == [("skipped", "not HTML: application/pdf", 1)]


def test_settle_only_touches_pending_urls(tmp_path: Path) -> None:
    state = load(tmp_path, ["http://a.test/1", "http://a.test/2"])
    state.record("http://a.test/1", Outcome("failed", "HTTP 404"))
    assert not state.settle("http://a.test/1", "done")
    assert state.settle("http://a.test/2", "done")
    assert not state.settle("http://a.test/unknown", "done")
    assert state.status("http://a.test/1") == "failed"


def test_state_survives_reopening_and_remembers_job_facts(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with CrawlState(path) as state:
        assert state.is_new
        state.load(["http://a.test/1"])
        state.set("output", "/x/out.jsonl")
    with CrawlState(path) as state:
        assert not state.is_new
        assert state.get("output") == "/x/out.jsonl"
        assert state.counts()["pending"] == 1


def test_default_state_path_sits_beside_the_output() -> None:
    assert default_state_path("out/articles.jsonl") == "out/articles.jsonl.state.db"
    assert default_state_path("pages/") == "pages.state.db"


def test_a_large_list_is_streamed_not_held(tmp_path: Path) -> None:
    def lines():
        for i in range(30_000):
            yield f"http://h{i % 7}.test/page/{i}\n"
    state = CrawlState(tmp_path / "big.db")
    assert state.load(lines()) == (30_000, 30_000)
    assert len(state.next_hosts("", 100)) == 7


def test_a_job_cannot_be_crawled_twice_at_once(tmp_path: Path) -> None:
    import pytest

    from scraper.errors import InputError

    with CrawlState(tmp_path / "s.db"):
        with pytest.raises(InputError, match="in use by another crawl"):
            CrawlState(tmp_path / "s.db")
    CrawlState(tmp_path / "s.db").close()


def test_a_url_in_flight_at_two_deaths_in_a_row_is_reported_as_crashed(tmp_path: Path) -> None:
    state = load(tmp_path, ["http://a.test/1", "http://a.test/2", "http://a.test/3"])
    one, two, three = (normalise(f"http://a.test/{i}") for i in (1, 2, 3))
    state.take_off([one, two])
    state.commit()
    assert state.count_crash() == 2  # first death: 1 and 2 were in flight
    state.take_off([one, three])
    state.record(three, Outcome("done"))
    state.commit()
    assert state.count_crash() == 1  # second death: 1 again; 3 was recorded in time
    assert [row.url for row in state.crashed(10)] == [one]
    assert state.row(two)["crashes"] == 0  # not in flight at the second death: not in a row
    assert state.row(three)["in_flight"] == 0
    state.record(one, Outcome("failed", "crashed the crawler twice"))
    assert state.retry_failed() == 1 and state.crashed(10) == []


def test_a_clean_stop_clears_the_marks(tmp_path: Path) -> None:
    state = load(tmp_path, ["http://a.test/1"])
    state.take_off([normalise("http://a.test/1")])
    state.land_all()
    assert state.count_crash() == 0


def test_state_files_from_before_in_flight_marks_gain_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript("CREATE TABLE urls (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, "
                         "host TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', reason TEXT, "
                         "attempts INTEGER NOT NULL DEFAULT 0, http_status INTEGER, final_url TEXT, "
                         "etag TEXT, last_modified TEXT, fetched_at TEXT, updated_at TEXT);"
                         "INSERT INTO urls (url, host) VALUES ('http://a.test/1', 'a.test:80');")
    db.close()
    with CrawlState(path) as state:
        state.take_off(["http://a.test/1"])
        assert state.count_crash() == 1 and state.row("http://a.test/1")["crashes"] == 1
