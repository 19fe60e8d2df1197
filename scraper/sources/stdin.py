"""Standard input: sniffed, then read as a stream of records or as one page.

Gzip and zstandard are undone first; then `WARC/` starts a WARC stream and `{` a JSON Lines
stream, read record by record as they arrive; anything else is one page (or an e-mail, or an
mbox of them), read up to the byte cap. Sniffing reads only what the pipe already holds, so a
stream's first record is cleaned before the stream ends.
"""

from __future__ import annotations

import io
from typing import IO

GZIP_MAGIC, ZSTD_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"
_HEAD = 8


class Replay(io.RawIOBase):
    """A stream read again from its start: the sniffed head, then the rest as it arrives
    (each read returns what is there, never waiting to fill the buffer)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = head, rest
        self._position = 0

    def readable(self) -> bool:
        return True

    # fastwarc asks where it is (seek(0, SEEK_CUR)) and fails on a pipe that cannot say: a
    # stream that counts what it gave answers that, and refuses any real move.
    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self._position + offset}.get(whence)
        if target != self._position:
            raise io.UnsupportedOperation("a stream cannot seek")
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            self._position += n
            return n
        read1 = getattr(self._rest, "read1", self._rest.read)
        data = read1(len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def _head(stream: IO[bytes], skip_space: bool) -> bytes:
    """The first bytes of `stream` (up to the first non-space one past `_HEAD` when asked),
    reading only what is already there where the stream allows."""
    read1 = getattr(stream, "read1", stream.read)
    head = b""
    while True:
        chunk = read1(_HEAD)
        if not chunk:
            return head
        head += chunk
        if len(head) >= _HEAD and (not skip_space or head.strip()):
            return head


def sniff(stream: IO[bytes]) -> tuple[str, IO[bytes]]:
    """What `stream` holds ("warc", "jsonl" or "page") and an unbuffered stream that reads it
    from its start, decompressed (its reads return what has arrived, for fastwarc's sake)."""
    head = _head(stream, skip_space=False)
    replay: IO[bytes] = Replay(head, stream)  # type: ignore[assignment]
    if head.startswith(GZIP_MAGIC):
        import gzip
        inner: IO[bytes] = gzip.GzipFile(fileobj=replay, mode="rb")  # type: ignore[assignment]
    elif head.startswith(ZSTD_MAGIC):
        import zstandard
        inner = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(replay, read_across_frames=True))  # type: ignore[arg-type]
    else:
        inner = replay
    if inner is not replay:
        head = _head(inner, skip_space=True)
        replay = Replay(head, inner)  # type: ignore[assignment]
    elif not head.strip():
        head += _head(stream, skip_space=True)
        replay = Replay(head, stream)  # type: ignore[assignment]
    first = head.lstrip()
    if first.startswith(b"WARC/"):
        return "warc", replay
    if first.startswith(b"{"):
        return "jsonl", replay
    return "page", replay
