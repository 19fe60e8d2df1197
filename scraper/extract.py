"""Body extraction with trafilatura, on the tree our rules already pruned.

Metadata comes from `scraper.metadata` instead of trafilatura's own pass, which costs several
times more (see benchmarks/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura
from lxml.html import HtmlElement


@dataclass(frozen=True)
class ExtractOptions:
    """trafilatura settings, chosen by measurement on the benchmarks (see benchmarks/README.md)."""

    # Skipping trafilatura's fallback comparison (baseline, jusText) saves ~30 % of the time and
    # gains on news (AEB F1 0.972 vs 0.970) but loses badly on varied pages (WCXB word F1 0.918
    # vs 0.941, keep rate 83.7 % vs 85.8 %), so it stays on by default.
    fast: bool = False
    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    include_comments: bool = False


def extract_text(root: HtmlElement, url: str | None, options: ExtractOptions) -> str | None:
    """The article body as lines of text, or None when trafilatura finds no body."""
    doc = trafilatura.bare_extraction(
        root,
        url=url,
        with_metadata=False,
        fast=options.fast,
        include_comments=options.include_comments,
        include_tables=options.include_tables,
        favor_precision=options.favor_precision,
        favor_recall=options.favor_recall,
    )
    text = (doc.text or "") if doc is not None else ""
    return text if text.strip() else None
