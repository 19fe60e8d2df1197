"""Which URL to fetch next: per-host politeness and round-robin fairness over hosts.

A host ("host:port") never has more than `per_host` requests in flight, and two request starts
on one host are at least its delay apart (the crawl's `--delay`, or robots.txt's Crawl-delay if
longer). Its robots.txt is the first request made to it. Hosts take turns, so a slow host holds
only its own slots. Only a window of hosts, and a small chunk of each one's URLs, is in memory;
the rest stays in the state database until needed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from scraper.crawl.state import CrawlState, UrlRow


@dataclass(frozen=True)
class Politeness:
    """Per-host limits; `window` hosts are active at once, each with `chunk` URLs loaded."""

    delay: float = 1.0
    per_host: int = 1
    robots: bool = True
    window: int = 64
    chunk: int = 16


class Task(NamedTuple):
    """One request to make: a page (`row` set) or the host's robots.txt (`row` None); `url`
    is the page's, or for robots.txt one of the host's pages (it gives the scheme)."""

    host: str
    row: UrlRow | None
    url: str


@dataclass
class _Host:
    name: str
    delay: float
    queue: deque[UrlRow] = field(default_factory=deque)
    last_id: int = 0
    exhausted: bool = False  # no more pending rows in the database beyond `queue`
    in_flight: int = 0
    next_start: float = 0.0
    robots: str = "needed"  # "needed", "fetching" or "ready"


class Scheduler:
    """Hands out `Task`s in a fair, polite order; the caller reports starts and ends."""

    def __init__(self, state: CrawlState, politeness: Politeness) -> None:
        self.state = state
        self.p = politeness
        self.hosts: dict[str, _Host] = {}
        self._ring: deque[str] = deque()
        self._cursor: str | None = ""  # hosts are drawn in name order after this one
        self._window = politeness.window
        self.in_flight = 0

    def _refill(self) -> None:
        """Top the window up with the next hosts that have pending URLs."""
        want = self._window - len(self.hosts)
        if want <= 0 or self._cursor is None:
            return
        names = self.state.next_hosts(self._cursor, want)
        if len(names) < want:
            self._cursor = None
        elif names:
            self._cursor = names[-1]
        for name in names:
            self.hosts[name] = _Host(name, self.p.delay,
                                     robots="needed" if self.p.robots else "ready")
            self._ring.append(name)

    def _has_work(self, host: _Host) -> bool:
        if not host.queue and not host.exhausted:
            rows = self.state.pending(host.name, host.last_id, self.p.chunk)
            host.queue.extend(rows)
            if rows:
                host.last_id = rows[-1].id
            host.exhausted = len(rows) < self.p.chunk
        return bool(host.queue)

    def next(self, now: float) -> Task | None:
        """The next request that may start at `now`, or None; hosts are visited in turn."""
        while True:
            self._refill()
            dropped = False
            for _ in range(len(self._ring)):
                name = self._ring[0]
                self._ring.rotate(-1)
                host = self.hosts[name]
                if host.robots == "fetching":
                    continue
                if not self._has_work(host):
                    if host.in_flight == 0:
                        self._drop(host)
                        dropped = True
                    continue
                if host.in_flight >= self.p.per_host or now < host.next_start:
                    continue
                if host.robots == "needed":
                    host.robots = "fetching"
                    return self._start(host, now, None, host.queue[0].url)
                row = host.queue.popleft()
                return self._start(host, now, row, row.url)
            if not dropped or self._cursor is None:
                return None  # else the window has room for new hosts: look again

    def _start(self, host: _Host, now: float, row: UrlRow | None, url: str) -> Task:
        host.in_flight += 1
        self.in_flight += 1
        host.next_start = now + host.delay
        return Task(host.name, row, url)

    def _drop(self, host: _Host) -> None:
        del self.hosts[host.name]
        self._ring.remove(host.name)

    def put_back(self, task: Task) -> None:
        """Undo a `next` whose task will not be sent (robots.txt disallowed the URL)."""
        host = self.hosts[task.host]
        host.in_flight -= 1
        self.in_flight -= 1
        host.next_start -= host.delay

    def finished(self, task: Task, last_start: float) -> None:
        """A request ended; `last_start` is when its last attempt (retries included) began."""
        host = self.hosts[task.host]
        host.in_flight -= 1
        self.in_flight -= 1
        host.next_start = max(host.next_start, last_start + host.delay)

    def robots_ready(self, host_name: str, crawl_delay: float | None) -> None:
        """robots.txt is known for a host; a longer Crawl-delay replaces the delay."""
        host = self.hosts[host_name]
        host.robots = "ready"
        if crawl_delay and crawl_delay > host.delay:
            host.next_start += crawl_delay - host.delay
            host.delay = crawl_delay

    def widen(self) -> None:
        """Take in more hosts: every active one is waiting (long Crawl-delays) while slots are free.

        Bounded at 16 windows, so memory stays small however many hosts the list has.
        """
        if self._cursor is not None and self._window < 16 * self.p.window:
            self._window += self.p.window

    def wait(self, now: float) -> float | None:
        """Seconds until a host waiting only for its delay may start; None if none is."""
        times = [h.next_start for h in self.hosts.values()
                 if h.in_flight < self.p.per_host and h.robots != "fetching"
                 and (h.queue or not h.exhausted) and h.next_start > now]
        return max(0.0, min(times) - now) if times else None

    def done(self) -> bool:
        """True when no host has URLs left or requests in flight."""
        self._refill()
        return not self.hosts
