"""Files and folders as Pages: saved pages, text files, e-mails, mbox files and Maildirs.

A file's Page holds only its path; its bytes are read when it is cleaned (in a worker), so a
folder of any size costs one path per page in the parent.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from scraper import newsletters as mail
from scraper.sources.savedpages import read_index
from scraper.sources.page import Page

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
TEXT_SUFFIXES = (".txt", ".txt.gz")


def stdin_input(data: bytes, url: str | None = None) -> Page:
    """Standard input as a batch item, with a source of its own: the page URL when given, else
    `stdin:` and a hash of the content, so two piped pages never replace each other's record."""
    return Page(url or f"stdin:{hashlib.sha256(data).hexdigest()[:16]}", data)


def _cleanable(path: Path) -> bool:
    return path.name.lower().endswith(HTML_SUFFIXES + TEXT_SUFFIXES + mail.EML_SUFFIXES + mail.MBOX_SUFFIXES)


def _messages(source: str, data: bytes | None = None) -> Iterator[Page]:
    """An input as itself, or as one input per message when it is an mbox."""
    if source.lower().endswith(HTML_SUFFIXES + TEXT_SUFFIXES):
        yield Page(source, data)
        return
    for ref in mail.expand(source, data):
        yield Page(ref.source, ref.data, ref.span)


def find_inputs(paths: Iterable[str | Page]) -> Iterator[Page]:
    """Expand folders recursively (cleanable suffixes only, sorted; a Maildir gives its
    messages) and mbox files into their messages; other files are taken as given.

    Symlinked sub-folders are followed, each real folder once, so a link loop ends."""
    for given in paths:
        if isinstance(given, Page):  # stdin: sniffed for an mbox
            if isinstance(given.data, str):
                yield given
                continue
            yield from _messages(given.source, given.data)
            continue
        path = Path(given)
        if path.is_dir():
            saved = read_index(path)  # a folder of `crawl --save-html`: each page's URL and charset
            seen: set[str] = set()
            for root, dirs, files in os.walk(path, followlinks=True):
                real = os.path.realpath(root)
                if real in seen:
                    dirs.clear()
                    continue
                seen.add(real)
                dirs[:] = sorted(d for d in dirs if os.path.realpath(os.path.join(root, d)) not in seen)
                if mail.is_maildir(Path(root)):
                    # Its messages, then its Maildir++ subfolders (".Newsletters/cur/…").
                    dirs[:] = [d for d in dirs if d not in ("cur", "new", "tmp")]
                    yield from (Page(str(p)) for p in mail.maildir_files(Path(root)))
                    continue
                for name in sorted(files):
                    if not _cleanable(Path(name)):
                        continue
                    page = saved.get(os.path.realpath(os.path.join(root, name))) if saved else None
                    if page is not None:
                        yield Page(str(Path(root) / name), url=page.url, charset=page.http_charset)
                    else:
                        yield from _messages(str(Path(root) / name))
        else:
            yield from _messages(given)
