"""Reporting for benchmark runs: the per-page and per-system result records, corpus summaries.

`summarise` turns one system's page rows into corpus figures using the dataset's own aggregation
(pooled shingle counts for aeb, mean word P/R/F1 for wcxb, bootstrap std for both);
`worst_pages`, `write_rows` and `render_markdown` present a finished `EvalReport` as regressions
against a baseline, per-page CSV/JSON Lines and a markdown table. Kept apart from
`scraper.evaluation.runner`, which loads datasets and runs the systems, so that scoring presentation can
change without touching the timed runner.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scraper.evaluation import metrics
from scraper.evaluation.options import EvalOptions


@dataclass(frozen=True)
class PageResult:
    """One system on one page. aeb pages carry tp/fp/fn and `exact`; wcxb pages snippet counts;
    `*_ok` are None when the truth lacks that field."""

    id: str
    system: str
    url: str
    ms: float
    failure: str | None
    chars: int
    precision: float
    recall: float
    f1: float
    tp: float | None = None
    fp: float | None = None
    fn: float | None = None
    exact: bool | None = None
    with_found: int = 0
    with_total: int = 0
    without_found: int = 0
    without_total: int = 0
    has_metadata: bool = False
    title: str | None = None
    author: str | None = None
    date: str | None = None
    title_ok: bool | None = None
    author_ok: bool | None = None
    date_ok: bool | None = None
    text: str | None = None


@dataclass(frozen=True)
class SystemSummary:
    """Corpus figures for one system; None means "not measured on this dataset"."""

    name: str
    pages: int
    precision: float
    recall: float
    f1: float
    precision_std: float
    recall_std: float
    f1_std: float
    accuracy: float | None
    keep_rate: float | None
    leak_rate: float | None
    title_accuracy: float | None
    author_accuracy: float | None
    date_accuracy: float | None
    ms_mean: float
    ms_median: float
    failures: int
    empty: int


@dataclass(frozen=True)
class EvalReport:
    """A whole run: dataset kind, per-system summaries, per-page rows and unloadable pages
    (unreadable HTML is scored as a failure of every system, unreadable truth not at all)."""

    dataset: str
    kind: str
    systems: tuple[SystemSummary, ...]
    rows: tuple[PageResult, ...]
    unloadable: tuple[tuple[str, str], ...] = ()

    def summary(self, name: str) -> SystemSummary:
        """The summary of the named system; KeyError if it did not run."""
        for summary in self.systems:
            if summary.name == name:
                return summary
        raise KeyError(name)


@dataclass(frozen=True)
class PageDiff:
    """A page where `system` scored `diff` (negative = worse) against `baseline`."""

    id: str
    url: str
    f1: float
    baseline_f1: float
    diff: float


def _share(flags: list[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return sum(known) / len(known) if known else None


def _pooled(found: int, total: int) -> float | None:
    return found / total if total else None


def summarise(name: str, rows: list[PageResult], kind: str, options: EvalOptions) -> SystemSummary:
    """Corpus figures for one system from its page rows (the dataset's own aggregation)."""
    if kind == "aeb":
        scores = [metrics.ShingleScore(r.tp or 0.0, r.fp or 0.0, r.fn or 0.0) for r in rows]
        prf = metrics.corpus_shingle_prf(scores)
        std = metrics.bootstrap_std(scores, metrics.corpus_shingle_prf, options.bootstrap,
                                    options.seed)
        accuracy = _share([r.exact for r in rows])
    else:
        pages = [metrics.PRF(r.precision, r.recall, r.f1) for r in rows]
        prf = metrics.corpus_word_prf(pages)
        std = metrics.bootstrap_std(pages, metrics.corpus_word_prf, options.bootstrap,
                                    options.seed)
        accuracy = None
    with_meta = any(r.has_metadata for r in rows)
    ms = [r.ms for r in rows if r.failure is None] or [0.0]
    return SystemSummary(
        name, len(rows), prf.precision, prf.recall, prf.f1,
        std.precision, std.recall, std.f1, accuracy,
        _pooled(sum(r.with_found for r in rows), sum(r.with_total for r in rows)),
        _pooled(sum(r.without_found for r in rows), sum(r.without_total for r in rows)),
        _share([r.title_ok for r in rows]) if with_meta else None,
        _share([r.author_ok for r in rows]) if with_meta else None,
        _share([r.date_ok for r in rows]) if with_meta else None,
        statistics.fmean(ms), statistics.median(ms),
        sum(r.failure is not None for r in rows),
        sum(r.failure is None and r.chars == 0 for r in rows))


def worst_pages(report: EvalReport, system: str, baseline: str, n: int = 10) -> list[PageDiff]:
    """Up to `n` pages where `system`'s page F1 falls furthest below `baseline`'s (diff < 0)."""
    base = {r.id: r.f1 for r in report.rows if r.system == baseline}
    diffs = [PageDiff(r.id, r.url, r.f1, base[r.id], r.f1 - base[r.id])
             for r in report.rows if r.system == system and r.id in base]
    return sorted((d for d in diffs if d.diff < 0), key=lambda d: (d.diff, d.id))[:n]


def write_rows(rows: tuple[PageResult, ...] | list[PageResult], path: str | Path) -> None:
    """Write per-page rows as CSV if the path ends in .csv, else as JSON Lines."""
    import csv
    from dataclasses import asdict, fields

    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as out:
        if path.suffix.lower() == ".csv":
            writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(PageResult)])
            writer.writeheader()
            writer.writerows(asdict(r) for r in rows)
        else:
            out.writelines(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in rows)


def _fmt(value: float | None, std: float | None = None, percent: bool = False) -> str:
    if value is None:
        return "–"
    text = f"{value:.1%}" if percent else f"{value:.3f}"
    return f"{text} ± {std:.3f}" if std is not None else text


def render_markdown(report: EvalReport, compare: tuple[str, str] | None = None,
                    worst: int = 10) -> str:
    """The report as a markdown table, plus the `worst` pages of `compare=(system, baseline)`."""
    columns: list[tuple[str, Callable[[SystemSummary], Any]]] = [
        ("system", lambda s: s.name),
        ("P", lambda s: _fmt(s.precision, s.precision_std)),
        ("R", lambda s: _fmt(s.recall, s.recall_std)),
        ("F1", lambda s: _fmt(s.f1, s.f1_std)),
        ("accuracy", lambda s: _fmt(s.accuracy)),
        ("keep", lambda s: _fmt(s.keep_rate, percent=True)),
        ("leak", lambda s: _fmt(s.leak_rate, percent=True)),
        ("title", lambda s: _fmt(s.title_accuracy)),
        ("author", lambda s: _fmt(s.author_accuracy)),
        ("date", lambda s: _fmt(s.date_accuracy)),
        ("ms/page mean", lambda s: f"{s.ms_mean:.1f}"),
        ("ms/page median", lambda s: f"{s.ms_median:.1f}"),
        ("failures", lambda s: str(s.failures)),
        ("empty", lambda s: str(s.empty)),
    ]
    cells = [[str(get(s)) for _, get in columns] for s in report.systems]
    keep = [i for i, _ in enumerate(columns) if any(row[i] != "–" for row in cells)]
    metric = "4-token shingle" if report.kind == "aeb" else "word"
    pages = report.systems[0].pages if report.systems else 0
    lines = [f"**{report.kind}** ({pages} pages, {metric} P/R/F1 ± bootstrap std)", "",
             "| " + " | ".join(columns[i][0] for i in keep) + " |",
             "|" + "|".join("---" for _ in keep) + "|"]
    lines += ["| " + " | ".join(row[i] for i in keep) + " |" for row in cells]
    if report.unloadable:
        lines += ["", f"Unloadable pages ({len(report.unloadable)}): "
                  + ", ".join(f"{i} ({why})" for i, why in report.unloadable)]
    if compare and worst > 0:
        system, baseline = compare
        lines += ["", f"Pages where {system} is worst relative to {baseline} (page F1):", "",
                  f"| id | url | {system} | {baseline} | diff |", "|---|---|---|---|---|"]
        lines += [f"| {d.id} | {d.url} | {d.f1:.3f} | {d.baseline_f1:.3f} | {d.diff:+.3f} |"
                  for d in worst_pages(report, system, baseline, worst)]
    return "\n".join(lines) + "\n"
