"""Learn site templates while pages are cleaned, holding back a site's first pages until it is
decided: a crawl's, and a learning batch's (`scraper.run.learning`).

Workers fingerprint pages from the parse that cleans them; `SiteLearning` counts the prints, says which template a site's pages
are cleaned with, and keeps the first cleaned pages of a site (bounded in number and bytes)
until the site has enough pages to decide its template, so the job can clean them again with
it. Held pages are only handed back, never recorded here: a crawl marks a URL done when it
writes it, so a kill loses nothing. It lives apart from `scraper.crawl.job` so the crawl loop keeps
to scheduling, fetching and recording; learned counts persist in the store every so often.
"""

from __future__ import annotations

import logging
import time
import zlib
from typing import Generic, TypeVar

from scraper.learn.fingerprints import PagePrint, TemplateOptions
from scraper.clean.rules import RuleFile
from scraper.sinks.store import Store
from scraper.learn.templates import TemplateLearner
from scraper.urls import site_of

# Pages of a site that has not learned enough to decide its template wait, at most this many
# times `min_pages` per site (a site serving one article under many URLs never decides) and
# this many bytes over all sites; beyond that they are written as cleaned without a template.
_HOLD_PER_SITE = 4
_HOLD_BYTES = 64 * 2**20
# Fingerprinting costs about half as much as cleaning. Once a site has counted this many pages,
# its template is settled and a sample of one page in `_PRINT_SAMPLE` (by URL hash, so a resumed
# crawl samples the same pages) keeps it up to date; shares of pages stay unbiased.
_PRINT_ALL = 16
_PRINT_SAMPLE = 8
_SAVE_TEMPLATES_EVERY = 10.0  # seconds: counts a kill can lose; saving rewrites every site's

log = logging.getLogger(__name__)
T = TypeVar("T")  # the job's page in flight, opaque here
R = TypeVar("R")  # what cleaning it gave


class SiteLearning(Generic[T, R]):
    """The template side of one job. Methods that let pages go return them, oldest first,
    as `(page, result)` pairs for the job to finish; with learning off, nothing is held."""

    def __init__(self, learner: TemplateLearner | None, store: Store | None = None) -> None:
        """Learn into `learner` (None: learning is off, nothing is held); `save` keeps its counts
        in `store` when the store keeps templates."""
        self.store = store
        self.learner = learner
        self.options = learner.options if learner is not None else TemplateOptions()
        self._rules: dict[str, tuple[int, RuleFile | None]] = {}  # site -> (pages, template)
        self._held: dict[str, list[tuple[T, R, int]]] = {}
        self._held_bytes = 0
        self._unheld: set[str] = set()  # sites that held too much: their pages go straight out
        self._last_save = time.monotonic()

    @classmethod
    def of_store(cls, store: Store, options: TemplateOptions, learn: bool = True) -> SiteLearning[T, R]:
        """Learning that builds on the counts `store` kept from earlier runs (when it keeps any)."""
        learner = TemplateLearner(options) if learn else None
        if learner is not None and hasattr(store, "load_templates"):
            learner.load(store)  # type: ignore[arg-type]
        return cls(learner, store)

    def site(self, url: str) -> str | None:
        """The site a page at `url` learns for, or None when not learning."""
        return site_of(url) if self.learner is not None else None

    def template(self, site: str | None) -> tuple[bool, RuleFile | None]:
        """Whether `site` has pages enough to decide its template, and the template. Kept per
        site and learned again as pages come, ever less often: learning reads all the counts."""
        if self.learner is None or site is None:
            return False, None
        pages = self.learner.pages(site)
        if pages < self.learner.options.min_pages:
            return False, None
        known = self._rules.get(site)
        if known is None or pages < known[0] or pages - known[0] >= max(1, known[0] // 16):
            known = self._rules[site] = (pages, self.learner.rule_file(site))
        return True, known[1]

    def wants_print(self, site: str | None, url: str) -> bool:
        """Whether the page at `url` should be fingerprinted while it is cleaned."""
        if self.learner is None or site is None:
            return False
        return (self.learner.pages(site) < _PRINT_ALL
                or zlib.crc32(url.encode()) % _PRINT_SAMPLE == 0)

    def add_print(self, fingerprint: PagePrint) -> None:
        if self.learner is not None:
            self.learner.add_print(fingerprint)

    def cleaned(self, site: str, page: T, result: R, size: int) -> list[tuple[T, R]]:
        """A page of `site` cleaned without a template: hold it (`size` bytes of page and result)
        while the site is undecided. Returns the pages to finish now, this one included once it may go."""
        out: list[tuple[T, R]] = []
        if self.template(site)[0] or site in self._unheld:
            out.append((page, result))
        else:
            out += self._hold(site, page, result, size)
        if site in self._held and self.template(site)[0]:
            out += self.release(site)
        return out

    def holding(self) -> bool:
        return bool(self._held)

    def release_all(self) -> list[tuple[T, R]]:
        """Every held page, at the end of a crawl when no more pages can decide a site."""
        out: list[tuple[T, R]] = []
        for site in list(self._held):
            out += self.release(site)
        return out

    def release(self, site: str) -> list[tuple[T, R]]:
        out: list[tuple[T, R]] = []
        for page, result, size in self._held.pop(site, []):
            self._held_bytes -= size
            out.append((page, result))
        return out

    def _hold(self, site: str, page: T, result: R, size: int) -> list[tuple[T, R]]:
        out: list[tuple[T, R]] = []
        held = self._held.setdefault(site, [])
        held.append((page, result, size))
        self._held_bytes += size
        if len(held) > _HOLD_PER_SITE * self.options.min_pages:
            self._unheld.add(site)
            out += self.release(site)
        while self._held_bytes > _HOLD_BYTES:
            oldest = next(iter(self._held))
            self._unheld.add(oldest)
            out += self.release(oldest)
        return out

    def save(self) -> None:
        """Persist the learned counts in the store (when it keeps templates). Templates only
        save work: a save that fails is logged and tried again later, never fatal to a crawl."""
        self._last_save = time.monotonic()
        if self.learner is not None and self.store is not None and hasattr(self.store, "save_templates"):
            try:
                self.learner.save(self.store)  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001
                log.exception("could not save the learned site templates")

    def save_if_due(self) -> None:
        if time.monotonic() - self._last_save >= _SAVE_TEMPLATES_EVERY:
            self.save()
