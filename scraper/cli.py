"""The `scraper` command: a thin layer that turns options into library calls and errors into messages.

Exit codes: 0 all inputs cleaned, 1 some inputs failed, 2 usage or configuration error.
"""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import click
from tqdm import tqdm

from . import __name__ as _pkg
from .article import Article, Failure
from .clean import CleanOptions, rulebook
from .crawl import Crawl, CrawlOptions
from .errors import RecordError, ScraperError
from .fetch import DEFAULT_USER_AGENT, FetchOptions
from .evaluate import EvalOptions, default_systems, evaluate, render_markdown
from .pipeline import BatchOptions, Input, clean_input, find_inputs, learn_rule_file, run_batch
from .sources import FORMATS, RecordOptions, SourceOptions, open_sources
from .newsletters import MailOptions
from .templates import TemplateLearner
from .outfiles import reason_of
from .sinks import SinkOptions
from .sinks.dedupe import MODES as _DEDUPE_MODES
from .sinks.parquet import ParquetOptions
from .sinks.records import SHAPES as _SHAPES
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
        if isinstance(result, Failure):
            store.fail(result)
        else:
            try:
                store.add(result)
            except RecordError as exc:  # a value the format cannot hold: this record's failure
                result = Failure.of(result.source or result.url or "", exc, result.url)
                store.fail(result)
        yield result


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


_CLEAN_EXAMPLES = _examples(
    "scraper clean saved-pages/ -o articles.jsonl",
    "scraper clean page.html.gz --url https://example.com/news/a -o -",
    "curl -s https://example.com/news/a | scraper clean - --url https://example.com/news/a -o out.db",
    "scraper clean -v newsletters/ --rules my-rules.toml -o newsletters/",
    "scraper clean inbox.mbox ~/Maildir/newsletters -o articles.jsonl --split-digest",
    "scraper clean crawl.warc.gz -o articles.jsonl",
    "zstdcat pages.jsonl.zst | scraper clean - -o - --html-field content > articles.jsonl",
    "scraper clean saved-pages/ -o corpus/pages.parquet --record-shape nested --dedupe near",
    "scraper clean saved-pages/ --dask local:4 -o parts/      # again: skips finished parts",
)


@cli.command(epilog=_CLEAN_EXAMPLES)
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", default="articles.db", show_default=True,
              help="Where results go, by suffix: .jsonl, .jsonl.gz, .jsonl.zst, .parquet, .db/.sqlite, '-' (JSONL "
                   "on stdout), else a folder of .md + .json. A re-run adds new sources and replaces "
                   "re-cleaned ones.")
@click.option("--url", help="Page URL to use for every input (rules and metadata); default: the page's canonical "
                            "or og:url. Also the source of a page read from stdin.")
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False),
              help="Extra rule file (TOML); repeatable. Applied after the shipped rules.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="all cores",
              help="Worker processes.")
@click.option("--max-bytes", default="10MB", show_default=True,
              help="Largest page, counted after decompression; a larger one is a recorded failure.")
@click.option("--page-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds one page may take; a slower one is a recorded failure and its worker is "
                   "replaced. 0: no limit.")
@click.option("--max-memory", default="2GB", show_default=True,
              help="Memory (address space) one page may take in its worker; a page that needs more is a "
                   "recorded failure. 0: no limit.")
@click.option("--no-learn", is_flag=True,
              help="Do not learn site templates (blocks that recur on most pages of a site) from this "
                   "batch and from earlier runs into the same output.")
@click.option("--split-digest", is_flag=True,
              help="E-mails: one record per story of a briefing (heading = title, its read-more link = url).")
@click.option("--input-format", type=click.Choice(FORMATS), default="auto", show_default=True,
              help="How to read every input: auto = by suffix (.warc[.gz], .jsonl[.gz|.zst], .parquet, "
                   "else pages), stdin sniffed (WARC, JSONL, an e-mail or mbox, else one page).")
@click.option("--html-field", default="html", show_default=True, help="JSONL/Parquet: the field holding the page.")
@click.option("--url-field", default="url", show_default=True, help="JSONL/Parquet: the field holding its URL.")
@_record_shape_option
@click.option("--dedupe", type=click.Choice(_DEDUPE_MODES),
              help="Flag duplicates within the job in `duplicate_of` (the first record's id): exact = same "
                   "content_hash; near = also MinHash LSH, word 5-shingles, Jaccard >= 0.7.")
@click.option("--parquet-file-size", default="512MB", show_default=True,
              help="A .parquet output starts a new file (out-00000.parquet, ...) past this size.")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Run on a Dask cluster: local:N starts N worker processes on this machine, tcp://HOST:PORT "
                   "uses a running scheduler. OUTPUT is then a folder of parts, each with a completion marker; "
                   "a re-run skips finished parts.")
@click.option("--partition-size", type=click.IntRange(min=1), default=200, show_default=True,
              help="With --dask: inputs per partition (one task, one output part).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@verbose_option
def clean(inputs: tuple[str, ...], output: str, url: str | None, rules: tuple[str, ...], jobs: int,
          max_bytes: str, page_timeout: float, max_memory: str, no_learn: bool, split_digest: bool,
          input_format: str, html_field: str, url_field: str, record_shape: str, dedupe: str | None,
          parquet_file_size: str, dask_address: str | None, partition_size: int, quiet: bool) -> None:
    """Clean saved pages, scraped text and newsletter e-mails into articles.

    INPUTS are .html, .htm, .html.gz or .txt files, .eml files, mbox files, Maildir folders,
    folders (searched recursively for those, symlinked folders included), WARC files (.warc,
    .warc.gz: HTML responses; other records are counted as skipped), JSON Lines (.jsonl, .gz,
    .zst) and Parquet files (one page per record, other fields passed through), or '-' for stdin
    (a WARC or JSONL stream is cleaned record by record; an e-mail or an mbox is recognised).
    Every input (every message or record) ends as one article or one recorded failure with its
    reason; the summary goes to stderr. Exit code 1 when any input failed, 130 when interrupted
    (what was done so far is kept). Record inputs and streams turn template learning off.
    """
    limits: dict[str, int | None] = {}
    for flag, value, read in (("--max-bytes", max_bytes, _size), ("--max-memory", max_memory, _limit),
                              ("--parquet-file-size", parquet_file_size, _size)):
        try:
            limits[flag] = read(value)
        except click.BadParameter as exc:
            _fail_usage(f"{flag}: {exc.message}")
    if limits["--max-bytes"] <= 0:
        _fail_usage("--max-bytes: must be more than 0")
    clean_options = replace(_clean_options(rules), max_bytes=limits["--max-bytes"])
    source_options = SourceOptions(input_format, RecordOptions(html_field, url_field, max_bytes=limits["--max-bytes"]), url)
    if input_format == "parquet" and "-" in inputs:
        _fail_usage("Parquet cannot be read from stdin (it needs a seekable file); give its path")
    if dask_address is not None:
        _clean_on_cluster(inputs, output, BatchOptions(
            clean=clean_options, url=url, jobs=1, learn_templates=not no_learn,
            page_timeout=page_timeout or None, max_memory=limits["--max-memory"] or None,
            mail=MailOptions(split_digest=split_digest)), dask_address, partition_size, quiet)
    try:
        sink_options = SinkOptions(shape=record_shape, dedupe=dedupe,  # type: ignore[arg-type]
                                   parquet=ParquetOptions(file_size=limits["--parquet-file-size"]))
        store = open_store(output, stdout=sys.stdout, stderr=sys.stderr, options=sink_options)
    except ScraperError as exc:
        _fail_usage(exc.reason)
    try:  # after the store: its lock is taken before stdin is waited for (sniffed)
        sources = open_sources(inputs, source_options, sys.stdin.buffer if "-" in inputs else None)
    except ScraperError as exc:
        store.close()
        _fail_usage(exc.reason)
    # Record inputs carry their pages' bytes: learning (two passes) would hold them all.
    options = BatchOptions(clean=clean_options, url=url, jobs=jobs,
                           learn_templates=not no_learn and not sources.holds_records,
                           page_timeout=page_timeout or None, max_memory=limits["--max-memory"] or None,
                           mail=MailOptions(split_digest=split_digest))
    counts: Counter[str] = Counter()
    interrupted = False
    write_error: OSError | None = None
    try:
        learner = TemplateLearner(options.templates) if options.learn_templates else None
        if learner is not None:
            learner.load(store)
        results = run_batch(iter(sources), options, learner)
        try:
            record(_progress(results, quiet, "page"), store, counts)
        finally:
            results.close()  # stops the worker processes at once when interrupted
            counts.update({f"skipped: {reason}": n for reason, n in sources.skipped.items()})
        if learner is not None:
            learner.save(store)
    except KeyboardInterrupt:
        interrupted = True
    except OSError as exc:  # the disk filled up or the output went away mid-run
        write_error = exc
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the output short
        try:
            store.close()
        except OSError as exc:
            write_error = write_error or exc
        finally:
            signal.signal(signal.SIGINT, previous)
    if write_error is not None:
        _fail_usage(f"cannot write output {output}: {reason_of(write_error)}")
    if interrupted:
        click.echo(f"interrupted: what was done so far is saved in {output}", err=True)
        summarise(counts)
        sys.exit(130)
    sys.exit(summarise(counts))


def _clean_on_cluster(inputs: tuple[str, ...], output: str, options: BatchOptions, address: str,
                      size: int, quiet: bool) -> None:
    """`clean --dask`: every partition without a marker runs on the cluster (one page at a time
    per worker process); the summary covers the whole job, earlier runs' partitions included."""
    from .run.dask import DaskExecutor
    from .run.partitions import partitions, run_partitions

    if "-" in inputs or output == "-" or output.endswith((".jsonl", ".db", ".sqlite", ".sqlite3")):
        _fail_usage("--dask reads files and writes a folder of parts: give input paths and -o FOLDER")
    counts: Counter[str] = Counter()
    ran = earlier = 0
    try:
        parts = partitions(list(inputs), size)
        _quiet_dask()
        with DaskExecutor(address) as executor:  # started only if a partition is left to run
            results = run_partitions(parts, options, output, executor)
            for _, part_counts, now in _progress_parts(results, quiet, total=len(parts)):
                counts.update(part_counts)
                ran, earlier = ran + now, earlier + (not now)
    except ScraperError as exc:
        _fail_usage(exc.reason)
    except OSError as exc:
        _fail_usage(f"cannot write output {output}: {reason_of(exc)}")
    click.echo(f"{len(parts)} partitions: {ran} run now, {earlier} done before (in {output})", err=True)
    sys.exit(summarise(counts))


def _quiet_dask() -> None:
    """Dask logs each step of a cluster's life at INFO, on loggers of its own levels: only its
    warnings go with ours."""
    try:
        import distributed  # noqa: F401  (its loggers exist once it is imported)
    except ImportError:
        return  # DaskExecutor says what to install
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.WARNING)


def _progress_parts(results: Iterable[Any], quiet: bool, total: int) -> Iterator[Any]:
    if quiet or not sys.stderr.isatty():
        yield from results
        return
    yield from tqdm(results, unit="partition", file=sys.stderr, dynamic_ncols=True, total=total)


_SHOW_EXAMPLES = _examples(
    "scraper show page.html",
    "scraper show page.html --explain --url https://example.com/news/a",
    "scraper show - < newsletter.txt",
)


@cli.command(epilog=_SHOW_EXAMPLES)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--explain", is_flag=True, help="Also list every removed block and the rule that removed it.")
@click.option("--url", help="Page URL to use for rules and metadata.")
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False), help="Extra rule file; repeatable.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the page's review (what was removed and why) to this self-contained HTML file.")
@verbose_option
def show(file: str, explain: bool, url: str | None, rules: tuple[str, ...], html_out: str | None) -> None:
    """Print the cleaned text of one page, text file or e-mail (and with --explain, what was
    removed); an mbox prints each of its messages.

    Exit code 1 when a page or message yields no article (the reason goes to stderr).
    """
    options = BatchOptions(clean=_clean_options(rules), url=url)
    item = Input("-", sys.stdin.buffer.read()) if file == "-" else file
    failed = False
    for n, message in enumerate(find_inputs([item])):
        try:
            result = clean_input(message, options)
        except Exception as exc:  # noqa: BLE001  (a bug met on this page: said as its failure)
            logging.getLogger(_pkg).info("where the internal error happened", exc_info=exc)
            result = Failure.of(message.source, exc)
        in_mailbox = message.source not in (file, "-")
        if in_mailbox:
            click.echo(f"{chr(10) if n else ''}=== {message.source} ===\n")
        if isinstance(result, Failure):
            click.echo(f"failed: {message.source}: {result.reason}" if in_mailbox else f"failed: {result.reason}", err=True)
            failed = True
            continue
        assert not isinstance(result, tuple)  # show never splits digests
        if html_out is not None:
            _show_html(message, result, options, html_out)
            return
        if result.title:
            click.echo(f"# {result.title}\n")
        click.echo(result.text)
        if explain:
            click.echo(f"\n--- removed ({len(result.removed)} blocks) ---")
            for removal in result.removed:
                click.echo(f"[{removal.stage}:{removal.rule}] {removal.text}")
            for note in result.reverted:
                click.echo(f"[safety net] {note}")
            for warning in result.warnings:
                click.echo(f"[warning] {warning}")
    if failed:
        sys.exit(EXIT_FAILED)


def _show_html(item: Input, article: Article, options: BatchOptions, target: str) -> None:
    from .pipeline import read_input
    from .review import page_document, page_item
    data = read_input(item, options.clean.max_bytes)
    is_text = item.source.lower().endswith((".txt", ".txt.gz")) or not data.lstrip()[:1] == b"<"
    try:
        document = page_document(page_item(article, data, is_text), options.clean)
    except ScraperError as exc:
        click.echo(f"failed: {exc.reason}", err=True)
        sys.exit(EXIT_FAILED)
    if target == "-":
        click.echo(document, nl=False)
    else:
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(document)
        click.echo(f"wrote {target}", err=True)


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


def _load(job: Crawl, urls: str) -> None:
    """Stream the list into the job, unless this very file (same size and time) is already in."""
    if urls == "-":
        read, new = job.load(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace"))
    else:
        info = os.stat(urls)
        signature = f"{os.path.abspath(urls)}|{info.st_size}|{info.st_mtime_ns}"
        if job.state.get("list") == signature:
            return
        with open(urls, encoding="utf-8", errors="replace") as fh:
            read, new = job.load(fh)
        job.state.set("list", signature)
        job.state.commit()
    logging.getLogger(_pkg).info("read %d URLs, %d new to this job", read, new)


def _group(reason: str) -> str:
    """Reasons ending in a URL ("redirect loop: http://...") are grouped by their first part."""
    head, _, tail = reason.partition(": ")
    return head if "://" in tail else reason


def _job_counts(job: Crawl) -> Counter[str]:
    counts: Counter[str] = Counter({"cleaned": job.state.counts()["done"]})
    for status, reason, n in job.state.reasons():
        counts[f"{status}: {_group(reason or 'unknown')}"] += n
    return counts


_CRAWL_EXAMPLES = _examples(
    "scraper crawl urls.txt -o articles.jsonl",
    "scraper crawl urls.txt -o articles.jsonl            # again: resumes where it stopped",
    "scraper crawl -v urls.txt -o out.db --delay 2 --max-bytes 5MiB --save-html raw/",
    "scraper crawl urls.txt -o out.db --retry-failed",
    "scraper crawl urls.txt --dask local:4 -o crawl-parts/   # again: each part resumes",
)


@cli.command(epilog=_CRAWL_EXAMPLES)
@click.argument("urls", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("-o", "--output", default="articles.db", show_default=True,
              help="Where results go, exactly as for `clean` (.jsonl, .db/.sqlite, '-', else a folder).")
@click.option("--state", "state_path", type=click.Path(dir_okay=False),
              help="State database that makes the job resumable.  [default: <OUTPUT>.state.db]")
@click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Minimum seconds between request starts on one host; "
                   "robots.txt Crawl-delay wins if longer.")
@click.option("--per-host", type=click.IntRange(min=1), default=1, show_default=True,
              help="Requests in flight at once on one host (host = host:port).")
@click.option("--concurrency", type=click.IntRange(min=1), default=16, show_default=True,
              help="Requests in flight at once overall.")
@click.option("--user-agent", default=DEFAULT_USER_AGENT, show_default=True, help="User-Agent header.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              help="Seconds one attempt may take in all: DNS, connect, headers, body and redirect hops "
                   "(retry and politeness waits not counted). A timed-out attempt is not retried.")
@click.option("--robots-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="The same bound for a robots.txt fetch; on timeout the host has no rules.")
@click.option("--max-crawl-delay", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Longest robots.txt Crawl-delay honoured, seconds; a longer one is capped (and logged).")
@click.option("--max-retry-after", type=click.FloatRange(min=0), default=120.0, show_default=True,
              help="Longest wait a Retry-After header can ask for before a retry, seconds.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Retries on connection errors, 429 and 5xx "
                   "(exponential backoff with jitter; Retry-After honoured).")
@click.option("--max-redirects", type=click.IntRange(min=0), default=5, show_default=True,
              help="Redirects followed per URL; every hop is checked like the first URL.")
@click.option("--max-bytes", default="10MB", show_default=True,
              help="Largest body read, counted after decompression; a larger page is a recorded failure. "
                   "Sizes: 10MB, 10M, 10MiB, 512k, 1.5GB or bytes (binary multiples: 1K = 1024).")
@click.option("--ignore-robots", is_flag=True, help="Do not fetch or obey robots.txt.")
@click.option("--allow-private", is_flag=True,
              help="Allow hosts on loopback, private, link-local and other non-public addresses.")
@click.option("--retry-failed", is_flag=True, help="Try the job's failed URLs again (skipped ones stay).")
@click.option("--save-html", type=click.Path(file_okay=False),
              help="Also keep each raw page in this folder (with index.jsonl), for `scraper clean` later.")
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False),
              help="Extra rule file (TOML); repeatable.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default="all cores", help="Cleaning worker processes.")
@click.option("--page-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds cleaning one page may take; a slower page is a recorded failure and its worker "
                   "is replaced. 0: no limit.")
@click.option("--max-memory", default="2GB", show_default=True,
              help="Memory (address space) cleaning one page may take in its worker; a page that needs more "
                   "is a recorded failure. 0: no limit.")
@click.option("--no-learn", is_flag=True,
              help="Do not learn site templates (blocks that recur on most pages of a site); by default the "
                   "first pages of a site are held back until its template is decided.")
@click.option("--load-only", is_flag=True, help="Load the URL list into the state database and stop.")
@_record_shape_option
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Run on a Dask cluster (local:N or tcp://HOST:PORT): URLs are split by registered domain "
                   "into partitions, each crawled by one worker (one cleaning process) with its own state; OUTPUT is "
                   "a folder.")
@click.option("--partitions", type=click.IntRange(min=1), default=16, show_default=True,
              help="With --dask: how many partitions; keep it when resuming.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@verbose_option
def crawl(urls: str, output: str, state_path: str | None, delay: float, per_host: int, concurrency: int,
          user_agent: str, timeout: float, robots_timeout: float, max_crawl_delay: float,
          max_retry_after: float, retries: int, max_redirects: int, max_bytes: str,
          ignore_robots: bool, allow_private: bool, retry_failed: bool, save_html: str | None,
          rules: tuple[str, ...], jobs: int, page_timeout: float, max_memory: str, no_learn: bool,
          load_only: bool, record_shape: str, dask_address: str | None, partitions: int, quiet: bool) -> None:
    """Fetch and clean every URL of a list, politely and resumably.

    URLS is a file with one URL per line (blank lines and # comments ignored), or '-' for stdin.
    URLs are normalised and de-duplicated; robots.txt is obeyed. Every URL ends as one article
    or one failure or skip with its reason. Run the same command again to resume a killed or
    interrupted job. Exit code 1 when any URL of the job failed.
    """
    try:
        fetch = FetchOptions(user_agent=user_agent, connect_timeout=timeout, read_timeout=timeout,
                             total_timeout=timeout, robots_timeout=robots_timeout,
                             max_crawl_delay=max_crawl_delay, retry_after_cap=max_retry_after,
                             retries=retries, max_redirects=max_redirects,
                             max_bytes=_size(max_bytes), allow_private=allow_private)
    except click.BadParameter as exc:
        _fail_usage(f"--max-bytes: {exc.message}")
    try:
        memory = _limit(max_memory)
    except click.BadParameter as exc:
        _fail_usage(f"--max-memory: {exc.message}")
    clean_options = replace(_clean_options(rules), max_bytes=fetch.max_bytes)  # one size limit, as for `clean`
    options = CrawlOptions(fetch=fetch, clean=clean_options, delay=delay, per_host=per_host,
                           concurrency=concurrency, ignore_robots=ignore_robots,
                           retry_failed=retry_failed, save_html=save_html, jobs=jobs,
                           learn_templates=not no_learn, page_timeout=page_timeout or None,
                           max_memory=memory or None)
    if dask_address is not None:
        _crawl_on_cluster(urls, output, replace(options, jobs=1), dask_address, partitions, state_path, quiet)
    if output == "-" and state_path is None:
        _fail_usage("-o - needs --state PATH (where the crawl remembers what is done)")
    try:
        store = open_store(output, stdout=sys.stdout, stderr=sys.stderr,
                           options=SinkOptions(shape=record_shape))  # type: ignore[arg-type]
    except ScraperError as exc:
        _fail_usage(exc.reason)
    if not store.resumable:
        store.close()
        _fail_usage(f"a crawl cannot resume into {output}: crawl into .jsonl, .db or a folder, then convert")
    try:
        with Crawl(store, options, state_path) as job:
            _load(job, urls)
            sys.exit(_run_job(job, load_only, quiet))
    except ScraperError as exc:
        _fail_usage(exc.reason)
    finally:
        store.close()


def _crawl_on_cluster(urls: str, output: str, options: CrawlOptions, address: str, count: int,
                      state_path: str | None, quiet: bool) -> None:
    """`crawl --dask`: each partition of the URLs is a crawl job of its own on the cluster; the
    summary merges them all."""
    from .run.crawlparts import domain_partitions, run_crawl_partitions
    from .run.dask import DaskExecutor

    if output == "-" or output.endswith((".jsonl", ".db", ".sqlite", ".sqlite3")) or state_path:
        _fail_usage("--dask writes a folder of parts, each with its own state: give -o FOLDER, no --state")
    counts: Counter[str] = Counter()
    try:
        with click.open_file(urls, encoding="utf-8", errors="replace") as fh:
            parts = domain_partitions(fh, count)
        _quiet_dask()
        with DaskExecutor(address) as executor:
            results = run_crawl_partitions(parts, options, output, executor)
            for _, part_counts in _progress_parts(results, quiet, total=len(parts)):
                for key, n in part_counts.items():
                    status, _, reason = key.partition(": ")
                    counts[f"{status}: {_group(reason)}" if reason else key] += n
    except ScraperError as exc:
        _fail_usage(exc.reason)
    except OSError as exc:
        _fail_usage(f"cannot write output {output}: {reason_of(exc)}")
    click.echo(f"{len(parts)} partitions by registered domain (in {output})", err=True)
    sys.exit(summarise(counts))


def _run_job(job: Crawl, load_only: bool, quiet: bool) -> int:
    """Prepare, say what will happen, crawl with a progress bar, summarise the whole job."""
    status = job.prepare()
    c = status.counts
    total, pending = sum(c.values()), c["pending"]
    if load_only:
        click.echo(f"{total} URLs in this job, {pending} pending", err=True)
        return EXIT_OK
    if pending == 0:
        line = (f"nothing to do: all {total} URLs of this job are done "
                f"({c['done']} cleaned, {c['failed']} failed")
        line += f", {c['skipped']} skipped)" if c["skipped"] else ")"
        if c["failed"]:
            line += "; use --retry-failed to try failures again"
        click.echo(line, err=True)
        return EXIT_FAILED if c["failed"] else EXIT_OK
    if status.resumed:
        click.echo(f"resuming the crawl into {status.output}: {total - pending} of {total} URLs done, "
                   f"{pending} to go" + (f" ({status.retried} failed ones again)" if status.retried else ""),
                   err=True)
    results = job.run()
    try:
        tally(_progress(results, quiet, "url", total=pending))
    except KeyboardInterrupt:
        results.close()
        left = job.state.counts()["pending"]
        click.echo(f"interrupted: {left} URLs pending; run the same command again to resume", err=True)
        return 130
    finally:
        results.close()
    return summarise(_job_counts(job))


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
            from .crossval import cross_validate
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
        from .crossval import render_crossval
        click.echo(render_crossval(crossval))


_RULES_EXAMPLES = _examples(
    "scraper rules learn saved/example.com/ -o example-com.toml",
    "scraper clean saved/example.com/ --rules example-com.toml -o articles.jsonl",
)


@cli.group(name="rules", epilog=_RULES_EXAMPLES)
@verbose_option
def rules_group() -> None:
    """Work with rule files.
    """


_LEARN_EXAMPLES = _examples(
    "scraper rules learn saved/example.com/ -o example-com.toml",
    "scraper rules learn a.html b.html c.html --site example.com",
)


@rules_group.command(name="learn", epilog=_LEARN_EXAMPLES)
@click.argument("inputs", nargs=-1, required=True)
@click.option("--site", help="The site (domain) to learn; default: the one site the pages belong to.")
@click.option("-o", "--output", default="-", show_default=True, help="Where the rule file goes; '-' for stdout.")
@verbose_option
def rules_learn(inputs: tuple[str, ...], site: str | None, output: str) -> None:
    """Learn a site's template from saved pages of it and write it as a reviewable rule file.

    INPUTS are saved pages or folders of them (at least three pages of the site). The file lists
    each block that recurs on most pages, with how often it was seen; load it with --rules.
    """
    try:
        text = learn_rule_file(list(inputs), site)
    except ScraperError as exc:
        _fail_usage(exc.reason)
    if output == "-":
        click.echo(text, nl=False)
    else:
        from pathlib import Path
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


_REVIEW_EXAMPLES = _examples(
    "scraper clean fixtures/pages -o articles.db && scraper review articles.db -o review/",
    "scraper review crawled.jsonl --html saved-pages/ -o review/",
    "scraper review page.html other-pages/ -o review/",
)


@cli.command(name="review", epilog=_REVIEW_EXAMPLES)
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", default="review", show_default=True,
              help="Folder for the report (index.html + one file per page); an earlier review there is replaced.")
@click.option("--saved-html", "saved_html", type=click.Path(file_okay=False, exists=True),
              help="Folder of raw pages kept by `crawl --save-html`, for the reading order and the "
                   "trafilatura-alone view of crawled pages (nothing is ever refetched).")
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False),
              help="Extra rule file (TOML) the pages were cleaned with; repeatable.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default="all cores", help="Worker processes.")
@click.option("--no-learn", is_flag=True, help="Pages given directly: do not learn site templates.")
@verbose_option
def review_command(inputs: tuple[str, ...], output: str, saved_html: str | None, rules: tuple[str, ...],
                   jobs: int, no_learn: bool) -> None:
    """Write an HTML review of what was removed from each page, and why.

    INPUTS are stores written by `clean` or `crawl` (.db/.sqlite, .jsonl) or pages and folders,
    cleaned on the fly. The report opens from file:// with no server and no network.
    """
    from .review import ReviewOptions, write_review
    options = ReviewOptions(clean=_clean_options(rules), saved_html=saved_html, jobs=jobs,
                            learn_templates=not no_learn)
    try:
        result = write_review(inputs, output, options)
    except ScraperError as exc:
        _fail_usage(exc.reason)
    if result.pages == 0:
        _fail_usage("nothing to review: give .db/.jsonl outputs of clean or crawl, pages, or folders of pages")
    click.echo(f"{result.pages} pages ({result.failed} failed) reviewed in {result.seconds:.1f} s: "
               f"{result.index.resolve().as_uri()}", err=True)


_CHECK_EXAMPLES = _examples(
    "scraper rules check my-site.toml",
    "scraper rules check my-site.toml fixtures/pages/wordpress-sourdough.html saved-pages/",
)


@rules_group.command(name="check", epilog=_CHECK_EXAMPLES)
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("pages", nargs=-1)
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False),
              help="Other rule files the file is used with; repeatable.")
@verbose_option
def rules_check(file: str, pages: tuple[str, ...], rules: tuple[str, ...]) -> None:
    """Validate a rule file and say what it would change on PAGES (files or folders).

    Checks TOML syntax, unknown keys, regexes (they compile, and none runs away on adversarial
    text), selectors and `disable` names. Exit code 1 when the file has problems.
    """
    from .review import CheckOptions, check_rule_file
    report = check_rule_file(file, list(pages), CheckOptions(clean=_clean_options(rules)))
    for line in report.problems:
        click.echo(f"error: {line}")
    for line in report.warnings:
        click.echo(f"warning: {line}")
    for line in report.changes:
        click.echo(line)
    status = f"{len(report.problems)} problem(s)" if report.problems else "ok"
    click.echo(f"{file}: {report.rules} rule(s), {status}", err=True)
    sys.exit(EXIT_FAILED if report.problems else EXIT_OK)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="scraper")
