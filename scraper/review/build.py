"""Write the review folder: `index.html`, `pages/pNNNNN.html` per page and the `assets/`."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from scraper.article import Article
from scraper.clean.cleaner import CleanOptions
from scraper.errors import InputError
from scraper.run.batch import BatchOptions, Input, find_inputs, read_input, run_batch
from scraper.review.provenance import RuleInfo, rule_index
from scraper.review.render import index_html, page_html, summary
from scraper.review.sources import Item, Raw, SavedPages, is_store, read_store, review

_MARKER = ".scraper-review"
_ASSETS = ("review.css", "review.js")


@dataclass(frozen=True)
class ReviewOptions:
    """What the review cleans with (pages given directly, and the trafilatura-alone view), where
    crawl's saved pages are, and how many worker processes build the page files."""

    clean: CleanOptions = field(default_factory=CleanOptions)
    saved_html: str | None = None
    jobs: int = 1
    learn_templates: bool = True


@dataclass(frozen=True)
class ReviewResult:
    index: Path
    pages: int
    failed: int
    seconds: float


@lru_cache(maxsize=4)
def _rules(rule_files: tuple[str, ...]) -> dict[str, RuleInfo]:
    return rule_index(rule_files)


def _items(inputs: Iterable[str], options: ReviewOptions) -> Iterator[Item]:
    saved = SavedPages(options.saved_html)
    limit = options.clean.max_bytes
    pages: list[str] = []
    for given in inputs:
        if not is_store(given):
            pages.append(given)
            continue
        base = Path(given).resolve().parent
        for record in read_store(given):
            source = str(record.get("source") or "")
            if "_failure" in record:
                yield Item(source, failure=str(record["_failure"]))
                continue
            raw, note = saved.raw(record, base, limit)
            yield Item(source, record, raw=raw, raw_note=note)
    if pages:
        batch = BatchOptions(clean=options.clean, jobs=options.jobs, learn_templates=options.learn_templates)
        for result in run_batch(find_inputs(pages), batch):
            if not isinstance(result, Article):
                yield Item(result.source, failure=f"{result.status}: {result.reason}")
                continue
            source = result.source or ""
            try:
                data = read_input(Input(source), limit)
                raw: Raw | None = Raw(data, source.lower().endswith((".txt", ".txt.gz")))
            except InputError:
                raw = None
            yield Item(source, result.to_dict(), raw=raw, raw_note="" if raw else "raw input not readable again")


def _write_page(item: Item, number: int, folder: str, options: CleanOptions) -> dict[str, Any]:
    """Build and write one page file (in a worker); return its summary for the index."""
    page = review(item, options)
    name = None
    if page.failure is None:
        name = f"pages/p{number:05d}.html"
        Path(folder, name).write_text(page_html(page, _rules(options.rule_files)), encoding="utf-8")
    return summary(page, name)


def _prepare(out: Path) -> None:
    """An empty or earlier review folder only: never write over something else."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / _MARKER).exists():
        raise InputError(f"{out} is not empty and holds no earlier review; pick another folder")
    if (out / "pages").is_dir():
        shutil.rmtree(out / "pages")  # an earlier review of other pages: its page files would linger
    (out / "pages").mkdir(parents=True, exist_ok=True)
    (out / "assets").mkdir(exist_ok=True)
    (out / _MARKER).write_text("written by scraper review\n", encoding="utf-8")
    static = resources.files("scraper.review") / "static"
    for name in _ASSETS:
        (out / "assets" / name).write_text(static.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")


def write_review(inputs: Iterable[str], output: str | Path, options: ReviewOptions | None = None) -> ReviewResult:
    """Review stores or pages into the folder `output`; raise `InputError` for an unusable folder
    or store. Page files are built in `options.jobs` processes, a bounded window at a time."""
    options = options or ReviewOptions()
    started = time.monotonic()
    out = Path(output)
    _prepare(out)
    summaries: list[dict[str, Any]] = []
    items = enumerate(_items(list(inputs), options), 1)
    if options.jobs <= 1:
        summaries = [_write_page(item, n, str(out), options.clean) for n, item in items]
    else:
        window = options.jobs * 8
        with ProcessPoolExecutor(options.jobs) as pool:
            pending: list[Any] = []
            for n, item in items:
                pending.append(pool.submit(_write_page, item, n, str(out), options.clean))
                if len(pending) >= window:
                    summaries += [f.result() for f in pending[: window // 2]]
                    pending = pending[window // 2:]
            summaries += [f.result() for f in pending]
    seconds = time.monotonic() - started
    title = "scraper review"
    took = f"; built in {seconds:.1f} s"
    index = out / "index.html"
    tmp = out / "index.html.part"
    tmp.write_text(index_html(summaries, _rules(options.clean.rule_files), title, took), encoding="utf-8")
    os.replace(tmp, index)
    failed = sum(1 for s in summaries if s["failure"] is not None)
    return ReviewResult(index, len(summaries), failed, time.monotonic() - started)


def page_document(item: Item, options: CleanOptions) -> str:
    """`scraper show FILE --html`: the page view as one self-contained file (assets inline)."""
    static = resources.files("scraper.review") / "static"
    inline = (static.joinpath("review.css").read_text(encoding="utf-8"),
              static.joinpath("review.js").read_text(encoding="utf-8"))
    page = review(item, options)
    if page.failure is not None:
        raise InputError(page.failure)
    return page_html(page, _rules(options.rule_files), depth="", index_href="", inline=inline)
