"""Batches: clean each input Page (from `scraper.sources`) in worker processes, hand every
result to a store.

Every input ends as exactly one `Article` or one `Failure` (a mailbox is one input per message,
and an e-mail digest split into stories one article per story); a bad input never stops the batch.
Each page is held to limits: its size after decompression (`CleanOptions.max_bytes`), its time
and its memory (`BatchOptions.page_timeout`, `max_memory`, enforced in worker processes, see
`scraper.run.pagepool`); a page over a limit is a recorded failure. Pages are
taken as workers are free, so a stream of any length flows through in constant memory; a batch
that learns site templates does so in the same one pass (`scraper.run.learning`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import partial

from scraper.article import Article, Failure
from scraper.clean.cleaner import Cleaner, CleanOptions
from scraper.errors import ScraperError
from scraper.learn.fingerprints import TemplateOptions
from scraper.learn.templates import TemplateLearner, learn_site_template
from scraper.run.cleaning import BatchOptions, Input, clean_in_worker, clean_input, failure, read_input
from scraper.run.executors import Executor, executor_for
from scraper.run.learning import learning_batch
from scraper.sources import Page, find_inputs, stdin_input

__all__ = ["BatchOptions", "Input", "Page", "clean_input", "find_inputs", "learn_rule_file", "read_input", "run_batch",
           "stdin_input"]


def _readable_pages(inputs: list[str], limit: int) -> Iterator[bytes | str]:
    for item in find_inputs(inputs):
        try:
            yield read_input(item, limit)
        except ScraperError:
            continue  # an unreadable input is one page fewer to learn from, as in a batch


def learn_rule_file(inputs: list[str], site: str | None = None,
                    options: TemplateOptions = TemplateOptions()) -> str:
    """The template of one site, learned from saved pages (files or folders), as reviewable TOML
    (see `scraper.learn.templates.learn_site_template`). Raises `InputError` when the site is ambiguous
    or has too few pages."""
    return learn_site_template(_readable_pages(inputs, CleanOptions().max_bytes), site, options)


def run_batch(items: Iterable[Input], options: BatchOptions, learner: TemplateLearner | None = None,
              cleaner: Cleaner | None = None, executor: Executor | None = None) -> Iterator[Article | Failure]:
    """Clean items, in worker processes when `jobs > 1`; results come as they finish.

    `cleaner` cleans every page (a new `Cleaner(options.clean)` when None); worker processes
    get it once, at their start. With `options.learn_templates`, each page is also cleaned with
    its site's template, learned into `learner` as the batch goes (a fresh one when None; pass
    one loaded from a store to build on earlier runs): see `scraper.run.learning`. `executor`
    runs the pages (by default, the one `options.jobs` and the page limits call for)."""
    cleaner = cleaner or Cleaner(options.clean)
    executor = executor or executor_for(options.jobs, options.limits)
    if options.learn_templates:
        learner = learner if learner is not None else TemplateLearner(options.templates)
        yield from learning_batch(items, replace(options, templates=learner.options), learner, cleaner, executor)
        return
    work = partial(clean_in_worker, cleaner, options)
    for _, result in executor.map(work, items, lambda item: (item,), lambda item, why: failure(item, options, why)):
        yield from result if isinstance(result, tuple) else (result,)
