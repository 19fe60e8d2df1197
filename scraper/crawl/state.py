"""The crawl's memory: one SQLite row per URL of a job, so a killed crawl resumes where it was.

Rows are keyed by the normalised URL (duplicates in the list collapse into one) and move from
`pending` to `done`, `failed` or `skipped`. A URL that cannot be parsed is kept as given, with
an empty host and its reason, so it still ends as one recorded failure. The `job` table holds
small facts about the job (its output, the offsets of the output files at the last sync).
Only one thread writes; commits are explicit so the crawl can order them after the store's.
The file itself (schema, lock against a second crawl of the job) is `scraper.crawl.statefile`.

A URL is marked in flight while it is being fetched or handled, durably before the work starts.
A run that dies (killed, or crashed by an error nobody contained) leaves its marks; the next
run counts a crash for each marked URL, and a URL in flight at two crashes in a row ends as
failed ("crashed the crawler twice") instead of crashing every run after.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from scraper.article import Failure, encodable
from scraper.crawl.statefile import open_database, release_lock, take_lock
from scraper.urls import host_key, normalise, read_url_list

STATUSES = ("pending", "done", "failed", "skipped")
CRASHED_TWICE = "crashed the crawler twice"
_BATCH = 1000
_COMMIT_ROWS = 50_000


class UrlRow(NamedTuple):
    """A pending URL as the scheduler needs it; `reason` is set only for invalid URLs."""

    id: int
    url: str
    host: str
    reason: str | None
    attempts: int


class Outcome(NamedTuple):
    """What happened to one URL, as recorded in its row."""

    status: str
    reason: str | None = None
    attempts: int = 0
    http_status: int | None = None
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str | None = None


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def parse_url(raw: str) -> tuple[str, str, str | None]:
    """`(url, host, reason)`: the normalised URL and its host:port, or the raw text, "" and why.
    The raw text is kept as its record will show it (`encodable`), so the two always match."""
    try:
        url = normalise(raw)
        return url, host_key(url), None
    except Exception as exc:  # noqa: BLE001  (a ScraperError, or a bug: this URL's failure)
        return encodable(raw.strip()), "", Failure.of(raw, exc).reason


class CrawlState:
    """The state database of one crawl job; see the module docstring."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.is_new = not self.path.exists() or self.path.stat().st_size == 0
        self._lock = take_lock(self.path)
        self.db = open_database(self.path)

    def __enter__(self) -> CrawlState:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Commit, close and let another crawl of this job start."""
        self.db.commit()
        self.db.close()
        if self._lock is not None:
            release_lock(self._lock)  # after SQLite's own descriptors are closed, never before
            self._lock = None

    def commit(self) -> None:
        self.db.commit()

    # --- job facts ---------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM job WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def set(self, key: str, value: object) -> None:
        """Remember a job fact; committed with the next `commit`."""
        self.db.execute("INSERT OR REPLACE INTO job (key, value) VALUES (?, ?)", (key, str(value)))

    # --- loading -----------------------------------------------------------------------------

    def load(self, lines: Iterable[str]) -> tuple[int, int]:
        """Stream a URL list in (see `read_url_list`); return `(read, new)` counts.

        The list is never held whole: rows go in batches, with a commit every 50,000 so the
        write-ahead log stays small, and duplicates are dropped by the unique URL index.
        """
        read = new = 0
        batch: list[tuple[str, str, str | None, str]] = []
        now = _now()
        sql = "INSERT OR IGNORE INTO urls (url, host, reason, updated_at) VALUES (?, ?, ?, ?)"
        for raw in read_url_list(lines):
            batch.append((*parse_url(raw), now))
            read += 1
            if len(batch) >= _BATCH:
                new += self.db.executemany(sql, batch).rowcount
                batch.clear()
                if read % _COMMIT_ROWS == 0:
                    self.db.commit()
        if batch:
            new += self.db.executemany(sql, batch).rowcount
        self.db.commit()
        return read, new

    # --- reading -----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """URLs per status, every status present."""
        counts = dict.fromkeys(STATUSES, 0)
        for status, n in self.db.execute("SELECT status, count(*) FROM urls GROUP BY status"):
            counts[status] = n
        return counts

    def reasons(self) -> Iterator[tuple[str, str, int]]:
        """`(status, reason, count)` for failed and skipped URLs."""
        yield from self.db.execute(
            "SELECT status, reason, count(*) FROM urls WHERE status IN ('failed', 'skipped') "
            "GROUP BY status, reason")

    def status(self, url: str) -> str | None:
        row = self.db.execute("SELECT status FROM urls WHERE url = ?", (url,)).fetchone()
        return None if row is None else row[0]

    def row(self, url: str) -> dict[str, object] | None:
        """Every column of one URL's row (for tests and inspection)."""
        cursor = self.db.execute("SELECT * FROM urls WHERE url = ?", (url,))
        values = cursor.fetchone()
        if values is None:
            return None
        return dict(zip([d[0] for d in cursor.description], values, strict=True))

    def next_hosts(self, after: str | None, limit: int) -> list[str]:
        """Up to `limit` hosts with pending URLs, in name order after `after` (index seeks)."""
        hosts: list[str] = []
        last = after
        for _ in range(limit):
            if last is None:
                row = self.db.execute("SELECT min(host) FROM urls WHERE status = 'pending'")
            else:
                row = self.db.execute(
                    "SELECT min(host) FROM urls WHERE status = 'pending' AND host > ?", (last,))
            found = row.fetchone()[0]
            if found is None:
                break
            hosts.append(found)
            last = found
        return hosts

    def pending(self, host: str, after_id: int, limit: int) -> list[UrlRow]:
        """The next pending URLs of one host, in list order, after row `after_id`."""
        return [UrlRow(*r) for r in self.db.execute(
            "SELECT id, url, host, reason, attempts FROM urls "
            "WHERE status = 'pending' AND host = ? AND id > ? ORDER BY id LIMIT ?",
            (host, after_id, limit))]

    # --- writing -----------------------------------------------------------------------------

    def record(self, url: str, outcome: Outcome) -> None:
        """Set a URL's outcome; committed with the next `commit`. Attempts add up across runs."""
        self.db.execute(
            "UPDATE urls SET status = ?, reason = ?, attempts = attempts + ?, in_flight = 0, "
            "http_status = coalesce(?, http_status), final_url = coalesce(?, final_url), "
            "etag = coalesce(?, etag), last_modified = coalesce(?, last_modified), "
            "fetched_at = coalesce(?, fetched_at), updated_at = ? WHERE url = ?",
            (*outcome, _now(), url))

    def settle(self, url: str, status: str, reason: str | None = None) -> bool:
        """Mark a still-pending URL as found in the output; True if it was pending."""
        cursor = self.db.execute(
            "UPDATE urls SET status = ?, reason = ?, updated_at = ? "
            "WHERE url = ? AND status = 'pending'", (status, reason, _now(), url))
        return cursor.rowcount > 0

    def retry_failed(self) -> int:
        """Put failed URLs back to pending (skipped ones stay), crash counts reset; return how many."""
        cursor = self.db.execute(
            "UPDATE urls SET status = 'pending', crashes = 0, updated_at = ? WHERE status = 'failed'",
            (_now(),))
        return cursor.rowcount

    def reopen(self, reasons: Iterable[str]) -> int:
        """Put failed or skipped URLs whose reason starts with one of `reasons` back to pending;
        return how many. For refusals by a policy this run has lifted (`--allow-private`)."""
        reopened = 0
        for reason in reasons:
            cursor = self.db.execute(
                "UPDATE urls SET status = 'pending', crashes = 0, updated_at = ? "
                "WHERE status IN ('failed', 'skipped') AND substr(reason, 1, ?) = ?",
                (_now(), len(reason), reason))
            reopened += cursor.rowcount
        return reopened

    # --- in-flight marks ---------------------------------------------------------------------

    def take_off(self, urls: Iterable[str]) -> None:
        """Mark URLs in flight; the caller commits before the work on them starts."""
        self.db.executemany("UPDATE urls SET in_flight = 1 WHERE url = ?", ((u,) for u in urls))

    def land(self, url: str) -> None:
        """Clear a URL's mark without an outcome (its page waits, cleaned, in memory)."""
        self.db.execute("UPDATE urls SET in_flight = 0 WHERE url = ? AND in_flight = 1", (url,))

    def land_all(self) -> None:
        """Clear every mark: the run is stopping in good order, nothing crashed."""
        self.db.execute("UPDATE urls INDEXED BY urls_in_flight SET in_flight = 0 WHERE in_flight = 1")

    def count_crash(self) -> int:
        """The last run died: count a crash for each pending URL it had in flight, and forget
        the count of those it had not (crashes count in a row); return how many were in flight."""
        (in_flight,) = self.db.execute(
            "SELECT count(*) FROM urls INDEXED BY urls_in_flight "
            "WHERE in_flight = 1 AND status = 'pending'").fetchone()
        self.db.execute("UPDATE urls INDEXED BY urls_crashed SET crashes = 0 "
                        "WHERE crashes > 0 AND in_flight = 0")
        self.db.execute("UPDATE urls INDEXED BY urls_in_flight "
                        "SET crashes = crashes + (status = 'pending'), in_flight = 0 WHERE in_flight = 1")
        self.db.commit()
        return in_flight

    def crashed(self, limit: int) -> list[UrlRow]:
        """Pending URLs that were in flight at two crashes: they are not tried again."""
        return [UrlRow(*r) for r in self.db.execute(
            "SELECT id, url, host, reason, attempts FROM urls INDEXED BY urls_crashed "
            "WHERE crashes > 0 AND crashes >= 2 AND status = 'pending' ORDER BY id LIMIT ?",
            (limit,))]


def default_state_path(output: str) -> str:
    """`<OUTPUT>.state.db` beside the output (a folder output gets it beside the folder)."""
    return os.fspath(Path(output.rstrip("/\\") + ".state.db"))
