"""Destinations for JSON lines: a plain file, a compressed file (`.gz`, `.zst`).

Each keeps one line per source across runs. A plain file is appended to and compacted at
close (`scraper.sinks.outfiles.compact`), and its byte offsets mark what a crawl has made durable. A
compressed stream cannot be cut or compacted in place, so a run writes its lines to a hidden
`.<name>.partial` beside the file and, at close, merges the old file's records (those of
sources not written again) and its own into a new file renamed over the old one. A partial
file that a killed run left is merged when the output is next opened: the lines of its
whole compressed blocks are kept, the torn block is dropped (a clean re-run writes it again).
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Protocol

from scraper.sinks.outfiles import compact, cut_torn_tail, line_source

_CHUNK = 1 << 16



class Codec(Protocol):
    suffix: str

    def writer(self, raw: IO[bytes]) -> IO[bytes]: ...
    def chunks(self, raw: IO[bytes]) -> Iterator[bytes]: ...


class Gzip:
    suffix = ".gz"

    def writer(self, raw: IO[bytes]) -> IO[bytes]:
        return gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6)  # type: ignore[return-value]

    def chunks(self, raw: IO[bytes]) -> Iterator[bytes]:
        """Decompressed bytes as they come (gzip members one after another), so a torn end
        costs only what follows the last whole block."""
        inflate = zlib.decompressobj(31)
        while chunk := raw.read(_CHUNK):
            while chunk:
                yield inflate.decompress(chunk)
                chunk = b""
                if inflate.eof:
                    chunk, inflate = inflate.unused_data, zlib.decompressobj(31)


class Zstd:
    suffix = ".zst"

    def __init__(self) -> None:
        try:
            import zstandard
        except ImportError as exc:  # pragma: no cover - a core dependency
            from scraper.errors import OutputError
            raise OutputError("writing .zst needs zstandard: pip install zstandard") from exc
        self._zstd = zstandard

    def writer(self, raw: IO[bytes]) -> IO[bytes]:
        return self._zstd.ZstdCompressor(level=3).stream_writer(raw, closefd=False)  # type: ignore[return-value]

    def chunks(self, raw: IO[bytes]) -> Iterator[bytes]:
        """Decompressed bytes as they come (frames one after another)."""
        inflate = self._zstd.ZstdDecompressor().decompressobj()
        while chunk := raw.read(_CHUNK):
            while chunk:
                yield inflate.decompress(chunk)
                chunk = b""
                if inflate.eof:
                    chunk, inflate = inflate.unused_data, self._zstd.ZstdDecompressor().decompressobj()


def read_lines(path: Path, codec: Codec | None) -> Iterator[bytes]:
    """The whole lines of a (compressed) JSON-lines file; a torn or corrupt end stops the
    reading there, keeping every line before it."""
    if not path.is_file():
        return
    with path.open("rb") as raw:
        chunks = codec.chunks(raw) if codec is not None else iter(lambda: raw.read(_CHUNK), b"")
        rest = b""
        while True:
            try:
                chunk = next(chunks, None)
            except (EOFError, OSError, ValueError, zlib.error):  # zstd errors are ValueErrors
                break  # the end a killed writer tore: the whole lines before it are kept
            if chunk is None:
                break
            rest += chunk
            *whole, rest = rest.split(b"\n")
            for line in whole:
                yield line + b"\n"


def lines_after(path: Path, offset: int) -> Iterator[bytes]:
    """Whole lines of a plain file after byte `offset` (all of them when the file is now
    shorter: it was replaced or cut by hand)."""
    if not path.is_file():
        return
    with path.open("rb") as fh:
        if offset <= path.stat().st_size:
            fh.seek(offset)
        for line in fh:
            if line.endswith(b"\n"):
                yield line


class PlainLines:
    """A JSON-lines file: appended to, compacted at close, offsets as marks."""

    def __init__(self, path: Path) -> None:
        if path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        self.path = path
        cut_torn_tail(path)
        self._fh = path.open("ab")

    def write(self, line: bytes, source: str | None = None) -> None:
        self._fh.write(line)
        self._fh.flush()

    def mark(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def since(self, offset: int) -> Iterator[bytes]:
        return lines_after(self.path, offset)

    def rewrite(self, keep: Callable[[bytes], bool]) -> None:
        """Keep only the lines `keep` accepts: a full copy, then an atomic rename."""
        self._fh.flush()
        tmp = self.path.with_name(self.path.name + ".rewrite.tmp")
        with self.path.open("rb") as src, tmp.open("wb") as dst:
            dst.writelines(line for line in src if keep(line))
            dst.flush()
            os.fsync(dst.fileno())
        self._fh.close()
        os.replace(tmp, self.path)
        self._fh = self.path.open("ab")

    def sync(self) -> None:
        self._fh.flush()

    def close(self, drop: Callable[[str], bool] | None) -> None:
        """Close; then keep one line per source, without those `drop` names (None: leave the
        file as it is, for a run that recorded nothing)."""
        self._fh.close()
        if drop is not None:
            compact(self.path, drop)


class CompressedLines:
    """A compressed JSON-lines file, rewritten whole at close (see the module doc)."""

    def __init__(self, path: Path, codec: Codec) -> None:
        if path.is_dir():
            raise IsADirectoryError(21, "is a directory")
        self.path, self.codec = path, codec
        self.partial = path.with_name(f".{path.name}.partial")
        if self.partial.exists():
            _merge(path, self.partial, codec, lambda source: False)
        self._raw = self.partial.open("wb")
        self._fh = codec.writer(self._raw)
        self._sources: set[str] = set()
        self._repeated = False

    def write(self, line: bytes, source: str | None = None) -> None:
        self._fh.write(line)
        if source is None or source in self._sources:
            self._repeated = True
        self._sources.add(source or "")

    def sync(self) -> None:
        self._fh.flush()
        self._raw.flush()

    def close(self, drop: Callable[[str], bool] | None) -> None:
        self._fh.close()
        self._raw.close()
        if drop is None:
            self.partial.unlink(missing_ok=True)
        elif not self.path.exists() and not self._repeated and not any(map(drop, self._sources)):
            _fsync(self.partial)  # a first run with one line per source: the partial file is the output
            os.replace(self.partial, self.path)
        else:
            _merge(self.path, self.partial, self.codec, drop)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _merge(path: Path, partial: Path, codec: Codec, drop: Callable[[str], bool]) -> None:
    """`path` := its lines of sources not in `partial`, then `partial`'s last line per source;
    sources `drop` names go from both. Through a temporary file and an atomic rename."""
    last: dict[str, int] = {}
    for number, line in enumerate(read_lines(partial, codec)):
        source = line_source(line)
        if source is not None:
            last[source] = number
    tmp = path.with_name(f".{path.name}.merge.tmp")
    with tmp.open("wb") as raw:
        out = codec.writer(raw)
        for line in read_lines(path, codec):
            source = line_source(line)
            if source is None or (source not in last and not drop(source)):
                out.write(line)
        for number, line in enumerate(read_lines(partial, codec)):
            source = line_source(line)
            if source is None or (last[source] == number and not drop(source)):
                out.write(line)
        out.close()
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(tmp, path)
    partial.unlink(missing_ok=True)


def codec_for(name: str) -> Codec | None:
    """The compression a JSON-lines output's name asks for: `.gz`, `.zst` or none."""
    lowered = name.lower()
    if lowered.endswith(".gz"):
        return Gzip()
    if lowered.endswith(".zst"):
        return Zstd()
    return None


__all__ = ["CompressedLines", "PlainLines", "codec_for", "line_source", "lines_after", "read_lines"]
