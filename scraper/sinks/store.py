"""Where articles and failures go, chosen by the output's name: the entry point kept for callers
of the first releases. The sinks themselves live in `scraper.sinks` (format × destination).

`.jsonl` writes one JSON object per article (failures beside it in `<name>.failures.jsonl`),
`.jsonl.gz`/`.jsonl.zst` the same compressed, `.parquet` Parquet files, `.db`/`.sqlite` SQLite
tables `articles` and `failures`, `-` streams JSONL, and any other name is a folder with one
`.md` and one `.json` per article. Learned site templates persist in the SQLite table
`templates`, in `<name>.templates.json` beside a file output, and in `templates.json` inside a
folder output.

Every file output keeps what earlier runs wrote: a source written again replaces its old record
(article or failure), new sources are added. A run holds the output's lock from open to close.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from scraper.sinks import SinkOptions, open_sink
from scraper.sinks.base import Sink
from scraper.sinks.folder import FolderStore, safe_name  # noqa: F401  (re-exported)
from scraper.sinks.jsonl import JsonlSink, StreamSink as StreamStore  # noqa: F401  (re-exported)
from scraper.sinks.sqlite import SqliteSink as SqliteStore  # noqa: F401  (re-exported)
from scraper.sinks.templatefile import SiteTemplate, TemplateFile, TemplateStore  # noqa: F401  (re-exported)

Store = Sink


class JsonlStore(JsonlSink):
    """`JsonlSink` under its first name; `append` is accepted and changes nothing (earlier
    records are always kept)."""

    def __init__(self, path: Path, append: bool = True) -> None:
        super().__init__(path)


def open_store(output: str, stdout: IO[str] | None = None, stderr: IO[str] | None = None,
               append: bool = True, options: SinkOptions | None = None) -> Store:
    """Pick the store from the output name (see `scraper.sinks.open_sink`).

    Raises `OutputError` when the output cannot be opened or another run holds it. `append`
    is accepted for older callers: every store keeps earlier records (see the module doc)."""
    return open_sink(output, options or SinkOptions(), stdout=stdout, stderr=stderr)
