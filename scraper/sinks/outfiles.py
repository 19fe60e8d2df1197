"""Output files kept whole: one writer at a time, no torn lines, one record per source.

A run holds an exclusive lock on `<output>.lock` from open to close, so two runs never
interleave their lines. JSON-lines files are appended to during a run and compacted at close
(the last line of each source wins) through a temporary file and an atomic rename, so a kill at
any moment leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from scraper.errors import OutputError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent runs into one output are on the user
    fcntl = None  # type: ignore[assignment]


def reason_of(exc: BaseException) -> str:
    """A short reason for an OS or SQLite error, without the path the message already names."""
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).lower()


def utc_now() -> str:
    """The time records are stamped with, ISO 8601 in UTC."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def json_line(data: dict) -> str:
    """One record as a JSON line (UTF-8 text kept readable)."""
    return json.dumps(data, ensure_ascii=False) + "\n"


class Outcomes:
    """The last outcome of each source written in this run, so that closing drops the other
    kind of record of it (an old failure of a page that now cleans, and the reverse)."""

    def __init__(self) -> None:
        self.article: dict[str, bool] = {}

    def failed_now(self, source: str) -> bool:
        return self.article.get(source) is False

    def cleaned_now(self, source: str) -> bool:
        return self.article.get(source) is True


class OutputLock:
    """An exclusive lock on `path` for the life of a run.

    POSIX record locks (`lockf`), not `flock`: they belong to this process and are not
    inherited by forked worker processes, so a killed run's workers never keep the output
    locked for the next one.
    """

    def __init__(self, path: Path, output: str) -> None:
        self.path = path
        self._fd: int | None = None
        if fcntl is None:
            return
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot open output {output}: {reason_of(exc)}") from exc
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise OutputError(f"output {output} is in use by another run") from exc
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


_WHOLE_TAIL_CAP = 64 << 20  # a longer unterminated last line is not checked, only cut


def _finish_or_cut(fh: IO[bytes], start: int, size: int) -> None:
    """The last line runs from `start` to the end without a newline: a whole JSON record (a file
    another tool wrote without a final newline) gets its newline; a torn one is cut off."""
    if size - start <= _WHOLE_TAIL_CAP:
        fh.seek(start)
        try:
            json.loads(fh.read(size - start))
        except ValueError:
            pass
        else:
            fh.seek(size)
            fh.write(b"\n")
            return
    fh.truncate(start)


def cut_torn_tail(path: Path) -> None:
    """Cut a last line that a killed run left without its newline, so the next line is whole;
    a last line that is a whole record is kept and given its newline."""
    if not path.is_file():
        return
    try:
        with path.open("r+b") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            position = size
            while position > 0:
                step = min(65536, position)
                fh.seek(position - step)
                chunk = fh.read(step)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    _finish_or_cut(fh, position - step + newline + 1, size)
                    return
                position -= step
            _finish_or_cut(fh, 0, size)
    except FileNotFoundError:
        return


def line_source(line: bytes) -> str | None:
    """The `source` of a JSON line, None when it has none or is not JSON."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    source = data.get("source") if isinstance(data, dict) else None
    return source if isinstance(source, str) else None


def compact(path: Path, drop: Callable[[str], bool]) -> int:
    """Keep the last line of each source and drop sources for which `drop` is true; lines
    without a source are kept. Rewrites the file only when something goes; returns how many
    lines went."""
    if not path.is_file():
        return 0  # missing, or a device or pipe: nothing to keep whole
    last: dict[str, int] = {}
    sourced = 0
    with path.open("rb") as fh:
        for number, line in enumerate(fh):
            source = line_source(line)
            if source is not None:
                last[source] = number
                sourced += 1
    keep = {number for source, number in last.items() if not drop(source)}
    if len(keep) == sourced:
        return 0
    tmp = path.with_name(path.name + ".compact.tmp")
    with path.open("rb") as src, tmp.open("wb") as dst:
        for number, line in enumerate(src):
            if number in keep or line_source(line) is None:
                dst.write(line)
        dst.flush()
        os.fsync(dst.fileno())
    os.replace(tmp, path)
    return sourced - len(keep)
