"""What every command shares: the `cli` group, exit codes, usage errors, progress bars, result
counting and the summary line, logging, and option types (sizes, record shapes)."""

from __future__ import annotations

import logging
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import click
from tqdm import tqdm

from scraper import __name__ as _pkg
from scraper.article import Article, Failure
from scraper.clean.cleaner import CleanOptions, cleaner_for
from scraper.errors import ScraperError
from scraper.sinks.base import write_result
from scraper.sinks.records import SHAPES as _SHAPES
from scraper.sinks.store import Store


EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _fail_usage(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _clean_options(rules: tuple[str, ...]) -> CleanOptions:
    options = CleanOptions(rule_files=tuple(rules))
    try:
        cleaner_for(options)  # built now, so a bad rule file is a usage error, not N failures
    except ScraperError as exc:
        _fail_usage(exc.reason)
    return options


def _progress(results: Iterable[Article | Failure], quiet: bool, unit: str,
              total: int | None = None) -> Iterator[Article | Failure]:
    if quiet or not sys.stderr.isatty():
        yield from results
        return
    failed: Counter[str] = Counter()
    with tqdm(results, unit=unit, file=sys.stderr, dynamic_ncols=True, total=total) as bar:
        for result in bar:
            if isinstance(result, Failure):
                failed[result.status] += 1
                bar.set_postfix(failed.most_common(), refresh=False)
            yield result


def _stored(results: Iterable[Article | Failure], store: Store) -> Iterator[Article | Failure]:
    for result in results:
        yield write_result(store, result)


def tally(results: Iterable[Article | Failure], counts: Counter[str] | None = None) -> Counter[str]:
    """Log every result (shown with -v); return counts of 'cleaned' and of each failure reason
    (kept in `counts` as they come, so an interrupted run can still say what it did)."""
    counts = Counter() if counts is None else counts
    log = logging.getLogger(_pkg)
    for result in results:
        if isinstance(result, Failure):
            counts[f"{result.status}: {result.reason}"] += 1
            log.info("%s %s: %s", result.status, result.source, result.reason)
        else:
            counts["cleaned"] += 1
            log.info("cleaned %s (%d words)", result.source, result.word_count)
    return counts


def record(results: Iterable[Article | Failure], store: Store,
           counts: Counter[str] | None = None) -> Counter[str]:
    """Send every result to the store; return counts of 'cleaned' and of each failure reason."""
    return tally(_stored(results, store), counts)


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


def _examples(*lines: str) -> str:
    """A help epilog: the example commands, one per line (`\\b` keeps click from rewrapping them)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(stream=sys.stderr, format="%(levelname)s %(message)s")
    logging.getLogger().setLevel(logging.INFO if verbose else logging.WARNING)
    # trafilatura warns about every page it finds too short; our summary already says so.
    logging.getLogger("trafilatura").setLevel(logging.INFO if verbose else logging.ERROR)


def _verbose_after_command(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        _configure_logging(True)


# Accepted after a subcommand as well as before it (`scraper -v crawl` and `scraper crawl -v`):
# users add it to the command they are already typing.
_VERBOSE_HELP = "Log each input and its outcome to stderr."
verbose_option = click.option("-v", "--verbose", is_flag=True, expose_value=False, is_eager=True,
                              callback=_verbose_after_command, help=_VERBOSE_HELP)


_CLI_EXAMPLES = _examples(
    "scraper clean saved-pages/ -o articles.jsonl",
    "scraper show page.html --explain",
    "scraper -v crawl urls.txt -o articles.db",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=_CLI_EXAMPLES)
@click.version_option(package_name="scraper")
@click.option("-v", "--verbose", is_flag=True, help=_VERBOSE_HELP)
def cli(verbose: bool) -> None:
    """Clean article bodies out of news pages and newsletters.

    Saved pages and scraped text go through `clean`; URL lists through `crawl`.
    """
    _configure_logging(verbose)


_record_shape_option = click.option(
    "--record-shape", type=click.Choice(_SHAPES), default="flat", show_default=True,
    help="JSONL/Parquet records: flat (every field at the top) or nested ({id, text, source, added, "
         "created, metadata}, as datatrove and dolma read them).")


def page_limit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--page-timeout` and `--max-memory`: the per-page limits `clean` and `crawl` share."""
    command = click.option(
        "--max-memory", default="2GB", show_default=True,
        help="Memory (address space) cleaning one page may take in its worker; a page that needs "
             "more is a recorded failure. 0: no limit.")(command)
    return click.option(
        "--page-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
        help="Seconds cleaning one page may take; a slower page is a recorded failure and its "
             "worker is replaced. 0: no limit.")(command)


_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(i?b)?", re.IGNORECASE)
_UNITS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def _limit(value: str) -> int | None:
    """A size flag where 0 means no limit (`--max-memory 0`): None for 0, else `_size`."""
    return None if str(value).strip() == "0" else _size(value)


def _size(value: str | int) -> int:
    """A byte count from "10M", "10MB", "10MiB", "10 mb", "512k", "1.5GB" or plain bytes.

    Multiples are binary however they are written (1K = 1KB = 1KiB = 1024 bytes), as in most
    tools' byte caps: one meaning for "10MB" beats a 5 % difference hidden in an "i".
    """
    match = _SIZE.fullmatch(str(value).strip())
    number, unit, suffix = (match[1], match[2].lower(), (match[3] or "").lower()) if match else ("", "", "")
    if not match or (not unit and ("." in number or suffix == "ib")):
        raise click.BadParameter(f"{value!r} is not a size such as 10MB, 10MiB, 512k or 1048576")
    size = int(Decimal(number) * 1024 ** _UNITS[unit])
    if size < 1:
        raise click.BadParameter(f"{value!r} is not a size of at least one byte")
    return size


class _Size(click.ParamType):
    """`_size` as an option type: `type=SIZE` gives a byte count or a usage error (exit 2)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return _size(value)
        except click.BadParameter as exc:
            self.fail(exc.message, param, ctx)


SIZE = _Size()


def _group(reason: str) -> str:
    """Reasons ending in a URL ("redirect loop: http://...") are grouped by their first part."""
    head, _, tail = reason.partition(": ")
    return head if "://" in tail else reason
