"""Where articles and failures go, chosen by the output's name.

`.jsonl` writes one JSON object per article (failures beside it in `<name>.failures.jsonl`),
`.db`/`.sqlite` writes SQLite tables `articles` and `failures`, `-` streams JSONL, and any
other name is a folder with one `.md` and one `.json` per article. Learned site templates
persist in the SQLite table `templates`, in `<name>.templates.json` beside a `.jsonl` output,
and in `templates.json` inside a folder output.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import time
from pathlib import Path
from dataclasses import dataclass
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


@dataclass(frozen=True)
class SiteTemplate:
    """What persists of one site's template: the block counts to merge with, and the rules
    they gave (TOML, for people to read)."""

    site: str
    counts: str  # JSON, see scraper.templates.SiteStats
    rules: str
    pages: int


class TemplateStore(Protocol):
    """Keeps learned site templates between runs."""

    def load_templates(self) -> list[SiteTemplate]: ...
    def save_templates(self, templates: list[SiteTemplate]) -> None: ...


class TemplateFile:
    """Site templates as one JSON file beside (or inside) a JSONL or folder output."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {site: t for site, t in data.items() if {"counts", "rules", "pages"} <= set(t)}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            # Learned templates only help: a damaged file must not stop the batch.
            logging.getLogger(__name__).warning("ignoring unreadable templates file %s: %s", self.path, exc)
            return {}

    def load_templates(self) -> list[SiteTemplate]:
        return [SiteTemplate(site, json.dumps(t["counts"]), t["rules"], int(t["pages"]))
                for site, t in self._read().items()]

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        """Replace the given sites' entries and keep the others, as the SQLite table does."""
        data = self._read()
        data.update({t.site: {"pages": t.pages, "updated_at": _now(), "rules": t.rules, "counts": json.loads(t.counts)}
                     for t in templates})
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


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
        self.templates = TemplateFile(path.with_suffix(".templates.json"))

    def add(self, article: Article) -> None:
        self._out.write(_line(article.to_dict()))
        self._out.flush()

    def fail(self, failure: Failure) -> None:
        self._failures.write(_line({**failure.to_dict(), "at": _now()}))
        self._failures.flush()

    def close(self) -> None:
        self._out.close()
        self._failures.close()

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
    id TEXT, list_id TEXT, list_unsubscribe TEXT
);
CREATE TABLE IF NOT EXISTS failures (
    source TEXT PRIMARY KEY, url TEXT, status TEXT, kind TEXT, reason TEXT NOT NULL, at TEXT
);
CREATE TABLE IF NOT EXISTS templates (
    site TEXT PRIMARY KEY, rules TEXT NOT NULL, pages INTEGER, counts TEXT NOT NULL, updated_at TEXT
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
        # Databases written before e-mail input lack the e-mail columns (scraper.newsletters).
        have = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
        for column in ("id", "list_id", "list_unsubscribe"):
            if column not in have:
                self.db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT")
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

    def load_templates(self) -> list[SiteTemplate]:
        rows = self.db.execute("SELECT site, counts, rules, pages FROM templates")
        return [SiteTemplate(site, counts, rules, pages) for site, counts, rules, pages in rows]

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO templates (site, rules, pages, counts, updated_at) VALUES (?,?,?,?,?)",
            [(t.site, t.rules, t.pages, t.counts, _now()) for t in templates])
        self.db.commit()

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
        self.templates = TemplateFile(path / "templates.json")

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

    def load_templates(self) -> list[SiteTemplate]:
        return self.templates.load_templates()

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        self.templates.save_templates(templates)


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
