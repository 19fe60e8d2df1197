"""Where articles and failures go, chosen by the output's name.

`.jsonl` writes one JSON object per article (failures beside it in `<name>.failures.jsonl`),
`.db`/`.sqlite` writes SQLite tables `articles` and `failures`, `-` streams JSONL, and any
other name is a folder with one `.md` and one `.json` per article. Learned site templates
persist in the SQLite table `templates`, in `<name>.templates.json` beside a `.jsonl` output,
and in `templates.json` inside a folder output.

Every file output keeps what earlier runs wrote: a source written again replaces its old record
(article or failure), new sources are added. A run holds the output's lock from open to close.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import IO, Protocol

from .article import FIELDS, Article, Failure
from .errors import InputError, OutputError
from .folder import FolderStore, safe_name  # noqa: F401  (re-exported)
from .outfiles import Outcomes, OutputLock, compact, cut_torn_tail, json_line as _line, reason_of, utc_now as _now
from .templatefile import SiteTemplate, TemplateFile, TemplateStore  # noqa: F401  (re-exported)

_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


class Store(Protocol):
    """Receives each result of a batch; `close` makes everything durable."""

    def add(self, article: Article) -> None: ...
    def fail(self, failure: Failure) -> None: ...
    def close(self) -> None: ...


class JsonlStore:
    """Articles as JSON lines; failures as JSON lines in `<path>.failures.jsonl`.

    Lines are appended during the run; `close` keeps one record per source (the newest), so a
    re-run adds new sources and replaces re-cleaned ones, as SQLite does. `append` is accepted
    for older callers and changes nothing: earlier records are always kept."""

    def __init__(self, path: Path, append: bool = True) -> None:
        self.path = path
        self.failures_path = path.with_suffix(".failures.jsonl")
        self._lock = OutputLock(path.with_name(path.name + ".lock"), str(path))
        try:
            for file in (path, self.failures_path):
                if file.is_dir():
                    raise IsADirectoryError(21, "is a directory")
                cut_torn_tail(file)
            self._out = path.open("a", encoding="utf-8")
            self._failures = self.failures_path.open("a", encoding="utf-8")
        except BaseException:
            self._lock.release()
            raise
        self._outcomes = Outcomes()
        self.templates = TemplateFile(path.with_suffix(".templates.json"))

    def add(self, article: Article) -> None:
        self._out.write(_line(article.to_dict()))
        self._out.flush()
        self._outcomes.article[article.source or ""] = True

    def fail(self, failure: Failure) -> None:
        self._failures.write(_line({**failure.to_dict(), "at": _now()}))
        self._failures.flush()
        self._outcomes.article[failure.source] = False

    def close(self) -> None:
        if self._out.closed:
            return
        try:
            self._out.close()
            self._failures.close()
            if self._outcomes.article:  # a run that wrote nothing leaves the files as they are
                compact(self.path, self._outcomes.failed_now)
                compact(self.failures_path, self._outcomes.cleaned_now)
        finally:
            self._lock.release()

    def load_templates(self) -> list[SiteTemplate]:
        return self.templates.load_templates()

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        self.templates.save_templates(templates)


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

    def load_templates(self) -> list[SiteTemplate]:
        return []  # a stream keeps nothing between runs

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        pass


_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    source TEXT PRIMARY KEY, url TEXT, canonical_url TEXT, title TEXT, author TEXT, date TEXT,
    sitename TEXT, description TEXT, language TEXT, text TEXT NOT NULL, word_count INTEGER,
    content_hash TEXT, encoding TEXT, removed TEXT, reverted TEXT, cleaned_at TEXT,
    warnings TEXT, id TEXT, list_id TEXT, list_unsubscribe TEXT
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
# Columns added after the first release: a database made before them gains them on open.
_ADDED_COLUMNS = {"warnings": "TEXT", "id": "TEXT", "list_id": "TEXT", "list_unsubscribe": "TEXT"}


class SqliteStore:
    """SQLite tables `articles` and `failures`, keyed by source so a re-run replaces, not duplicates."""

    def __init__(self, path: Path, commit_every: int = 200) -> None:
        self.path = path
        self._lock = OutputLock(path.with_name(path.name + ".lock"), str(path))
        try:
            self.db = sqlite3.connect(path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
            present = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
            for column, kind in _ADDED_COLUMNS.items():
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

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= self._commit_every:
            self.db.commit()
            self._pending = 0

    def add(self, article: Article) -> None:
        data = article.to_dict()
        row = [data[c] for c in _ARTICLE_COLUMNS[:-4]]
        row += [json.dumps(data[c], ensure_ascii=False) for c in _JSON_COLUMNS] + [_now()]
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


def open_store(output: str, stdout: IO[str] | None = None, stderr: IO[str] | None = None,
               append: bool = True) -> Store:
    """Pick the store from the output name: `-`, `.jsonl`, `.db`/`.sqlite`, else a folder.

    Raises `OutputError` when the output cannot be opened or another run holds it. `append`
    is accepted for older callers: every store keeps earlier records (see the module doc)."""
    if output == "-":
        if stdout is None:
            raise InputError("output '-' needs a stream")
        return StreamStore(stdout, stderr)
    path = Path(output)
    try:
        if path.suffix == ".jsonl":
            return JsonlStore(path)
        if path.suffix in _SQLITE_SUFFIXES:
            if path.is_dir():
                raise IsADirectoryError(21, "is a directory")
            return SqliteStore(path)
        return FolderStore(path)
    except OSError as exc:
        raise OutputError(f"cannot open output {output}: {reason_of(exc)}") from exc
