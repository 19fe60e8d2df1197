"""The folder `crawl --save-html DIR` writes: raw pages plus `index.jsonl`, which says for each
file the URL it was fetched from and the HTTP charset. Cleaning that folder later reads the index
so each page keeps its URL (site rules, metadata) and its charset, as if it had just been fetched.
Both sides are here: `save_page` and `index_saved` write the folder, `read_index` reads it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from scraper.urls import authority

INDEX = "index.jsonl"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_LINE_CAP = 64 * 1024  # an index line holds two URLs and a charset; a longer one is not ours


@dataclass(frozen=True)
class SavedPage:
    """What the index says of one saved file."""

    url: str
    http_charset: str | None = None


class Fetched(Protocol):
    """What saving needs of a fetched page (`scraper.crawl.fetch.Fetched` has it), so this
    module, read by `clean`, does not depend on the crawler."""

    @property
    def url(self) -> str: ...
    @property
    def final_url(self) -> str: ...
    @property
    def body(self) -> bytes: ...
    @property
    def http_charset(self) -> str | None: ...
    @property
    def fetched_at(self) -> str: ...


def saved_name(url: str) -> str:
    """`host_port/<path-slug>-<hash>.html`: readable, unique per URL, safe as a path."""
    host = _UNSAFE.sub("_", authority(url)) or "host"
    slug = _UNSAFE.sub("-", urlsplit(url).path).strip("-.")[-60:] or "index"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    return f"{host}/{slug}-{digest}.html"


def save_page(folder: str, page: Fetched) -> str:
    """Write the raw body under `folder`; return the path relative to it."""
    name = saved_name(page.url)
    target = Path(folder) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    tmp.write_bytes(page.body)
    tmp.replace(target)  # never a half-written page under the final name
    return name


def index_saved(folder: str, name: str, page: Fetched) -> None:
    """One line per saved page in `<folder>/index.jsonl`: which URL each file holds (`read_index`)."""
    line = {"file": name, "url": page.url, "final_url": page.final_url,
            "http_charset": page.http_charset, "fetched_at": page.fetched_at}
    with open(Path(folder) / INDEX, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


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
