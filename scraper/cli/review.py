"""`scraper review` (an HTML report of what was removed and why) and `scraper rules learn|check`."""

from __future__ import annotations

import os
import sys

import click

from scraper.errors import ScraperError
from scraper.run.batch import learn_rule_file
from scraper.cli.base import EXIT_FAILED, EXIT_OK, _clean_options, cli, _examples, _fail_usage, verbose_option


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
    from scraper.review import ReviewOptions, write_review
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
    from scraper.review import CheckOptions, check_rule_file
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
