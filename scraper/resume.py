"""Keeping the output and the state database in step, so a killed crawl loses and repeats nothing.

The crawl writes each result to the store first and records it in the state second, and makes
both durable together about once a second (`sync`: the store first). After a kill, results
written since the last sync are in the output but still pending in the state; `reconcile` finds
them and settles them: JSONL lines after the offsets saved at the last sync (a line torn by the
kill is cut off), SQLite rows of pending URLs, folder files changed since the last sync.
`--retry-failed` removes the old failure records of the URLs it retries (`drop_failures`), so
every URL keeps exactly one record. Standard output cannot be reconciled. `start_job` does all
of this when a crawl starts, and counts a crash for the URLs a dead run had in flight.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .state import CrawlState
from .store import FolderStore, JsonlStore, SqliteStore, Store

_REWRITE = "failures_rewrite"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobStatus:
    """Where a job stands before fetching: URL counts by status and what start-up did."""

    counts: dict[str, int]
    resumed: bool
    settled: int = 0
    retried: int = 0
    output: str = "-"
    crashed: int = 0  # URLs that were in flight when the last run died


def start_job(store: Store, state: CrawlState, retry_failed: bool, lifted: tuple[str, ...] = ()) -> JobStatus:
    """Settle results a killed run left unrecorded, count a crash for the URLs it had in flight
    and, if asked, reopen failures (their old records removed). Failures and skips whose reason
    starts with one of `lifted` (a policy this run no longer applies) are reopened as well."""
    resumed = not state.is_new and state.get("started") is not None
    died = state.get("running") == "1"
    finish_rewrite(store, state)
    if state.get("retrying") == "1":
        drop_failures(store, state)
    settled = reconcile(store, state, state.is_new or died)
    crashed = state.count_crash() if died else 0
    if crashed:
        log.warning("the last run died with %d URLs in flight; a URL in flight at two such deaths "
                    "in a row is not tried again", crashed)
    retried = state.reopen(lifted)
    if retry_failed:
        retried += state.retry_failed()
    if retried:
        state.set("retrying", 1)
        state.commit()
        drop_failures(store, state)
    state.set("retrying", 0)
    state.commit()
    return JobStatus(state.counts(), resumed, settled, retried, describe(store), crashed)


def describe(store: Store) -> str:
    """The output a store writes to, as an absolute path ("-" for a stream)."""
    path = getattr(store, "path", None)
    return str(Path(path).resolve()) if path is not None else "-"


def _failures_file(store: Store) -> Path | None:
    if isinstance(store, JsonlStore):
        return store.failures_path
    if isinstance(store, FolderStore):
        return store.path / "failures.jsonl"
    return None


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def sync(store: Store, state: CrawlState) -> None:
    """Make the store durable, then commit the state with the output offsets reached."""
    if isinstance(store, SqliteStore):
        store.db.commit()
    if isinstance(store, JsonlStore):
        state.set("articles_offset", _size(store.path))
    failures = _failures_file(store)
    if failures is not None:
        state.set("failures_offset", _size(failures))
    state.set("synced_at", time.time())
    state.commit()


def _settle_lines(path: Path, key: str, state: CrawlState, articles: bool) -> int:
    """Settle pending URLs from the JSON lines after the saved offset; cut a torn last line."""
    if not path.exists():
        return 0
    offset = int(state.get(key) or 0)
    if offset > path.stat().st_size:
        offset = 0  # the file was replaced or cut by hand: look at all of it
    settled = 0
    with path.open("r+b") as fh:
        fh.seek(offset)
        position = offset
        for line in iter(fh.readline, b""):
            if not line.endswith(b"\n"):
                fh.truncate(position)
                break
            position += len(line)
            try:
                data = json.loads(line)
            except ValueError:
                continue
            source = data.get("source") if isinstance(data, dict) else None
            if not isinstance(source, str):
                continue
            if articles:
                settled += state.settle(source, "done")
            else:
                settled += state.settle(source, data.get("status") or "failed", data.get("reason"))
    return settled


def _attached(store: SqliteStore, state: CrawlState, sql: str) -> list[tuple]:
    state.commit()
    store.db.commit()
    store.db.execute("ATTACH DATABASE ? AS crawlstate", (str(state.path.resolve()),))
    try:
        rows = store.db.execute(sql).fetchall()
        store.db.commit()
    finally:
        store.db.execute("DETACH DATABASE crawlstate")
    return rows


def reconcile(store: Store, state: CrawlState, dirty: bool) -> int:
    """Settle URLs whose result reached the output but not the state; return how many.

    `dirty` says the last run did not end cleanly (or the state is new); JSONL outputs are
    checked from their saved offsets either way, which costs nothing after a clean run.
    """
    settled = 0
    if isinstance(store, JsonlStore):
        settled += _settle_lines(store.path, "articles_offset", state, articles=True)
    failures = _failures_file(store)
    if failures is not None:
        settled += _settle_lines(failures, "failures_offset", state, articles=False)
    if dirty and isinstance(store, SqliteStore):
        pending = "crawlstate.urls u ON u.url = o.source AND u.status = 'pending'"
        for (source,) in _attached(store, state, f"SELECT o.source FROM articles o JOIN {pending}"):
            settled += state.settle(source, "done")
        for source, status, reason in _attached(
                store, state, f"SELECT o.source, o.status, o.reason FROM failures o JOIN {pending}"):
            settled += state.settle(source, status or "failed", reason)
    if dirty and isinstance(store, FolderStore):
        since = float(state.get("synced_at") or 0) - 2.0
        for path in store.path.glob("*.json"):
            if path.stat().st_mtime >= since:
                try:
                    source = json.loads(path.read_text(encoding="utf-8")).get("source")
                except (ValueError, OSError):
                    continue
                if isinstance(source, str):
                    settled += state.settle(source, "done")
    sync(store, state)
    return settled


def drop_failures(store: Store, state: CrawlState) -> None:
    """Remove failure records of URLs that are pending again, keeping every other record.

    A JSONL failures file is rewritten in place (the store holds it open for appending), from a
    complete copy made first, so a kill part-way is finished on the next start.
    """
    if isinstance(store, SqliteStore):
        store.db.commit()
        store.db.execute("ATTACH DATABASE ? AS crawlstate", (str(state.path.resolve()),))
        try:
            store.db.execute("DELETE FROM failures WHERE source IN "
                             "(SELECT url FROM crawlstate.urls WHERE status = 'pending')")
            store.db.commit()
        finally:
            store.db.execute("DETACH DATABASE crawlstate")
        return
    path = _failures_file(store)
    if path is None or not path.exists():
        return
    copy = path.with_name(path.name + ".retry")
    if state.get(_REWRITE) != "1":
        with path.open("rb") as src, copy.open("wb") as dst:
            for line in src:
                try:
                    source = json.loads(line).get("source")
                except (ValueError, AttributeError):
                    source = None
                if source is None or state.status(source) != "pending":
                    dst.write(line)
        state.set(_REWRITE, 1)
        state.commit()
    finish_rewrite(store, state)


def finish_rewrite(store: Store, state: CrawlState) -> None:
    """Complete an interrupted in-place rewrite of the failures file, if one was under way."""
    path = _failures_file(store)
    if path is None or state.get(_REWRITE) != "1":
        return
    copy = path.with_name(path.name + ".retry")
    with copy.open("rb") as src, path.open("r+b") as dst:
        dst.truncate(0)
        shutil.copyfileobj(src, dst)
    state.set(_REWRITE, 0)
    state.set("failures_offset", _size(path))
    state.commit()
    copy.unlink()
