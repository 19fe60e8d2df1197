"""`scraper eval`: score scraper and plain trafilatura on a benchmark dataset."""

from __future__ import annotations

import sys

import click
from tqdm import tqdm

from scraper.errors import ScraperError
from scraper.evaluation.runner import EvalOptions, default_systems, evaluate, render_markdown
from scraper.cli.base import cli, _examples, _fail_usage, verbose_option


_EVAL_EXAMPLES = _examples(
    "scraper eval article-extraction-benchmark/ --limit 100",
    "scraper eval wcxb/ --per-page rows.csv --worst 20 > report.md",
)


@cli.command(name="eval", epilog=_EVAL_EXAMPLES)
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N pages (id order).")
@click.option("--per-page", type=click.Path(dir_okay=False),
              help="Write one row per page and system (.csv, else JSON Lines) for digging.")
@click.option("--worst", type=click.IntRange(min=0), default=10, show_default=True,
              help="List the N pages where scraper trails plain trafilatura most.")
@click.option("--bootstrap", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap resamples for the ± figures.")
@click.option("--folds", type=click.IntRange(min=2), default=None,
              help="Also cross-validate by domain in K folds: held-out figures beside in-sample "
                   "ones, and what each rule removed.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@verbose_option
def eval_command(dataset: str, limit: int | None, per_page: str | None, worst: int, bootstrap: int,
                 folds: int | None, quiet: bool) -> None:
    """Score scraper and plain trafilatura side by side on a benchmark dataset.

    DATASET is a folder in the article-extraction-benchmark layout (ground-truth.json + html/)
    or the WCXB layout (ground-truth/ + html/). Prints a markdown table: the dataset's own metric,
    keep and leak rates, metadata accuracy, ms/page and failures for each system. With
    --folds K, pages are also grouped by domain into K folds and each fold is cleaned again
    without the rules the other folds do not support (held-out figures), with a per-rule report.

    Example: scraper eval ../shared/bench/wcxb-dev --folds 5
    """
    from pathlib import Path
    options = EvalOptions(limit=limit, bootstrap=bootstrap, per_page_path=Path(per_page) if per_page else None)
    bar = None if quiet or not sys.stderr.isatty() else tqdm(unit="page", file=sys.stderr)
    on_page = (lambda i, s: bar.update()) if bar else None
    crossval = None
    try:
        if folds:
            from scraper.evaluation.crossval import cross_validate
            crossval = cross_validate(dataset, folds, options, on_page=on_page)
            report = crossval.in_sample
        else:
            report = evaluate(dataset, default_systems(), options, on_page=on_page)
    except ScraperError as exc:
        _fail_usage(exc.reason)
    finally:
        if bar is not None:
            bar.close()
    click.echo(render_markdown(report, compare=("scraper", "trafilatura"), worst=worst))
    if crossval is not None:
        from scraper.evaluation.crossval import render_crossval
        click.echo(render_crossval(crossval))
