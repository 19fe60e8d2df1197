"""Every sink says what it holds, so resuming a crawl works the same for each kind, and a sink of
a new kind needs no change in `scraper.crawl.resume`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scraper.article import Article, Failure
from scraper.crawl.resume import drop_failures, reconcile
from scraper.sinks import Held, SinkOptions, open_sink
from scraper.crawl.state import CrawlState

URLS = ["http://a.test/1", "http://a.test/2", "http://a.test/3"]


def held(sink) -> dict[str, str]:
    return {h.source: h.status for h in sink.held_since(lambda key: None, True)}


@pytest.mark.parametrize("name,shape", [("out.jsonl", "flat"), ("out.jsonl", "nested"), ("out.db", "flat"),
                                        ("out-folder", "flat")])
def test_a_sink_lists_what_it_holds_and_drops_the_failures_it_is_told_to(tmp_path: Path, name: str,
                                                                         shape: str) -> None:
    sink = open_sink(str(tmp_path / name), SinkOptions(shape=shape))  # type: ignore[arg-type]
    sink.add(Article("Rivers return to the valley.", source=URLS[0]))
    sink.fail(Failure(URLS[1], "HTTP 503", "HTTPStatusError"))
    sink.fail(Failure(URLS[2], "not HTML", "SkippedError", status="skipped"))
    sink.checkpoint()
    assert held(sink) == {URLS[0]: "done", URLS[1]: "failed", URLS[2]: "skipped"}
    sink.drop_failures(lambda source: source == URLS[1])
    sink.fail(Failure("http://a.test/4", "HTTP 404", "HTTPStatusError"))  # still appends after the rewrite
    sink.close()
    again = open_sink(str(tmp_path / name), SinkOptions(shape=shape))  # type: ignore[arg-type]
    try:
        assert held(again) == {URLS[0]: "done", URLS[2]: "skipped", "http://a.test/4": "failed"}
    finally:
        again.close()


class MemorySink:
    """A sink of a kind `scraper.crawl.resume` has never heard of."""

    resumable = True
    output = "memory"

    def __init__(self) -> None:
        self.records: list[Held] = []
        self.durable = 0

    def add(self, article: Article) -> None:
        self.records.append(Held(article.source or "", "done"))

    def fail(self, failure: Failure) -> None:
        self.records.append(Held(failure.source, failure.status, failure.reason))

    def close(self) -> None:
        pass

    def checkpoint(self) -> dict[str, int]:
        self.durable = len(self.records)
        return {"memory_records": self.durable}

    def held_since(self, marks: Callable[[str], str | None], dirty: bool) -> Iterator[Held]:
        return iter(self.records[int(marks("memory_records") or 0):])

    def drop_failures(self, drop: Callable[[str], bool]) -> None:
        self.records = [r for r in self.records if r.status == "done" or not drop(r.source)]


def test_resume_works_with_any_sink_that_says_what_it_holds(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "s.db")
    state.load(URLS)
    sink = MemorySink()
    reconcile(sink, state, dirty=True)
    sink.add(Article("Rivers return.", source=URLS[0]))
    sink.fail(Failure(URLS[1], "HTTP 503", "HTTPStatusError"))  # written, then the kill
    assert reconcile(sink, state, dirty=True) == 2
    assert [state.status(u) for u in URLS] == ["done", "failed", "pending"]
    assert state.get("memory_records") == "2"
    state.retry_failed()
    drop_failures(sink, state)
    assert sink.records == [Held(URLS[0], "done")]
    state.close()
