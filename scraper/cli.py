"""The `scraper` command: a thin layer that turns options into library calls and errors into messages.

Exit codes: 0 all inputs cleaned, 1 some inputs failed, 2 usage or configuration error.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator

import click
from tqdm import tqdm

from . import __name__ as _pkg
from .article import Article, Failure
from .clean import CleanOptions, clean_html, rulebook
from .errors import ScraperError
from .pipeline import BatchOptions, Input, find_inputs, read_input, run_batch
from .store import Store, open_store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _fail_usage(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _clean_options(rules: tuple[str, ...]) -> CleanOptions:
    options = CleanOptions(rule_files=tuple(rules))
    try:
        rulebook(options.rule_files)  # load now so a bad rule file is a usage error, not N failures
    except ScraperError as exc:
        _fail_usage(exc.reason)
    return options


def _progress(results: Iterable[Article | Failure], quiet: bool, unit: str) -> Iterator[Article | Failure]:
    if quiet or not sys.stderr.isatty():
        yield from results
        return
    failed = 0
    with tqdm(results, unit=unit, file=sys.stderr, dynamic_ncols=True) as bar:
        for result in bar:
            if isinstance(result, Failure):
                failed += 1
                bar.set_postfix(failed=failed, refresh=False)
            yield result


def record(results: Iterable[Article | Failure], store: Store, verbose: bool) -> Counter[str]:
    """Send every result to the store; return counts of 'cleaned' and of each failure reason."""
    counts: Counter[str] = Counter()
    log = logging.getLogger(_pkg)
    for result in results:
        if isinstance(result, Failure):
            store.fail(result)
            counts[f"{result.status}: {result.reason}"] += 1
            log.info("%s %s: %s", result.status, result.source, result.reason)
        else:
            store.add(result)
            counts["cleaned"] += 1
            log.info("cleaned %s (%d words)", result.source, result.word_count)
    return counts


def summarise(counts: Counter[str], noun: str = "cleaned") -> int:
    """Print the final summary to stderr; return the exit code for it."""
    done = counts.pop("cleaned", 0)
    failed = sum(n for key, n in counts.items() if key.startswith("failed"))
    skipped = sum(n for key, n in counts.items() if key.startswith("skipped"))
    line = f"{done} {noun}, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    click.echo(line, err=True)
    for reason, n in counts.most_common():
        click.echo(f"  {n:>6}  {reason}", err=True)
    return EXIT_FAILED if failed else EXIT_OK


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scraper")
@click.option("-v", "--verbose", is_flag=True, help="Log each input and its outcome to stderr.")
def cli(verbose: bool) -> None:
    """Clean article bodies out of news pages and newsletters.

    Saved pages and scraped text go through `clean`; URL lists through `crawl`.
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(message)s")


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", default="articles.db", show_default=True,
              help="Where results go, by suffix: .jsonl, .db/.sqlite, '-' (JSONL on stdout), else a folder of .md + .json.")
@click.option("--url", help="Page URL to use for every input (rules and metadata); default: the page's canonical or og:url.")
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False),
              help="Extra rule file (TOML); repeatable. Applied after the shipped rules.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="all cores",
              help="Worker processes.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def clean(inputs: tuple[str, ...], output: str, url: str | None, rules: tuple[str, ...], jobs: int,
          quiet: bool) -> None:
    """Clean saved pages and scraped text into articles.

    INPUTS are .html, .htm, .html.gz or .txt files, folders (searched recursively for those),
    or '-' for stdin. Every input ends as one article or one recorded failure with its reason;
    the summary goes to stderr. Exit code 1 when any input failed.
    """
    options = BatchOptions(clean=_clean_options(rules), url=url, jobs=jobs)
    items = (Input("-", sys.stdin.buffer.read()) if i == "-" else None for i in inputs)
    stdin_items = [i for i in items if i is not None]
    paths = [i for i in inputs if i != "-"]
    try:
        store = open_store(output, stdout=sys.stdout, stderr=sys.stderr)
    except (ScraperError, OSError) as exc:
        _fail_usage(f"cannot open output {output}: {getattr(exc, 'reason', exc)}")
    try:
        results = run_batch([*stdin_items, *find_inputs(paths)], options)
        counts = record(_progress(results, quiet, "page"), store, verbose=False)
    finally:
        store.close()
    sys.exit(summarise(counts))


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--explain", is_flag=True, help="Also list every removed block and the rule that removed it.")
@click.option("--url", help="Page URL to use for rules and metadata.")
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False), help="Extra rule file; repeatable.")
def show(file: str, explain: bool, url: str | None, rules: tuple[str, ...]) -> None:
    """Print the cleaned text of one page or text file (and with --explain, what was removed)."""
    options = BatchOptions(clean=_clean_options(rules), url=url)
    item = Input("-", sys.stdin.buffer.read()) if file == "-" else Input(file)
    from .pipeline import clean_input
    result = clean_input(item, options)
    if isinstance(result, Failure):
        click.echo(f"failed: {result.reason}", err=True)
        sys.exit(EXIT_FAILED)
    if result.title:
        click.echo(f"# {result.title}\n")
    click.echo(result.text)
    if explain:
        click.echo(f"\n--- removed ({len(result.removed)} blocks) ---")
        for removal in result.removed:
            click.echo(f"[{removal.stage}:{removal.rule}] {removal.text}")
        for note in result.reverted:
            click.echo(f"[safety net] {note}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="scraper")
