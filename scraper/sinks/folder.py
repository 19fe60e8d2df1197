"""A folder output: one Markdown and one JSON file per article, named after its title."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from collections.abc import Callable, Iterator

from scraper.article import Article, Failure
from scraper.errors import InputError, OutputError, RecordError
from scraper.sinks.markdown import to_markdown
from scraper.sinks.outfiles import Outcomes, OutputLock, compact, cut_torn_tail, json_line as _line, utc_now as _now
from scraper.sinks.templatefile import SiteTemplate, TemplateFile
from scraper.sinks.base import Held, Marks
from scraper.sinks.lines import lines_after
from scraper.sinks.records import flat_record

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# What `safe_name` makes: an index line with any other stem ("../victim") is not ours to act on.
_STEM = re.compile(r"[A-Za-z0-9._-]{1,60}-[0-9a-f]{10}")


def safe_name(article: Article) -> str:
    """A file stem from the title or source that cannot leave the folder or collide."""
    base = article.title or Path((article.source or article.url or "article").rstrip("/")).name
    stem = _UNSAFE.sub("-", base).strip("-.")[:60] or "article"
    digest = hashlib.sha256((article.source or article.url or article.content_hash).encode()).hexdigest()[:10]
    return f"{stem}-{digest}"


class FolderStore:
    """One `<name>.md` (YAML front matter, title, text) and one `<name>.json` (all fields) per article.

    `index.jsonl` maps each source to its file name, so a source cleaned again replaces its
    files even when its title (thus its name) changed, and a source that now fails loses them."""

    resumable = True

    def __init__(self, path: Path, append: bool = True) -> None:
        if path.exists() and not path.is_dir():
            raise OutputError(f"cannot open output {path}: exists and is not a folder, .jsonl or .db")
        path.mkdir(parents=True, exist_ok=True)
        self.path = path.resolve()
        self.index_path = self.path / "index.jsonl"
        self._lock = OutputLock(self.path / "scraper.lock", str(path))
        try:
            for file in (self.path / "failures.jsonl", self.index_path):
                cut_torn_tail(file)
            self._stems = self._load_index()
            self._index = self.index_path.open("a", encoding="utf-8")
            self._failures = (self.path / "failures.jsonl").open("a", encoding="utf-8")
        except BaseException:
            self._lock.release()
            raise
        self._outcomes = Outcomes()
        self.templates = TemplateFile(self.path / "templates.json")

    def _load_index(self) -> dict[str, str]:
        """Source → file stem; rebuilt from the `.json` files for a folder written before the index."""
        stems: dict[str, str] = {}
        if self.index_path.exists():
            with self.index_path.open(encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                        source, stem = entry["source"], entry["stem"]
                    except (ValueError, KeyError, TypeError):
                        continue
                    if stem is None:
                        stems.pop(source, None)
                    elif isinstance(stem, str) and isinstance(source, str) and _STEM.fullmatch(stem) \
                            and not stem.startswith("."):
                        stems[source] = stem
            return stems
        for file in sorted(self.path.glob("*.json")):
            try:
                source = json.loads(file.read_text(encoding="utf-8")).get("source")
            except (ValueError, OSError, AttributeError):
                continue
            if isinstance(source, str) and (self.path / f"{file.stem}.md").exists():
                stems[source] = file.stem
        return stems

    def _remember(self, source: str, stem: str | None) -> None:
        self._index.write(_line({"source": source, "stem": stem}))
        self._index.flush()
        if stem is None:
            self._stems.pop(source, None)
        else:
            self._stems[source] = stem

    def _remove(self, stem: str) -> None:
        if not _STEM.fullmatch(stem) or stem.startswith("."):
            return  # never a name of ours: nothing outside our own files is ever deleted
        for suffix in (".md", ".json"):
            (self.path / f"{stem}{suffix}").unlink(missing_ok=True)

    def _write(self, name: str, text: str) -> None:
        target = (self.path / name).resolve()
        if target.parent != self.path:
            raise InputError(f"unsafe output name {name!r}")  # unreachable by construction; kept as a guard
        tmp = target.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)

    def add(self, article: Article) -> None:
        source = article.source or article.url or article.content_hash
        stem = safe_name(article)
        try:
            data = json.dumps(flat_record(article), ensure_ascii=False, indent=2, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise RecordError(f"cannot be written as JSON: {' '.join(str(exc).split())[:200]}") from exc
        self._write(f"{stem}.json", data + "\n")
        self._write(f"{stem}.md", to_markdown(article))
        old = self._stems.get(source)
        if old != stem:
            self._remember(source, stem)
            if old is not None:
                self._remove(old)
        self._outcomes.article[source] = True

    def fail(self, failure: Failure) -> None:
        self._failures.write(_line({**failure.to_dict(), "at": _now()}))
        self._failures.flush()
        old = self._stems.get(failure.source)
        if old is not None:
            self._remember(failure.source, None)
            self._remove(old)
        self._outcomes.article[failure.source] = False

    def close(self) -> None:
        if self._failures.closed:
            return
        try:
            self._failures.close()
            self._index.close()
            if self._outcomes.article:  # a run that wrote nothing leaves the files as they are
                compact(self.path / "failures.jsonl", self._outcomes.cleaned_now)
                stems = self._stems
                compact(self.index_path, lambda source: source not in stems)
        finally:
            self._lock.release()

    @property
    def output(self) -> str:
        return str(self.path)

    # --- what it holds, for resuming a crawl (scraper.crawl.resume) ---------------------------------

    def checkpoint(self) -> dict[str, int]:
        self._failures.flush()
        self._index.flush()
        failures = self.path / "failures.jsonl"
        return {"failures_offset": failures.stat().st_size if failures.exists() else 0}

    def held_since(self, marks: Marks, dirty: bool) -> Iterator[Held]:
        """Failure lines after the saved offset; after a dirty end, also the articles whose
        `.json` changed since the last sync (2 s of slack for coarse file times)."""
        offset = int(marks("failures_offset") or 0)
        for line in lines_after(self.path / "failures.jsonl", offset):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            source = data.get("source") if isinstance(data, dict) else None
            if isinstance(source, str):
                yield Held(source, data.get("status") or "failed", data.get("reason"))
        if not dirty:
            return
        since = float(marks("synced_at") or 0) - 2.0
        for path in self.path.glob("*.json"):
            if path.stat().st_mtime >= since:
                try:
                    source = json.loads(path.read_text(encoding="utf-8")).get("source")
                except (ValueError, OSError, AttributeError):
                    continue
                if isinstance(source, str):
                    yield Held(source, "done")

    def drop_failures(self, drop: Callable[[str], bool]) -> None:
        """Rewrite `failures.jsonl` without the sources `drop` names (copy, then atomic rename)."""
        path = self.path / "failures.jsonl"
        self._failures.close()
        tmp = path.with_name("failures.jsonl.rewrite.tmp")
        if path.exists():
            with path.open("rb") as src, tmp.open("wb") as dst:
                for line in src:
                    try:
                        source = json.loads(line).get("source")
                    except (ValueError, AttributeError):
                        source = None
                    if not isinstance(source, str) or not drop(source):
                        dst.write(line)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, path)
        self._failures = path.open("a", encoding="utf-8")

    def load_templates(self) -> list[SiteTemplate]:
        return self.templates.load_templates()

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        self.templates.save_templates(templates)
