"""JSON-lines sinks: a file (plain, `.gz` or `.zst`) or a stream (stdout for `-o -`).

Articles go to the file, failures to `<stem>.failures.jsonl` beside it (always plain: they are
few and a crawl settles them from their offsets), learned templates to `<stem>.templates.json`.
Every file keeps what earlier runs wrote: a source written again replaces its old record
(article or failure), new sources are added. A run holds `<name>.lock` from open to close.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from scraper.article import Article, Failure
from scraper.sinks.outfiles import Outcomes, OutputLock, utc_now
from scraper.sinks.templatefile import SiteTemplate, TemplateFile
from scraper.sinks.base import Held, Marks
from scraper.sinks.lines import CompressedLines, PlainLines, codec_for, line_source
from scraper.sinks.records import RecordShape, json_bytes, shape_record

_SUFFIXES = (".jsonl.gz", ".jsonl.zst", ".jsonl")


def stem_of(path: Path) -> str:
    """`out` for `out.jsonl`, `out.jsonl.gz` and `out.jsonl.zst`."""
    name = path.name
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _held(line: bytes, articles: bool) -> Held | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    source = data.get("source") if isinstance(data, dict) else None
    if not isinstance(source, str):
        return None
    if articles:
        return Held(source, "done")
    return Held(source, data.get("status") or "failed", data.get("reason"))


class JsonlSink:
    """Articles as JSON lines in `shape`; failures as JSON lines beside them.

    Lines are written during the run; `close` keeps one record per source (the newest), so a
    re-run adds new sources and replaces re-cleaned ones, as SQLite does."""

    def __init__(self, path: Path, shape: RecordShape = "flat") -> None:
        self.path = path
        self.shape = shape
        stem = stem_of(path)
        self.failures_path = path.with_name(f"{stem}.failures.jsonl")
        codec = codec_for(path.name)
        self.resumable = codec is None  # a compressed stream has no offsets to resume from
        self._lock = OutputLock(path.with_name(path.name + ".lock"), str(path))
        try:
            if self.failures_path.is_dir():
                raise IsADirectoryError(21, "is a directory")
            self._articles = PlainLines(path) if codec is None else CompressedLines(path, codec)
            self._failures = PlainLines(self.failures_path)
        except BaseException:
            self._lock.release()
            raise
        self._outcomes = Outcomes()
        self._closed = False
        self.templates = TemplateFile(path.with_name(f"{stem}.templates.json"))

    @property
    def output(self) -> str:
        return str(self.path.resolve())

    def add(self, article: Article) -> None:
        line = json_bytes(shape_record(article, self.shape))  # whole before anything is written
        self._articles.write(line, article.source)
        self._outcomes.article[article.source or ""] = True

    def fail(self, failure: Failure) -> None:
        self._failures.write(json_bytes({**failure.to_dict(), "at": utc_now()}))
        self._outcomes.article[failure.source] = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            ran = bool(self._outcomes.article)  # a run that recorded nothing leaves the files alone
            self._articles.close(self._outcomes.failed_now if ran else None)
            self._failures.close(self._outcomes.cleaned_now if self._outcomes.article else None)
        finally:
            self._lock.release()

    # --- what it holds, for resuming a crawl (scraper.crawl.resume) ---------------------------------

    def checkpoint(self) -> dict[str, int]:
        self._articles.sync()
        self._failures.sync()
        marks = {"failures_offset": self._failures.mark()}
        if isinstance(self._articles, PlainLines):
            marks["articles_offset"] = self._articles.mark()
        return marks

    def held_since(self, marks: Marks, dirty: bool) -> Iterator[Held]:
        if isinstance(self._articles, PlainLines):
            for line in self._articles.since(int(marks("articles_offset") or 0)):
                if (held := _held(line, True)) is not None:
                    yield held
        for line in self._failures.since(int(marks("failures_offset") or 0)):
            if (held := _held(line, False)) is not None:
                yield held

    def drop_failures(self, drop: Callable[[str], bool]) -> None:
        def keep(line: bytes) -> bool:
            source = line_source(line)
            return source is None or not drop(source)
        self._failures.rewrite(keep)

    def load_templates(self) -> list[SiteTemplate]:
        return self.templates.load_templates()

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        self.templates.save_templates(templates)


class StreamSink:
    """JSONL on a stream (stdout for `-o -`); failures go to a second stream as JSON lines.
    Nothing is kept between runs, so a crawl into it resumes from its state alone."""

    resumable = True
    output = "-"

    def __init__(self, out: IO[str], failures: IO[str] | None = None, shape: RecordShape = "flat") -> None:
        self._out, self._failures, self.shape = out, failures, shape

    def add(self, article: Article) -> None:
        self._out.write(json_bytes(shape_record(article, self.shape)).decode("utf-8"))
        self._out.flush()

    def fail(self, failure: Failure) -> None:
        if self._failures is not None:
            self._failures.write(json_bytes(failure.to_dict()).decode("utf-8"))

    def close(self) -> None:
        self._out.flush()

    def checkpoint(self) -> dict[str, int]:
        self._out.flush()
        return {}

    def held_since(self, marks: Marks, dirty: bool) -> Iterator[Held]:
        return iter(())

    def drop_failures(self, drop: Callable[[str], bool]) -> None:
        pass

    def load_templates(self) -> list[SiteTemplate]:
        return []  # a stream keeps nothing between runs

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        pass
