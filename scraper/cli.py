"""The `scraper` command: a thin layer that turns options into library calls and errors into messages.

Exit codes: 0 all inputs cleaned, 1 some inputs failed, 2 usage or configuration error.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator

import click
from tqdm import tqdm

from . import __name__ as _pkg
from .article import Article, Failure
from .clean import CleanOptions, rulebook
from .crawl import Crawl, CrawlOptions
from .errors import ScraperError
from .fetch import DEFAULT_USER_AGENT, FetchOptions
from .evaluate import EvalOptions, default_systems, evaluate, render_markdown
from .pipeline import BatchOptions, Input, clean_input, find_inputs, run_batch
from .templates import TemplateLearner, learn_rule_file
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
            store.add(result)
        yield result


def tally(results: Iterable[Article | Failure]) -> Counter[str]:
    """Log every result (shown with -v); return counts of 'cleaned' and of each failure reason."""
    counts: Counter[str] = Counter()
    log = logging.getLogger(_pkg)
    for result in results:
        if isinstance(result, Failure):
            counts[f"{result.status}: {result.reason}"] += 1
            log.info("%s %s: %s", result.status, result.source, result.reason)
        else:
            counts["cleaned"] += 1
            log.info("cleaned %s (%d words)", result.source, result.word_count)
    return counts


def record(results: Iterable[Article | Failure], store: Store) -> Counter[str]:
    """Send every result to the store; return counts of 'cleaned' and of each failure reason."""
    return tally(_stored(results, store))


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
    # trafilatura warns about every page it finds too short; our summary already says so.
    logging.getLogger("trafilatura").setLevel(logging.INFO if verbose else logging.ERROR)


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", default="articles.db", show_default=True,
              help="Where results go, by suffix: .jsonl, .db/.sqlite, '-' (JSONL on stdout), else a folder of .md + .json.")
@click.option("--url", help="Page URL to use for every input (rules and metadata); default: the page's canonical or og:url.")
@click.option("--rules", "rules", multiple=True, type=click.Path(dir_okay=False),
              help="Extra rule file (TOML); repeatable. Applied after the shipped rules.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="all cores",
              help="Worker processes.")
@click.option("--no-learn", is_flag=True,
              help="Do not learn site templates (blocks that recur on most pages of a site) from this "
                   "batch and from earlier runs into the same output.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def clean(inputs: tuple[str, ...], output: str, url: str | None, rules: tuple[str, ...], jobs: int,
          no_learn: bool, quiet: bool) -> None:
    """Clean saved pages and scraped text into articles.

    INPUTS are .html, .htm, .html.gz or .txt files, folders (searched recursively for those),
    or '-' for stdin. Every input ends as one article or one recorded failure with its reason;
    the summary goes to stderr. Exit code 1 when any input failed.
    """
    options = BatchOptions(clean=_clean_options(rules), url=url, jobs=jobs, learn_templates=not no_learn)
    stdin_items = [Input("-", sys.stdin.buffer.read())] if "-" in inputs else []
    paths = [i for i in inputs if i != "-"]
    try:
        store = open_store(output, stdout=sys.stdout, stderr=sys.stderr)
    except (ScraperError, OSError) as exc:
        _fail_usage(f"cannot open output {output}: {getattr(exc, 'reason', exc)}")
    learner = TemplateLearner(options.templates) if options.learn_templates else None
    try:
        if learner is not None:
            learner.load(store)
        results = run_batch([*stdin_items, *find_inputs(paths)], options, learner)
        counts = record(_progress(results, quiet, "page"), store)
        if learner is not None:
            learner.save(store)
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
        for warning in result.warnings:
            click.echo(f"[warning] {warning}")


def _size(value: str | int) -> int:
    """A byte count from "10MB", "512KB", "2 GB" or plain bytes."""
    text = str(value).strip().upper().replace(" ", "")
    for suffix, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)):
        if text.endswith(suffix) and text[: -len(suffix)].isdigit():
            return int(text[: -len(suffix)]) * factor
    if text.isdigit():
        return int(text)
    raise click.BadParameter(f"{value!r} is not a size such as 10MB, 512KB or 1048576")


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


@cli.command()
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
              help="Connect and read timeouts, seconds.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Retries on connection errors, 429 and 5xx "
                   "(exponential backoff with jitter; Retry-After honoured).")
@click.option("--max-redirects", type=click.IntRange(min=0), default=5, show_default=True,
              help="Redirects followed per URL; every hop is checked like the first URL.")
@click.option("--max-bytes", default="10MB", show_default=True,
              help="Largest body read; a larger page is a recorded failure.")
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
@click.option("--no-learn", is_flag=True,
              help="Do not learn site templates (blocks that recur on most pages of a site); by default the "
                   "first pages of a site are held back until its template is decided.")
@click.option("--load-only", is_flag=True, help="Load the URL list into the state database and stop.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def crawl(urls: str, output: str, state_path: str | None, delay: float, per_host: int, concurrency: int,
          user_agent: str, timeout: float, retries: int, max_redirects: int, max_bytes: str,
          ignore_robots: bool, allow_private: bool, retry_failed: bool, save_html: str | None,
          rules: tuple[str, ...], jobs: int, no_learn: bool, load_only: bool, quiet: bool) -> None:
    """Fetch and clean every URL of a list, politely and resumably.

    URLS is a file with one URL per line (blank lines and # comments ignored), or '-' for stdin.
    URLs are normalised and de-duplicated; robots.txt is obeyed. Every URL ends as one article
    or one failure or skip with its reason. Run the same command again to resume a killed or
    interrupted job. Exit code 1 when any URL of the job failed.
    """
    try:
        fetch = FetchOptions(user_agent=user_agent, connect_timeout=timeout, read_timeout=timeout,
                             retries=retries, max_redirects=max_redirects,
                             max_bytes=_size(max_bytes), allow_private=allow_private)
    except click.BadParameter as exc:
        _fail_usage(f"--max-bytes: {exc.message}")
    options = CrawlOptions(fetch=fetch, clean=_clean_options(rules), delay=delay, per_host=per_host,
                           concurrency=concurrency, ignore_robots=ignore_robots,
                           retry_failed=retry_failed, save_html=save_html, jobs=jobs,
                           learn_templates=not no_learn)
    if output == "-" and state_path is None:
        _fail_usage("-o - needs --state PATH (where the crawl remembers what is done)")
    try:
        store = open_store(output, stdout=sys.stdout, stderr=sys.stderr, append=True)
    except (ScraperError, OSError) as exc:
        _fail_usage(f"cannot open output {output}: {getattr(exc, 'reason', exc)}")
    try:
        with Crawl(store, options, state_path) as job:
            _load(job, urls)
            sys.exit(_run_job(job, load_only, quiet))
    except ScraperError as exc:
        _fail_usage(exc.reason)
    finally:
        store.close()


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


@cli.command(name="eval")
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


@cli.group(name="rules")
def rules_group() -> None:
    """Work with rule files."""


@rules_group.command(name="learn")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--site", help="The site (domain) to learn; default: the one site the pages belong to.")
@click.option("-o", "--output", default="-", show_default=True, help="Where the rule file goes; '-' for stdout.")
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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="scraper")
