"""Where articles and failures go, chosen by the output's name.

`.jsonl` writes one JSON object per article (failures beside it in `<name>.failures.jsonl`),
`.db`/`.sqlite` writes SQLite tables `articles` and `failures`, `-` streams JSONL, and any
other name is a folder with one `.md` and one `.json` per article.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from pathlib import Path
from typing import IO, Protocol

from .article import FIELDS, Article, Failure
from .errors import InputError

_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Store(Protocol):
    """Receives each result of a batch; `close` makes everything durable."""

    def add(self, article: Article) -> None: ...
    def fail(self, failure: Failure) -> None: ...
    def close(self) -> None: ...


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _line(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False) + "\n"


class JsonlStore:
    """Articles as JSON lines; failures as JSON lines in `<path>.failures.jsonl`."""

    def __init__(self, path: Path, append: bool = False) -> None:
        mode = "a" if append else "w"
        self.path = path
        self.failures_path = path.with_suffix(".failures.jsonl")
        self._out = path.open(mode, encoding="utf-8")
        self._failures = self.failures_path.open(mode, encoding="utf-8")

    def add(self, article: Article) -> None:
        self._out.write(_line(article.to_dict()))
        self._out.flush()

    def fail(self, failure: Failure) -> None:
        self._failures.write(_line({**failure.to_dict(), "at": _now()}))
        self._failures.flush()

    def close(self) -> None:
        self._out.close()
        self._failures.close()


class StreamStore:
    """JSONL on a stream (stdout for `-o -`); failures go to a second stream as JSON lines."""

    def __init__(self, out: IO[str], failures: IO[str] | None = None) -> None:
        self._out, self._failures = out, failures

    def add(self, article: Article) -> None:
        self._out.write(_line(article.to_dict()))
        self._out.flush()

    def fail(self, failure: Failure) -> None:
        if self._failures is not None:
            self._failures.write(_line(failure.to_dict()))

    def close(self) -> None:
        self._out.flush()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    source TEXT PRIMARY KEY, url TEXT, canonical_url TEXT, title TEXT, author TEXT, date TEXT,
    sitename TEXT, description TEXT, language TEXT, text TEXT NOT NULL, word_count INTEGER,
    content_hash TEXT, encoding TEXT, removed TEXT, reverted TEXT, cleaned_at TEXT
);
CREATE TABLE IF NOT EXISTS failures (
    source TEXT PRIMARY KEY, url TEXT, status TEXT, kind TEXT, reason TEXT NOT NULL, at TEXT
);
"""
_ARTICLE_COLUMNS = [f for f in FIELDS if f != "removed" and f != "reverted"] + ["removed", "reverted", "cleaned_at"]


class SqliteStore:
    """SQLite tables `articles` and `failures`, keyed by source so a re-run replaces, not duplicates."""

    def __init__(self, path: Path, commit_every: int = 200) -> None:
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        self._pending = 0
        self._commit_every = commit_every

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= self._commit_every:
            self.db.commit()
            self._pending = 0

    def add(self, article: Article) -> None:
        data = article.to_dict()
        row = [data[c] for c in _ARTICLE_COLUMNS[:-3]]
        row += [json.dumps(data["removed"], ensure_ascii=False), json.dumps(data["reverted"]), _now()]
        marks = ",".join("?" * len(_ARTICLE_COLUMNS))
        self.db.execute(f"INSERT OR REPLACE INTO articles ({','.join(_ARTICLE_COLUMNS)}) VALUES ({marks})", row)
        self.db.execute("DELETE FROM failures WHERE source = ?", (article.source,))
        self._tick()

    def fail(self, failure: Failure) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO failures (source, url, status, kind, reason, at) VALUES (?,?,?,?,?,?)",
            (failure.source, failure.url, failure.status, failure.kind, failure.reason, _now()),
        )
        self.db.execute("DELETE FROM articles WHERE source = ?", (failure.source,))
        self._tick()

    def close(self) -> None:
        self.db.commit()
        self.db.close()


def safe_name(article: Article) -> str:
    """A file stem from the title or source that cannot leave the folder or collide."""
    base = article.title or Path((article.source or article.url or "article").rstrip("/")).name
    stem = _UNSAFE.sub("-", base).strip("-.")[:60] or "article"
    digest = hashlib.sha256((article.source or article.url or article.content_hash).encode()).hexdigest()[:10]
    return f"{stem}-{digest}"


class FolderStore:
    """One `<name>.md` (title + text) and one `<name>.json` (all fields) per article."""

    def __init__(self, path: Path, append: bool = False) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path.resolve()
        self._failures = (path / "failures.jsonl").open("a" if append else "w", encoding="utf-8")

    def add(self, article: Article) -> None:
        stem = safe_name(article)
        target = (self.path / f"{stem}.md").resolve()
        if target.parent != self.path:
            raise InputError(f"unsafe output name {stem!r}")  # unreachable by construction; kept as a guard
        heading = f"# {article.title}\n\n" if article.title else ""
        target.write_text(heading + article.text + "\n", encoding="utf-8")
        (self.path / f"{stem}.json").write_text(
            json.dumps(article.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def fail(self, failure: Failure) -> None:
        self._failures.write(_line({**failure.to_dict(), "at": _now()}))
        self._failures.flush()

    def close(self) -> None:
        self._failures.close()


def open_store(output: str, stdout: IO[str] | None = None, stderr: IO[str] | None = None,
               append: bool = False) -> Store:
    """Pick the store from the output name: `-`, `.jsonl`, `.db`/`.sqlite`, else a folder."""
    if output == "-":
        if stdout is None:
            raise InputError("output '-' needs a stream")
        return StreamStore(stdout, stderr)
    path = Path(output)
    if path.suffix == ".jsonl":
        return JsonlStore(path, append=append)
    if path.suffix in _SQLITE_SUFFIXES:
        return SqliteStore(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"output {output} exists and is not a folder, .jsonl or .db")
    return FolderStore(path, append=append)
