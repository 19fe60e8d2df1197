"""Find e-mail messages: `.eml` files, mbox files and Maildir folders, one item per message.

Reading is lazy and never parses a message: an mbox is scanned line by line for its `From `
separators and each message becomes a byte span of the file, read only when it is cleaned, so
a mailbox of any size streams through a batch and one broken message cannot stop the others.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from scraper.errors import InputError, too_large

EML_SUFFIXES = (".eml",)
MBOX_SUFFIXES = (".mbox", ".mbx")
# An mbox envelope line: "From sender@example.com Tue Oct  7 06:00:00 2025". A time is required
# so that text starting with "From our correspondent…" is never taken for a mailbox.
_FROM_LINE = re.compile(rb"^From \S+ +\S.*\d{1,2}:\d\d")
# Header names of which a message has several in its first lines; two are needed to call
# bytes an e-mail, so a text file whose first line is "Note: …" stays a text file.
_KNOWN_HEADERS = frozenset({
    b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"received",
    b"return-path", b"content-type", b"delivered-to", b"reply-to", b"list-id",
    b"list-unsubscribe", b"x-mailer", b"sender", b"cc",
})
_HEADER_NAME = re.compile(rb"^([A-Za-z][A-Za-z0-9-]*):", re.MULTILINE)
# Complete ids only: a message cut off inside its Message-ID line is numbered instead.
_MESSAGE_ID = re.compile(rb"^message-id:\s*(?:<([^\s<>]+)>|([^\s<>]+)\r?\n)", re.IGNORECASE | re.MULTILINE)
_CHUNK = 64 * 1024  # longest line read at once: a file with no newlines cannot fill memory
_HEADER_CAP = 64 * 1024  # header bytes kept per message to find its Message-ID


@dataclass(frozen=True)
class MessageRef:
    """One message to clean: named by `source`; its bytes are `data` (stdin), else the
    `span` (file, start, end) of a mailbox, else the whole file `source`."""

    source: str
    data: bytes | None = None
    span: tuple[str, int, int] | None = None


def is_maildir(path: Path) -> bool:
    """A Maildir folder has `cur`, `new` and `tmp` subfolders."""
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def maildir_files(path: Path) -> Iterator[Path]:
    """The delivered messages of a Maildir (`new` then `cur`, sorted); `tmp` holds deliveries
    in progress and dot files are not messages."""
    for sub in ("new", "cur"):
        yield from sorted(p for p in (path / sub).iterdir() if p.is_file() and not p.name.startswith("."))


def looks_like_mbox(head: bytes) -> bool:
    """Whether bytes start with an mbox envelope line."""
    return bool(_FROM_LINE.match(head[:1024]))


def looks_like_message(data: bytes) -> bool:
    """Whether bytes are an RFC 5322 message: header lines first, two or more of them known."""
    head = data[:16384].lstrip(b"\r\n")
    if looks_like_mbox(head):
        head = head.partition(b"\n")[2]
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    if not _HEADER_NAME.match(block):
        return False
    names = {m.lower() for m in _HEADER_NAME.findall(block)}
    return len(names & _KNOWN_HEADERS) >= 2


def _messages(fh: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, header bytes) of each message in an mbox stream; the envelope line is left
    out. A separator counts only at the start of the file or after a blank line (mboxo writers
    put one there), so an unescaped "From " inside a body does not split a message."""
    start: int | None = None
    header = bytearray()
    in_header = False
    pos = 0
    line_start, prev_blank = True, True
    while line := fh.readline(_CHUNK):
        if line_start and prev_blank and _FROM_LINE.match(line):
            if start is not None:
                yield start, pos, bytes(header)
            start, in_header = pos + len(line), True
            header.clear()
        elif in_header and line_start:
            if line.strip():
                if len(header) < _HEADER_CAP:
                    header += line
            else:
                in_header = False
        complete = line.endswith(b"\n")
        prev_blank = complete and line_start and not line.strip()
        line_start = complete
        pos += len(line)
    if start is not None:
        yield start, pos, bytes(header)


def _refs(name: str, fh: BinaryIO, data: bytes | None) -> Iterator[MessageRef]:
    seen: set[str] = set()
    for n, (start, end, header) in enumerate(_messages(fh), start=1):
        found = _MESSAGE_ID.search(header)
        msgid = (found.group(1) or found.group(2)).decode("ascii", "replace") if found else str(n)
        source = f"{name}#{msgid}" if msgid not in seen else f"{name}#{msgid}#{n}"
        seen.add(msgid)
        if data is not None:
            yield MessageRef(source, data=unescape(data[start:end]))
        else:
            yield MessageRef(source, span=(name, start, end))


def mbox_messages(source: str, data: bytes | None = None) -> Iterator[MessageRef]:
    """Each message of the mbox file `source` (or of `data`, read from stdin), named
    `source#message-id` (`source#n`, counting from 1, when it has none)."""
    if data is not None:
        yield from _refs(source, io.BytesIO(data), data)
        return
    with open(source, "rb") as fh:
        yield from _refs(source, fh, None)


def expand(source: str, data: bytes | None = None) -> Iterator[MessageRef]:
    """One input as messages: an mbox (by suffix or by its first line) gives one ref per
    message; anything else, or a file that cannot be opened (its reader reports why), is one."""
    if data is not None:
        yield from mbox_messages(source, data) if looks_like_mbox(data) else [MessageRef(source, data)]
        return
    try:
        with open(source, "rb") as fh:
            mailbox = source.lower().endswith(MBOX_SUFFIXES) or looks_like_mbox(fh.read(1024))
    except OSError:
        mailbox = False
    if not mailbox:
        yield MessageRef(source)
        return
    try:
        yield from mbox_messages(source)
    except OSError:
        yield MessageRef(source)  # read again by the batch, which records the error


def read_span(span: tuple[str, int, int], limit: int) -> bytes:
    """The bytes of one mailbox message, unescaping mboxrd's ">From " lines; at most `limit`."""
    path, start, end = span
    if end - start > limit:
        raise InputError(too_large("message", limit))
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
    except OSError as exc:
        raise InputError(f"cannot read mailbox: {exc.strerror or exc}") from exc
    if len(data) < end - start:
        raise InputError("mailbox changed while it was read")
    return unescape(data)


def unescape(data: bytes) -> bytes:
    """Undo mboxrd quoting: a body line ">From …" was "From …" before it went in the mailbox."""
    return re.sub(rb"(?m)^>(>*From )", rb"\1", data)
