"""The exception tree: every library failure is a `ScraperError` with a short reason.

    ScraperError
    ├── InputError            bad input: empty, binary, truncated, unreadable
    │   └── DecodeError       bytes that cannot be decoded without mojibake
    ├── ExtractionError       no article text found in the page
    ├── RuleError             a rule file that cannot be loaded
    │   └── RuleTimeoutError  a user rule's regex ran past its time budget (skipped, not fatal)
    ├── FetchError            network failures (retry may help)
    │   ├── HTTPStatusError   a non-2xx status after retries
    │   └── TooLargeError     body above the byte cap
    ├── SkippedError          not a failure of ours: not HTML, disallowed by robots.txt
    ├── SecurityError         a URL or address refused by policy (retry will not help)
    ├── OutputError           the output cannot be opened, locked or written
    │   └── RecordError       one record the output's format cannot hold (that record's failure)
    └── ClusterError          a cluster cannot be started or reached, or its extra is not installed

Batch code catches `ScraperError` per item and records `reason`; anything else is a bug.
"""

from __future__ import annotations


class ScraperError(Exception):
    """Root of all library failures; `reason` is a short, stable, human-readable cause."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InputError(ScraperError):
    """The input is empty, binary, truncated or unreadable; retrying will not help."""


class DecodeError(InputError):
    """The bytes cannot be decoded into text with any confidence."""


class ExtractionError(ScraperError):
    """The page decoded fine but holds no article body."""


class RuleError(ScraperError):
    """A rule file is missing, not valid TOML, or has invalid fields or selectors."""


class RuleTimeoutError(RuleError):
    """A user rule's regex ran past its time budget on one input; cleaning catches this, skips
    the rule for the rest of that page and notes it, so it only escapes from direct matcher calls."""

    def __init__(self, reason: str, rule: str) -> None:
        super().__init__(reason)
        self.rule = rule  # "<file>: <rule name>"

    def __reduce__(self) -> tuple[type[RuleTimeoutError], tuple[str, str]]:
        return type(self), (self.reason, self.rule)


class FetchError(ScraperError):
    """A network failure: timeout, connection reset, too many redirects. Retrying may help."""


class HTTPStatusError(FetchError):
    """The server answered with a non-success status (after any retries)."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


class TooLargeError(FetchError):
    """The response body exceeded the configured byte cap; it was not read whole."""


class SkippedError(ScraperError):
    """The URL was deliberately not cleaned: not HTML, or disallowed by robots.txt."""


class SecurityError(ScraperError):
    """The URL or the address it resolves to is refused by policy (scheme, private address)."""


class OutputError(ScraperError):
    """The output cannot be opened, is locked by another run, or cannot be written."""


class RecordError(OutputError):
    """One record a sink cannot write (a value its format cannot hold). Nothing of it was
    written; batch code records it as that record's failure and goes on."""


class WorkerError(ScraperError):
    """The processes that clean pages stopped as a whole (a bug, not one page's failure, which
    is recorded and the job goes on): the job cannot go on."""


class ClusterError(ScraperError):
    """A Dask cluster cannot be started or reached, or an optional package (an extra) is missing;
    the reason says what to do (for a missing extra, the exact `pip install` command)."""


def format_size(n: int) -> str:
    """A byte count as every reason words it: "10 MB", "64 KB", "97.66 KB", "1000 bytes"."""
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:.4g} {unit}"
    return f"{n} bytes"


def too_large(what: str, limit: int) -> str:
    """The reason for an input over a byte cap: "page larger than 10 MB"."""
    return f"{what} larger than {format_size(limit)}"


# What batch code catches per item: our own failures, plus the stack and memory exhaustion a
# hostile page can cause inside lxml or trafilatura (`Failure.of` gives those fixed reasons).
CONTAINED: tuple[type[BaseException], ...] = (ScraperError, RecursionError, MemoryError)
