"""`scraper clean` (a batch of pages, files or record streams) and `scraper show` (one page)."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections import Counter
from dataclasses import replace

import click

from scraper import __name__ as _pkg
from scraper.article import Article, Failure
from scraper.errors import ScraperError
from scraper.run.batch import BatchOptions, Input, clean_input, find_inputs, run_batch
from scraper.sources import FORMATS, RecordOptions, SourceOptions, open_sources
from scraper.newsletters import MailOptions
from scraper.learn.templates import TemplateLearner
from scraper.sinks.outfiles import reason_of
from scraper.sinks import SinkOptions
from scraper.sinks.dedupe import MODES as _DEDUPE_MODES
from scraper.sinks.parquet import ParquetOptions
from scraper.sinks.store import open_store
from scraper.cli.base import (
    EXIT_FAILED, _clean_options, cli, _examples, _fail_usage, _limit, _progress, record,
    _record_shape_option, _size, page_limit_options, summarise, verbose_option,
)
from scraper.cli.cluster import _clean_on_cluster


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
@page_limit_options
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
    if output != "-" and any(i != "-" and os.path.realpath(i) == os.path.realpath(output) for i in inputs):
        _fail_usage(f"{output} is both an input and the output; write the output elsewhere")
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
    # Learning holds a site's first pages (bytes and all) until the site decides its template:
    # a stream would stall on them, so record inputs (archives of many small sites) go without.
    options = BatchOptions(clean=clean_options, url=url, jobs=jobs,
                           learn_templates=not no_learn and not sources.holds_records,
                           page_timeout=page_timeout or None, max_memory=limits["--max-memory"] or None,
                           mail=MailOptions(split_digest=split_digest))
    counts: Counter[str] = Counter()
    interrupted = False
    write_error: OSError | None = None
    job_error: ScraperError | None = None
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
    except ScraperError as exc:  # the job as a whole (its worker pool) broke, not one page
        job_error = exc
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
    if job_error is not None:
        _fail_usage(f"the job stopped: {job_error.reason}; what was done so far is saved in {output}")
    if interrupted:
        click.echo(f"interrupted: what was done so far is saved in {output}", err=True)
        summarise(counts)
        sys.exit(130)
    sys.exit(summarise(counts))


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
    from scraper.run.batch import read_input
    from scraper.review import page_document, page_item
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
