"""The `scraper` command: a thin layer that turns options into library calls and errors into messages.

Exit codes: 0 all inputs cleaned, 1 some inputs failed, 2 usage or configuration error.

One module per command group, all registered on the `cli` group of `base`: `clean` (clean,
show), `crawl`, `evaluation` (eval), `review` (review, rules learn|check), and `cluster` for
their `--dask` runs. `scraper.cli:main` is the console script.
"""

from __future__ import annotations

# Imported for their commands: each registers itself on `cli`.
from scraper.cli import clean, crawl, evaluation, review  # noqa: F401
from scraper.cli.base import EXIT_FAILED, EXIT_OK, EXIT_USAGE, SIZE, _size, cli, record, summarise, tally  # noqa: F401

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "SIZE", "cli", "main", "record", "summarise", "tally"]


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="scraper")
