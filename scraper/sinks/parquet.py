"""The Parquet sink: an explicit schema, zstd, row groups, and a new file past a size.

`-o out.parquet` writes `out.parquet` when the run's records fit in one file and `out-00000.parquet`,
`out-00001.parquet`, … when they pass `file_size` (each file passes it by at most one row group).
Failures go to `out.failures.jsonl`. Memory is one row group (`row_group_bytes` of Arrow data).

Parts are written as hidden `.out-NNNNN.parquet.partial` files and renamed when finished. A
re-run adds its parts, numbered after the existing ones, and then rewrites the older parts
without the sources it wrote again (one record per source, as the other outputs keep). A run
that is killed loses only its unfinished parts (a Parquet file without its footer cannot be
read); the next run removes them and says so. Crawls cannot resume into Parquet.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scraper.article import FIELDS, Article, Failure
from scraper.errors import OutputError, RecordError
from scraper.sinks.outfiles import Outcomes, OutputLock, utc_now
from scraper.sinks.templatefile import SiteTemplate, TemplateFile
from scraper.sinks.base import Held, Marks
from scraper.sinks.lines import PlainLines, line_source
from scraper.sinks.records import RecordShape, json_bytes, shape_record

log = logging.getLogger(__name__)
PIP_HINT = "writing .parquet needs pyarrow: pip install pyarrow"
_NUMBERED = re.compile(r"-(\d{5,})\.parquet$")


@dataclass(frozen=True)
class ParquetOptions:
    """File rollover size and row-group size, in bytes."""

    file_size: int = 512 << 20
    row_group_bytes: int = 32 << 20


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise OutputError(PIP_HINT) from exc
    return pa, pq


def schema(shape: RecordShape) -> Any:
    """The explicit schema of each shape. Input fields passed through that are not `Article`
    fields go, as one JSON object, into the string column `fields`."""
    pa, _ = _pyarrow()
    removal = pa.struct([("rule", pa.string()), ("text", pa.string()), ("stage", pa.string()),
                         ("words", pa.int64())])
    kinds = {"word_count": pa.int64(), "removed": pa.list_(removal),
             "reverted": pa.list_(pa.string()), "warnings": pa.list_(pa.string())}
    columns = [(name, kinds.get(name, pa.string())) for name in ("id", *(f for f in FIELDS if f != "id"))]
    columns.append(("fields", pa.string()))
    if shape == "flat":
        return pa.schema(columns)
    top = ("id", "text", "source")
    metadata = pa.struct([c for c in columns if c[0] not in top])
    return pa.schema([("id", pa.string()), ("text", pa.string()), ("source", pa.string()),
                      ("added", pa.string()), ("created", pa.string()), ("metadata", metadata)])


def _fold_extra(record: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """Input fields passed through (top-level keys the schema lacks, or a `fields` mapping) as
    one JSON object in the `fields` column: the schema stays fixed whatever the inputs carry."""
    extra = {k: record.pop(k) for k in [k for k in record if k not in known]}
    if isinstance(extra.get("fields"), dict):
        extra = {**extra.pop("fields"), **extra}
    record["fields"] = json.dumps(extra, ensure_ascii=False, allow_nan=False) if extra else None
    return record


class ParquetSink:
    """Articles as Parquet in `shape` (see the module doc); failures as JSON lines beside."""

    resumable = False

    def __init__(self, path: Path, shape: RecordShape = "flat", options: ParquetOptions = ParquetOptions()) -> None:
        self._pa, self._pq = _pyarrow()
        self.path, self.shape, self.options = path, shape, options
        self.schema = schema(shape)
        self._known = set(FIELDS) | {"id"}
        self.stem = path.name[: -len(".parquet")] if path.name.lower().endswith(".parquet") else path.name
        self.failures_path = path.with_name(f"{self.stem}.failures.jsonl")
        self._lock = OutputLock(path.with_name(path.name + ".lock"), str(path))
        try:
            if path.is_dir() or self.failures_path.is_dir():
                raise IsADirectoryError(21, "is a directory")
            for stale in path.parent.glob(f".{self.stem}-*.parquet.partial"):
                log.warning("removing %s: the unfinished part of a killed run (its records were not kept)", stale)
                stale.unlink()
            self._old = self._parts()
            for part in self._old:  # checked now: a re-run rewrites them at close
                try:
                    self._pq.read_metadata(part)
                except (self._pa.ArrowException, OSError) as exc:
                    raise OutputError(f"cannot open output {path}: {part.name} is not a readable Parquet file") from exc
            self._failures = PlainLines(self.failures_path)
        except BaseException:
            self._lock.release()
            raise
        self.templates = TemplateFile(path.with_name(f"{self.stem}.templates.json"))
        self._outcomes = Outcomes()
        self._batches: list[Any] = []
        self._buffered = 0
        self._writer: Any = None
        self._file: Any = None
        self._new: list[Path] = []
        self._closed = False

    @property
    def output(self) -> str:
        return str(self.path.resolve())

    def _parts(self) -> list[Path]:
        """The finished files of this output: `out.parquet` and `out-NNNNN.parquet`."""
        numbered = re.compile(re.escape(self.stem) + r"-\d{5,}\.parquet")
        parts = [self.path] if self.path.is_file() else []
        return parts + sorted(p for p in self.path.parent.glob(f"{self.stem}-*.parquet") if numbered.fullmatch(p.name))

    def add(self, article: Article) -> None:
        record = shape_record(article, self.shape)
        try:
            # A NaN or inf among the input's fields (pandas writes NaN for a missing float) is
            # not JSON: that record's failure, like anything else its format cannot hold.
            if self.shape == "flat":
                record = _fold_extra(record, self._known)
            else:
                record["metadata"] = _fold_extra(record["metadata"], self._known)
            batch = self._pa.RecordBatch.from_pylist([record], schema=self.schema)
        except (self._pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            raise RecordError(f"cannot be written as Parquet: {' '.join(str(exc).split())[:200]}") from exc
        self._batches.append(batch)
        self._buffered += batch.nbytes
        self._outcomes.article[article.source or ""] = True
        if self._buffered >= min(self.options.row_group_bytes, self.options.file_size):
            self._write_row_group()

    def fail(self, failure: Failure) -> None:
        self._failures.write(json_bytes({**failure.to_dict(), "at": utc_now()}))
        self._outcomes.article[failure.source] = False

    def _write_row_group(self) -> None:
        if not self._batches:
            return
        if self._writer is None:
            part = self.path.with_name(f".{self.stem}-{len(self._new):05d}.parquet.partial")
            self._new.append(part)
            self._file = self._pa.OSFile(str(part), "wb")
            self._writer = self._pq.ParquetWriter(self._file, self.schema, compression="zstd")
        table = self._pa.Table.from_batches(self._batches, schema=self.schema)
        self._writer.write_table(table, row_group_size=len(table))
        self._batches, self._buffered = [], 0
        if self._file.tell() >= self.options.file_size:
            self._finish_part()

    def _finish_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._file.close()
            fd = os.open(self._new[-1], os.O_RDONLY)
            try:
                os.fsync(fd)  # whole on disk before it is renamed into place
            finally:
                os.close(fd)
            self._writer = self._file = None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._write_row_group()
            self._finish_part()
            self._name_new_parts()
            written = set(self._outcomes.article)
            if written:  # then the older parts lose the sources written again
                for part in self._old:
                    _drop_sources(part, written, self._pa, self._pq)
            self._failures.close(self._outcomes.cleaned_now if self._outcomes.article else None)
        finally:
            self._lock.release()

    def _name_new_parts(self) -> None:
        """Renamed before the older parts are rewritten: a kill in between leaves a source twice
        (settled by the next run), never lost."""
        if not self._new:
            return
        if not self._old and len(self._new) == 1:
            os.replace(self._new[0], self.path)
            return
        numbers = [int(m[1]) for p in self._old if (m := _NUMBERED.search(p.name))]
        first = max(numbers, default=-1) + 1
        for n, part in enumerate(self._new):
            os.replace(part, self.path.with_name(f"{self.stem}-{first + n:05d}.parquet"))

    # --- what it holds (crawls do not resume into Parquet) ------------------------------------

    def checkpoint(self) -> dict[str, int]:
        return {}

    def held_since(self, marks: Marks, dirty: bool) -> Iterator[Held]:
        return iter(())

    def drop_failures(self, drop: Callable[[str], bool]) -> None:
        self._failures.rewrite(lambda line: (s := line_source(line)) is None or not drop(s))

    def load_templates(self) -> list[SiteTemplate]:
        return self.templates.load_templates()

    def save_templates(self, templates: list[SiteTemplate]) -> None:
        self.templates.save_templates(templates)


def _drop_sources(part: Path, sources: set[str], pa: Any, pq: Any) -> None:
    """Rewrite a finished part without the rows of `sources`, a row group at a time; remove it
    when nothing is left. Untouched when none of its rows is among them."""
    column = pq.read_table(part, columns=["source"]).column("source").to_pylist()
    if not any(s in sources for s in column):
        return
    if all(s in sources for s in column):
        part.unlink()
        return
    tmp = part.with_name(f".{part.name}.rewrite.tmp")
    reader = pq.ParquetFile(part)
    with pq.ParquetWriter(tmp, reader.schema_arrow, compression="zstd") as writer:
        for group in range(reader.num_row_groups):
            table = reader.read_row_group(group)
            keep = pa.array([s not in sources for s in table.column("source").to_pylist()])
            writer.write_table(table.filter(keep))
    os.replace(tmp, part)
