"""Settings of a benchmark run, shared by the runner (`scraper.evaluation.runner`) and the reporting
(`scraper.evaluation.report`), which both read them; kept in a module of their own so neither imports the
other's back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["EvalOptions"]


@dataclass(frozen=True)
class EvalOptions:
    """Run settings: page limit, bootstrap size and seed, warm-up, per-page output."""

    limit: int | None = None
    bootstrap: int = 1000
    seed: int = 0
    warmup: bool = True
    keep_text: bool = False
    per_page_path: Path | None = None
    # Only these page ids (a cross-validation fold); None for all.
    only: frozenset[str] | None = None
