"""Benchmark runner: score extractors side by side on a saved dataset, timing only extraction.

Two dataset layouts are recognised (see `scraper.evaluation.metrics` for how each is scored):
`aeb` (`ground-truth.json` + `html/<id>.html.gz`) and `wcxb` (`ground-truth/<id>.json` +
`html/<id>.html.gz`). Every system gets the same gunzipped bytes and URL; systems run in a
rotating order on each page so that warm caches favour none of them. A system that raises is
recorded as a failure for that page (an empty prediction) with its reason; the run goes on.
"""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scraper.evaluation import metrics
from scraper.errors import InputError, ScraperError
from scraper.evaluation.options import EvalOptions
from scraper.evaluation.report import (
    EvalReport,
    PageDiff,
    PageResult,
    SystemSummary,
    render_markdown,
    summarise,
    worst_pages,
    write_rows,
)

# The options (scraper.evaluation.options), result records and reporting (scraper.evaluation.report) stay importable
# from here.
__all__ = [
    "EvalOptions", "EvalReport", "Extraction", "Extractor", "PageDiff", "PageResult", "Sample",
    "System", "SystemSummary", "dataset_kind", "default_systems", "evaluate", "load_dataset",
    "render_markdown", "summarise", "worst_pages", "write_rows",
]


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


def dataset_kind(path: str | Path) -> str:
    """Return "aeb" or "wcxb" from the folder layout, or raise InputError."""
    root = Path(path)
    if (root / "ground-truth.json").is_file():
        return "aeb"
    if (root / "ground-truth").is_dir():
        return "wcxb"
    raise InputError(f"not a benchmark folder (no ground-truth.json or ground-truth/): {root}")


def _read_gz(path: Path) -> tuple[bytes, str | None]:
    # A newsletter sample is a stored message, `html/<id>.eml` (scraper.newsletters).
    if not path.exists() and path.with_name(path.name.replace(".html.gz", ".eml")).is_file():
        return path.with_name(path.name.replace(".html.gz", ".eml")).read_bytes(), None
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


def _message_body(data: bytes) -> bytes:
    """An e-mail sample's decoded body part, what a page extractor can be given; other bytes as they are."""
    from scraper.newsletters import looks_like_message
    if not looks_like_message(data):
        return data
    from scraper.newsletters.message import body, parse_message
    return body(parse_message(data)).text.encode("utf-8")


def _scraper(html: bytes, url: str) -> Any:
    from scraper import clean_html
    from scraper.newsletters import clean_message, looks_like_message
    if looks_like_message(html):
        return clean_message(html, url=url or None)[0]
    return clean_html(html, url=url, options=None)


def default_systems() -> dict[str, System]:
    """`scraper`, trafilatura defaults and its precision mode. E-mail samples go to `scraper`
    whole and to trafilatura as their decoded body part."""
    import trafilatura

    def trafilatura_system(**settings: Any) -> System:
        def extract(html: bytes, url: str) -> str:
            return trafilatura.extract(_message_body(html), url=url, **settings) or ""

        def metadata(html: bytes, url: str) -> Any:
            return trafilatura.bare_extraction(_message_body(html), url=url, with_metadata=True, **settings)

        return System(extract, metadata)

    systems: dict[str, System] = {"scraper": System(_scraper)}
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
        if options.only is not None and sample.id not in options.only:
            continue
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
