"""`scraper crawl`: fetch and clean a URL list, politely and resumably."""

from __future__ import annotations

import io
import logging
import os
import sys
from collections import Counter
from dataclasses import replace

import click

from scraper import __name__ as _pkg
from scraper.crawl.job import Crawl, CrawlOptions
from scraper.errors import ScraperError
from scraper.crawl.fetch import DEFAULT_USER_AGENT, FetchOptions
from scraper.sinks import SinkOptions
from scraper.sinks.store import open_store
from scraper.cli.base import (
    EXIT_FAILED, EXIT_OK, _clean_options, cli, _examples, _fail_usage, _group, _limit, _progress,
    _record_shape_option, _size, page_limit_options, summarise, tally, verbose_option,
)
from scraper.cli.cluster import _crawl_on_cluster


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
@page_limit_options
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
