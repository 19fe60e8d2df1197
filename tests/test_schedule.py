"""The per-host scheduler on its own, with a clock the tests control."""

from __future__ import annotations

from pathlib import Path

from scraper.crawl.schedule import Politeness, Scheduler
from scraper.crawl.state import CrawlState


def scheduler(tmp_path: Path, urls: list[str], **politeness: object) -> Scheduler:
    state = CrawlState(tmp_path / "s.db")
    state.load(urls)
    return Scheduler(state, Politeness(**{"robots": False, **politeness}))


def test_hosts_take_turns_even_when_the_list_is_grouped(tmp_path: Path) -> None:
    urls = [f"http://a.test/{i}" for i in range(3)] + [f"http://b.test/{i}" for i in range(3)]
    s = scheduler(tmp_path, urls, delay=0, per_host=5)
    order = [s.next(0.0).url for _ in range(6)]
    assert order == ["http://a.test/0", "http://b.test/0", "http://a.test/1", "http://b.test/1",
                     "http://a.test/2", "http://b.test/2"]
    assert s.next(0.0) is None


def test_per_host_limit_and_delay_between_starts(tmp_path: Path) -> None:
    s = scheduler(tmp_path, [f"http://a.test/{i}" for i in range(5)], delay=1.0, per_host=2)
    first = s.next(10.0)
    assert first is not None and s.next(10.0) is None      # delay not over
    assert s.wait(10.0) == 1.0
    second = s.next(11.0)
    assert second is not None and s.next(12.5) is None     # two in flight
    s.finished(first, last_start=10.0)
    assert s.next(12.5) is not None
    assert s.in_flight == 2


def test_spacing_counts_from_the_last_attempt_of_a_retried_request(tmp_path: Path) -> None:
    s = scheduler(tmp_path, ["http://a.test/1", "http://a.test/2"], delay=1.0)
    task = s.next(0.0)
    s.finished(task, last_start=5.0)  # retried: its last attempt began at 5.0
    assert s.next(5.5) is None and s.next(6.0) is not None


def test_robots_txt_comes_first_and_a_longer_crawl_delay_wins(tmp_path: Path) -> None:
    s = scheduler(tmp_path, ["https://a.test/1", "https://a.test/2"], delay=0.5, robots=True)
    robots = s.next(0.0)
    assert robots.row is None and robots.url == "https://a.test/1"
    assert s.next(5.0) is None  # nothing else until robots.txt is known
    s.robots_ready(robots.host, crawl_delay=2.0)
    s.finished(robots, last_start=0.0)
    assert s.next(1.9) is None
    page = s.next(2.0)
    assert page.row is not None and page.url == "https://a.test/1"


def test_done_hosts_leave_and_the_window_takes_the_next_ones(tmp_path: Path) -> None:
    urls = [f"http://h{i}.test/" for i in range(5)]
    s = scheduler(tmp_path, urls, delay=0, window=2)
    tasks = []
    while (task := s.next(0.0)) is not None:
        tasks.append(task)
    assert len(tasks) == 2 and len(s.hosts) == 2
    for task in tasks:
        s.finished(task, 0.0)
    more = [s.next(0.0), s.next(0.0)]
    assert all(more) and {t.host for t in more}.isdisjoint({t.host for t in tasks})
    s.widen()
    assert s.next(0.0) is not None  # a wider window lets the fifth host in at once
    assert not s.done()


def test_a_finished_crawl_is_done(tmp_path: Path) -> None:
    s = scheduler(tmp_path, ["http://a.test/1"], delay=0)
    task = s.next(0.0)
    assert not s.done()
    s.finished(task, 0.0)
    assert s.next(0.0) is None and s.done()
