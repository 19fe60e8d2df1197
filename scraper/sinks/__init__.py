"""Sinks: where articles and failures go, the format kept apart from the destination.

    format              destinations
    JSON lines          file (.jsonl), compressed file (.jsonl.gz, .jsonl.zst), stream (-)
    Parquet             files (.parquet; out-00000.parquet, … past a size)
    SQLite              database file (.db, .sqlite, .sqlite3)
    Markdown + JSON     folder (any other name)

Records come in one of two shapes (`scraper.sinks.records`) and always carry an `id`. Every
sink says what it already holds (`scraper.sinks.base.Sink`), so resuming a crawl needs no
knowledge of its kind, and with `dedupe` set, duplicates are flagged in `duplicate_of`.

    >>> from scraper.sinks import SinkOptions, open_sink
    >>> sink = open_sink("out.parquet", SinkOptions(shape="nested", dedupe="near"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from scraper.errors import InputError, OutputError
from scraper.sinks.outfiles import reason_of
from scraper.sinks.base import Held, Sink
from scraper.sinks.dedupe import Dedupe, DedupeMode, Deduped
from scraper.sinks.folder import FolderStore
from scraper.sinks.jsonl import JsonlSink, StreamSink
from scraper.sinks.parquet import ParquetOptions, ParquetSink
from scraper.sinks.records import RecordShape, record_id, shape_record
from scraper.sinks.sqlite import SqliteSink

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst")


@dataclass(frozen=True)
class SinkOptions:
    """How records are written: their shape, duplicate flagging, Parquet file and row-group sizes."""

    shape: RecordShape = "flat"
    dedupe: DedupeMode | None = None
    parquet: ParquetOptions = field(default_factory=ParquetOptions)


def open_sink(output: str, options: SinkOptions = SinkOptions(), stdout: IO[str] | None = None,
              stderr: IO[str] | None = None) -> Sink:
    """Pick the sink from the output name: `-`, `.jsonl[.gz|.zst]`, `.parquet`, `.db`/`.sqlite`,
    else a folder. Raises `OutputError` when the output cannot be opened or another run holds it."""
    if output == "-":
        if stdout is None:
            raise InputError("output '-' needs a stream")
        sink: Sink = StreamSink(stdout, stderr, options.shape)
    else:
        sink = _file_sink(output, options)
    if options.dedupe is not None:
        try:
            dedupe = Dedupe(options.dedupe)
        except BaseException:
            sink.close()
            raise
        return Deduped(sink, dedupe)  # type: ignore[return-value]
    return sink


def _file_sink(output: str, options: SinkOptions) -> Sink:
    path = Path(output)
    name = path.name.lower()
    try:
        if name.endswith(JSONL_SUFFIXES):
            return JsonlSink(path, options.shape)
        if name.endswith(".parquet"):
            return ParquetSink(path, options.shape, options.parquet)
        if name.endswith(SQLITE_SUFFIXES):
            if path.is_dir():
                raise IsADirectoryError(21, "is a directory")
            return SqliteSink(path)
        return FolderStore(path)
    except OSError as exc:
        raise OutputError(f"cannot open output {output}: {reason_of(exc)}") from exc


__all__ = ["Dedupe", "Deduped", "FolderStore", "Held", "JsonlSink", "ParquetOptions", "ParquetSink",
           "Sink", "SinkOptions", "SqliteSink", "StreamSink", "open_sink", "record_id", "shape_record"]
