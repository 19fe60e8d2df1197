"""The crawl state's file: its SQLite schema (with the columns older files gain) and the lock
that keeps one crawl per job. `scraper.crawl.state` holds what the rows mean and how they move.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from scraper.errors import InputError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; two crawls of one job are on the user there
    fcntl = None  # type: ignore[assignment]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER,
    final_url TEXT,
    etag TEXT,
    last_modified TEXT,
    fetched_at TEXT,
    updated_at TEXT,
    in_flight INTEGER NOT NULL DEFAULT 0,
    crashes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS urls_status_host ON urls (status, host);
CREATE TABLE IF NOT EXISTS job (key TEXT PRIMARY KEY, value TEXT);
"""
# State files written before in-flight marks existed gain the columns on first open.
_ADDED_COLUMNS = {"in_flight": "INTEGER NOT NULL DEFAULT 0",
                  "crashes": "INTEGER NOT NULL DEFAULT 0"}
_INDEXES = """
CREATE INDEX IF NOT EXISTS urls_in_flight ON urls (id) WHERE in_flight = 1;
CREATE INDEX IF NOT EXISTS urls_crashed ON urls (id) WHERE crashes > 0;
"""

# Lock descriptors this process holds. An flock belongs to the open file description, which a
# forked child shares: the lock is released only when every process has closed it, so cleaning
# workers that outlive a killed crawl for a moment would keep the job "in use". A child closes
# its copies as it is forked (closing, not unlocking: LOCK_UN would free the parent's lock too).
_HELD_LOCKS: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in _HELD_LOCKS:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


def open_database(path: Path) -> sqlite3.Connection:
    """Open (or create) a state database with its schema brought up to date."""
    db = sqlite3.connect(path, isolation_level="DEFERRED")
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable against a killed process (only an OS crash can lose the last commit).
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_SCHEMA)
    columns = {row[1] for row in db.execute("PRAGMA table_info(urls)")}
    for name, kind in _ADDED_COLUMNS.items():
        if name not in columns:
            db.execute(f"ALTER TABLE urls ADD COLUMN {name} {kind}")
    db.executescript(_INDEXES)
    return db


def take_lock(path: Path) -> int | None:
    """Refuse a second crawl of the same job at once: both would fetch the same URLs."""
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        raise InputError(f"state {path} is in use by another crawl") from exc
    _HELD_LOCKS.add(fd)
    return fd


def release_lock(fd: int) -> None:
    """Let another crawl of the job start; call after SQLite's own descriptors are closed."""
    _HELD_LOCKS.discard(fd)
    os.close(fd)
