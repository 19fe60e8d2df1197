"""Benchmark runner: score extractors side by side on a saved dataset, timing only extraction.

Two dataset layouts are recognised (see `scraper.metrics` for how each is scored):
`aeb` (`ground-truth.json` + `html/<id>.html.gz`) and `wcxb` (`ground-truth/<id>.json` +
`html/<id>.html.gz`). Every system gets the same gunzipped bytes and URL; systems run in a
rotating order on each page so that warm caches favour none of them. A system that raises is
recorded as a failure for that page (an empty prediction) with its reason; the run goes on.
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import metrics
from .errors import InputError, ScraperError


@dataclass(frozen=True)
class Sample:
    """One benchmark page. `error` is set (and `html` empty) when the page could not be loaded;
    `truth` is None when its ground truth could not be read, and then it is not scored."""

    id: str
    html: bytes
    url: str
    truth: str | None
    with_snippets: tuple[str, ...] = ()
    without_snippets: tuple[str, ...] = ()
    title: str | None = None
    author: str | None = None
    date: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Extraction:
    """What a system returned; `metadata` is False when it returned bare text."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    metadata: bool = True


Extractor = Callable[[bytes, str], Any]


@dataclass(frozen=True)
class System:
    """A named extractor: `extract` is timed and returns text or an object with `.text` (and
    optionally `.title/.author/.date`); `metadata`, if given, is called untimed for metadata."""

    extract: Extractor
    metadata: Extractor | None = None


@dataclass(frozen=True)
class EvalOptions:
    """Run settings: page limit, bootstrap size and seed, warm-up, per-page output."""

    limit: int | None = None
    bootstrap: int = 1000
    seed: int = 0
    warmup: bool = True
    keep_text: bool = False
    per_page_path: Path | None = None


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


def dataset_kind(path: str | Path) -> str:
    """Return "aeb" or "wcxb" from the folder layout, or raise InputError."""
    root = Path(path)
    if (root / "ground-truth.json").is_file():
        return "aeb"
    if (root / "ground-truth").is_dir():
        return "wcxb"
    raise InputError(f"not a benchmark folder (no ground-truth.json or ground-truth/): {root}")


def _read_gz(path: Path) -> tuple[bytes, str | None]:
    try:
        return gzip.decompress(path.read_bytes()), None
    except FileNotFoundError:
        return b"", "html file missing"
    except (OSError, EOFError, zlib.error) as exc:
        return b"", f"unreadable gzip: {exc}"


def _aeb_samples(root: Path) -> Iterator[Sample]:
    try:
        truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"unreadable ground-truth.json: {exc}") from exc
    for page_id in sorted(truth):
        item = truth[page_id]
        html, error = _read_gz(root / "html" / f"{page_id}.html.gz")
        yield Sample(page_id, html, item.get("url") or "", item.get("articleBody") or "",
                     error=error)


def _wcxb_samples(root: Path) -> Iterator[Sample]:
    for truth_path in sorted((root / "ground-truth").glob("*.json")):
        page_id = truth_path.stem
        try:
            data = json.loads(truth_path.read_text(encoding="utf-8"))
            truth = data.get("ground_truth") or {}
        except (OSError, ValueError, AttributeError) as exc:
            yield Sample(page_id, b"", "", None, error=f"unreadable ground truth: {exc}")
            continue
        html, error = _read_gz(root / "html" / f"{page_id}.html.gz")
        yield Sample(page_id, html, data.get("url") or "", truth.get("main_content") or "",
                     tuple(truth.get("with") or ()), tuple(truth.get("without") or ()),
                     truth.get("title") or None, truth.get("author") or None,
                     truth.get("publish_date") or None, error)


def load_dataset(path: str | Path) -> Iterator[Sample]:
    """Yield the dataset's pages in id order with gunzipped bytes; bad pages carry `error`."""
    root = Path(path)
    return _aeb_samples(root) if dataset_kind(root) == "aeb" else _wcxb_samples(root)


def _field(result: Any, key: str) -> Any:
    return result.get(key) if isinstance(result, Mapping) else getattr(result, key, None)


def _as_extraction(result: Any) -> Extraction:
    """Accept bare text, an Extraction, a dict, or any object with `.text` (e.g. Article)."""
    if isinstance(result, Extraction):
        return result
    if result is None or isinstance(result, str):
        return Extraction(result or "", metadata=False)
    return Extraction(_field(result, "text") or "", _field(result, "title"),
                      _field(result, "author"), _field(result, "date"))


def _reason(exc: Exception) -> str:
    return exc.reason if isinstance(exc, ScraperError) else f"{type(exc).__name__}: {exc}"


def _extract(system: System, sample: Sample) -> tuple[Extraction, float, str | None]:
    """Run one system on one page: (result, milliseconds of the timed call, failure reason)."""
    if sample.error is not None:
        return Extraction("", metadata=False), 0.0, sample.error
    start = time.perf_counter()
    try:
        result = _as_extraction(system.extract(sample.html, sample.url))
    except Exception as exc:  # any system bug is one failed page, never a failed run
        return Extraction("", metadata=False), (time.perf_counter() - start) * 1000, _reason(exc)
    ms = (time.perf_counter() - start) * 1000
    if system.metadata is not None and any((sample.title, sample.author, sample.date)):
        try:
            meta = _as_extraction(system.metadata(sample.html, sample.url))
        except Exception:  # a metadata crash only costs the metadata fields
            meta = Extraction("")
        result = replace(result, title=meta.title, author=meta.author, date=meta.date,
                         metadata=True)
    return result, ms, None


def _run_one(name: str, system: System, sample: Sample, kind: str,
             options: EvalOptions) -> PageResult:
    result, ms, failure = _extract(system, sample)
    text, truth = result.text, sample.truth or ""
    if kind == "aeb":
        page = metrics.shingle_score(truth, text)
        scores: dict[str, Any] = {"tp": page.tp, "fp": page.fp, "fn": page.fn,
                                  "exact": metrics.exact_match(truth, text)}
    else:
        page = metrics.word_prf(text, truth)
        scores = {}
    return PageResult(
        sample.id, name, sample.url, ms, failure, len(text),
        page.precision, page.recall, page.f1, **scores,
        with_found=metrics.count_snippets(text, sample.with_snippets),
        with_total=len(sample.with_snippets),
        without_found=metrics.count_snippets(text, sample.without_snippets),
        without_total=len(sample.without_snippets),
        has_metadata=result.metadata or system.metadata is not None,
        title=result.title, author=result.author, date=metrics.iso_date(result.date),
        title_ok=metrics.title_match(result.title, sample.title) if sample.title else None,
        author_ok=metrics.author_match(result.author, sample.author) if sample.author else None,
        date_ok=metrics.date_match(result.date, sample.date) if sample.date else None,
        text=text if options.keep_text else None)


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


def default_systems() -> dict[str, System]:
    """`scraper` (if `clean_html` is importable), trafilatura defaults and its precision mode."""
    import trafilatura

    def trafilatura_system(**settings: Any) -> System:
        def extract(html: bytes, url: str) -> str:
            return trafilatura.extract(html, url=url, **settings) or ""

        def metadata(html: bytes, url: str) -> Any:
            return trafilatura.bare_extraction(html, url=url, with_metadata=True, **settings)

        return System(extract, metadata)

    systems: dict[str, System] = {}
    try:
        from . import clean_html
    except ImportError:
        pass
    else:
        systems["scraper"] = System(lambda html, url: clean_html(html, url=url, options=None))
    systems["trafilatura"] = trafilatura_system()
    systems["trafilatura-precision"] = trafilatura_system(favor_precision=True,
                                                          include_comments=False)
    return systems


def evaluate(path: str | Path, systems: Mapping[str, System | Extractor] | None = None,
             options: EvalOptions = EvalOptions(),
             on_page: Callable[[int, Sample], None] | None = None) -> EvalReport:
    """Run every system on every page of the dataset at `path` and score them side by side.

    `systems` maps a name to a `System` or to a bare `(html_bytes, url) -> text-or-object`
    callable; None means `default_systems()`. `on_page(index, sample)` is called after each page.
    """
    kind = dataset_kind(path)
    named = {name: s if isinstance(s, System) else System(s)
             for name, s in (systems if systems is not None else default_systems()).items()}
    names = list(named)
    rows: dict[str, list[PageResult]] = {name: [] for name in names}
    unloadable: list[tuple[str, str]] = []
    for index, sample in enumerate(load_dataset(path)):
        if options.limit is not None and index >= options.limit:
            break
        if index == 0 and options.warmup and sample.error is None:
            for name in names:
                _run_one(name, named[name], sample, kind, options)
        if sample.error is not None:
            unloadable.append((sample.id, sample.error))
        if sample.truth is None:
            continue
        # Rotating the order spreads any first-call or cache advantage over all systems.
        for name in names[index % len(names):] + names[:index % len(names)]:
            rows[name].append(_run_one(name, named[name], sample, kind, options))
        if on_page is not None:
            on_page(index, sample)
    report = EvalReport(
        str(path), kind, tuple(summarise(n, rows[n], kind, options) for n in names),
        tuple(r for page_rows in zip(*rows.values()) for r in page_rows), tuple(unloadable))
    if options.per_page_path is not None:
        write_rows(report.rows, options.per_page_path)
    return report


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
