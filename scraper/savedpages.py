"""The folder `crawl --save-html DIR` writes: raw pages plus `index.jsonl`, which says for each
file the URL it was fetched from and the HTTP charset. Cleaning that folder later reads the index
so each page keeps its URL (site rules, metadata) and its charset, as if it had just been fetched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

INDEX = "index.jsonl"
_LINE_CAP = 64 * 1024  # an index line holds two URLs and a charset; a longer one is not ours


@dataclass(frozen=True)
class SavedPage:
    """What the index says of one saved file."""

    url: str
    http_charset: str | None = None


def read_index(folder: Path) -> dict[str, SavedPage]:
    """The saved pages of `folder` by resolved file path; empty when it has no crawl index.

    Lines that are not the crawl's (a folder output's own index has no `file`) are skipped, so
    is a damaged line: the page is then cleaned like any saved page, without its URL."""
    pages: dict[str, SavedPage] = {}
    try:
        with (folder / INDEX).open("rb") as fh:
            while line := fh.readline(_LINE_CAP + 1):
                if len(line) > _LINE_CAP:
                    fh.readline()  # skip the rest of an overlong line
                    continue
                try:
                    entry = json.loads(line)
                    name, url = entry["file"], entry.get("final_url") or entry["url"]
                except (ValueError, TypeError, KeyError):
                    continue
                if isinstance(name, str) and isinstance(url, str):
                    charset = entry.get("http_charset")
                    pages[str((folder / name).resolve())] = SavedPage(
                        url, charset if isinstance(charset, str) else None)
    except OSError:
        pass
    return pages
