"""The SQLite sink: tables `articles` and `failures` keyed by source, and learned `templates`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from scraper.article import FIELDS, Article, Failure
from scraper.errors import OutputError, RecordError
from scraper.sinks.outfiles import OutputLock, reason_of, utc_now as _now
from scraper.sinks.templatefile import SiteTemplate
from scraper.sinks.base import Held, Marks
from scraper.sinks.records import json_bytes, record_id

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    source TEXT PRIMARY KEY, url TEXT, canonical_url TEXT, title TEXT, author TEXT, date TEXT,
    sitename TEXT, description TEXT, language TEXT, text TEXT NOT NULL, word_count INTEGER,
    content_hash TEXT, encoding TEXT, removed TEXT, reverted TEXT, cleaned_at TEXT,
    warnings TEXT, id TEXT, list_id TEXT, list_unsubscribe TEXT, duplicate_of TEXT
);
CREATE TABLE IF NOT EXISTS failures (
    source TEXT PRIMARY KEY, url TEXT, status TEXT, kind TEXT, reason TEXT NOT NULL, at TEXT
);
CREATE TABLE IF NOT EXISTS templates (
    site TEXT PRIMARY KEY, rules TEXT NOT NULL, pages INTEGER, counts TEXT NOT NULL, updated_at TEXT
);
"""
_JSON_COLUMNS = ("removed", "reverted", "warnings")
_ARTICLE_COLUMNS = [f for f in FIELDS if f not in _JSON_COLUMNS] + [*_JSON_COLUMNS, "cleaned_at"]
# Columns added after the first release: a database made before them gains them on open (as
# does any `Article` field added later, as TEXT).
_ADDED_COLUMNS = {"warnings": "TEXT", "id": "TEXT", "list_id": "TEXT", "list_unsubscribe": "TEXT",
                  "duplicate_of": "TEXT"}


class SqliteSink:
    """SQLite tables `articles` and `failures`, keyed by source so a re-run replaces, not duplicates.

    Rows carry no order a crawl could resume from, so `held_since` lists every row after a
    run that did not end cleanly (the state settles only the URLs still pending)."""

    resumable = True

    def __init__(self, path: Path, commit_every: int = 200) -> None:
        self.path = path
        self._lock = OutputLock(path.with_name(path.name + ".lock"), str(path))
        try:
            self.db = sqlite3.connect(path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
            present = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
            for column, kind in {**dict.fromkeys(_ARTICLE_COLUMNS, "TEXT"), **_ADDED_COLUMNS}.items():
                if column not in present:
                    self.db.execute(f"ALTER TABLE articles ADD COLUMN {column} {kind}")
        except sqlite3.Error as exc:
            self._lock.release()
            raise OutputError(f"cannot open output {path}: {reason_of(exc)}") from exc
        except BaseException:
            self._lock.release()
            raise
        self._pending = 0
        self._commit_every = commit_every

    @property
    def output(self) -> str:
        return str(self.path.resolve())

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= self._commit_every:
            self.db.commit()
            self._pending = 0

    def add(self, article: Article) -> None:
        data = article.to_dict()
        data["id"] = record_id(article)
        # A mapping or list in a field (input fields passed through) is stored as JSON text.
        row = [v if v is None or isinstance(v, str | int | float) else json_bytes(v).decode().rstrip()
               for v in (data.get(c) for c in _ARTICLE_COLUMNS[:-4])]
        row += [json_bytes(data[c]).decode().rstrip() for c in _JSON_COLUMNS] + [_now()]
        marks = ",".join("?" * len(_ARTICLE_COLUMNS))
        try:
            self.db.execute(f"INSERT OR REPLACE INTO articles ({','.join(_ARTICLE_COLUMNS)}) VALUES ({marks})", row)
        except (OverflowError, sqlite3.InterfaceError, sqlite3.ProgrammingError) as exc:
            raise RecordError(f"cannot be written to SQLite: {reason_of(exc)}") from exc
        self.db.execute("DELETE FROM failures WHERE source = ?", (article.source,))
        self._tick()

    def fail(self, failure: Failure) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO failures (source, url, status, kind, reason, at) VALUES (?,?,?,?,?,?)",
            (failure.source, failure.url, failure.status, failure.kind, failure.reason, _now()),
        )
        self.db.execute("DELETE FROM articles WHERE source = ?", (failure.source,))
        self._tick()

    def checkpoint(self) -> dict[str, int]:
        self.db.commit()
        self._pending = 0
        return {}

    def held_since(self, marks: Marks, dirty: bool) -> Iterator[Held]:
        if not dirty:
            return
        self.db.commit()
        for (source,) in self.db.execute("SELECT source FROM articles"):
            yield Held(source, "done")
        for source, status, reason in self.db.execute("SELECT source, status, reason FROM failures"):
            yield Held(source, status or "failed", reason)

    def drop_failures(self, drop: Callable[[str], bool]) -> None:
        self.db.commit()
        gone = [(s,) for (s,) in self.db.execute("SELECT source FROM failures").fetchall() if drop(s)]
        self.db.executemany("DELETE FROM failures WHERE source = ?", gone)
        self.db.commit()

    def load_templates(self) -> list[SiteTemplate]:
        rows = self.db.execute("SELECT site, counts, rules, pages FROM templates")
        return [SiteTemplate(site, counts, rules, pages) for site, counts, rules, pages in rows]

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO templates (site, rules, pages, counts, updated_at) VALUES (?,?,?,?,?)",
            [(t.site, t.rules, t.pages, t.counts, _now()) for t in templates])
        self.db.commit()

    def close(self) -> None:
        try:
            self.db.commit()
            self.db.close()
        finally:
            self._lock.release()
