"""Site templates: blocks that recur across the pages of one site, learned from a batch.

Pages are fingerprinted by `scraper.learn.fingerprints`; a `TemplateLearner` counts per site on how many
pages each block occurs and turns the blocks that recur on most pages into a site `RuleFile`:
`exact` rules for recurring text, `xpath` rules for link lists at a fixed position whose links
change. Counts, not rules, persist between runs, so that later pages merge in correctly.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from math import ceil

from scraper.learn.fingerprints import PagePrint, TemplateOptions, fingerprint_page, position_xpath
from scraper.errors import InputError, ScraperError
from scraper.clean.rules import HtmlRule, RuleFile
from scraper.sinks.store import SiteTemplate, TemplateStore
from scraper.urls import site_of

_SIGNATURES_KEPT = 10_000


def _text_key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@dataclass
class SiteStats:
    """Block counts for one site, as lists so that they serialise compactly to JSON. Texts are
    counted by a 64-bit hash; the text itself is kept once the block is seen on a second page."""

    pages: int = 0
    signatures: dict[str, None] = field(default_factory=dict)  # an ordered set
    texts: dict[int, list[int]] = field(default_factory=dict)  # [pages, in running text, first page]
    samples: dict[int, str] = field(default_factory=dict)
    positions: dict[str, list[int]] = field(default_factory=dict)  # [pages, only links, first page, crc, varied]

    @property
    def size(self) -> int:
        return len(self.signatures) + len(self.texts) + len(self.positions)

    def add(self, page: PagePrint, options: TemplateOptions) -> bool:
        """Count a page once; False when the same article was counted before."""
        if page.signature in self.signatures:
            return False
        self.signatures[page.signature] = None
        if len(self.signatures) > _SIGNATURES_KEPT:
            del self.signatures[next(iter(self.signatures))]
        self.pages += 1
        for text, in_text in page.texts.items():
            key = _text_key(text)
            count = self.texts.setdefault(key, [0, 0, self.pages])
            count[0] += 1
            count[1] += in_text
            if count[0] >= 2 and key not in self.samples:
                self.samples[key] = text
        for key, (linky, crc) in page.positions.items():
            count = self.positions.setdefault(key, [0, 0, self.pages, crc, 0])
            count[0] += 1
            count[1] += linky
            count[4] |= count[3] != crc
        if self.pages % 64 == 0:
            self.compact(options)
        return True

    def compact(self, options: TemplateOptions, singles: bool = False) -> None:
        """Forget blocks too rare since they first appeared to become template (lossy counting),
        so memory stays bounded on long crawls; `singles` also forgets every block seen once."""
        seen = self.pages + 1
        for table in (self.texts, self.positions):
            rare = [k for k, c in table.items() if (singles and c[0] == 1)
                    or (seen - c[2] >= 16 and c[0] < options.min_share / 4 * (seen - c[2]))]
            for key in rare:
                del table[key]
                self.samples.pop(key, None)

    def merge(self, other: SiteStats) -> None:
        """Add counts kept from an earlier run (pages counted there are not counted again)."""
        self.pages += other.pages
        self.signatures.update(other.signatures)
        self.samples.update(other.samples)
        for table, theirs in ((self.texts, other.texts), (self.positions, other.positions)):
            for key, count in theirs.items():
                if key in table:
                    table[key][0] += count[0]
                    table[key][1] += count[1]
                else:
                    table[key] = count

    def learned(self, site: str, options: TemplateOptions) -> tuple[RuleFile, dict[str, str]] | None:
        """The site's template as a rule file, with a note of the evidence for each rule."""
        if self.pages < options.min_pages:
            return None
        need = max(options.min_pages, ceil(options.min_share * self.pages - 1e-9))
        # A block that sat in running text on a quarter of its pages is the site's standard
        # wording (a sign-off, a disclaimer), not its chrome.
        texts = [(self.samples[k], c) for k, c in self.texts.items()
                 if c[0] >= need and 4 * c[1] < c[0] and k in self.samples]
        texts.sort(key=lambda tc: (-len(tc[0]), tc[0]))
        kept: list[tuple[str, list[int]]] = []
        for text, count in texts:
            # A block inside a kept block on the same pages goes with it; one rule is enough.
            if not any(text in outer and count[0] <= c[0] for outer, c in kept):
                kept.append((text, count))
        rules: list[HtmlRule] = []
        notes: dict[str, str] = {}
        for i, (text, count) in enumerate(sorted(kept, key=lambda tc: (-tc[1][0], tc[0])), 1):
            rules.append(HtmlRule(f"template-text-{i}", "exact", text))
            notes[rules[-1].name] = f"on {count[0]} of {self.pages} pages"
        keys = sorted(k for k, c in self.positions.items() if c[0] >= need and c[1] == c[0] and c[4])
        learned_keys: list[str] = []
        for key in keys:
            if any(key.startswith(k + "/") for k in learned_keys):
                continue
            learned_keys.append(key)
            rules.append(HtmlRule(f"template-position-{len(learned_keys)}", "xpath", position_xpath(key)))
            notes[rules[-1].name] = (f"on {self.positions[key][0]} of {self.pages} pages: always a list of "
                                     "links, whose text changes from page to page")
        if not rules:
            return None
        return RuleFile(f"template:{site}", (site,), (), tuple(rules), ()), notes

    def to_json(self) -> str:
        return json.dumps({"pages": self.pages, "signatures": list(self.signatures), "texts": self.texts,
                           "samples": self.samples, "positions": self.positions}, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> SiteStats:
        raw = json.loads(data)
        return cls(int(raw["pages"]), dict.fromkeys(raw["signatures"]), {int(k): c for k, c in raw["texts"].items()},
                   {int(k): t for k, t in raw["samples"].items()}, raw["positions"])


class TemplateLearner:
    """Per-site block counts, fed page by page (or by fingerprints from workers); hands out
    each site's learned `RuleFile`. Load from and save to a store to learn across runs."""

    def __init__(self, options: TemplateOptions = TemplateOptions()) -> None:
        self.options = options
        self._sites: dict[str, SiteStats] = {}  # least recently fed first
        self._learned: dict[str, tuple[RuleFile, dict[str, str]] | None] = {}
        self._entries = 0

    @property
    def sites(self) -> dict[str, int]:
        """Pages counted per site."""
        return {site: stats.pages for site, stats in self._sites.items()}

    def pages(self, site: str) -> int:
        """Pages counted for `site` (0 when unknown or forgotten); cheaper than `sites`."""
        stats = self._sites.get(site)
        return stats.pages if stats else 0

    def add(self, url: str | None, html: str | bytes) -> str | None:
        """Fingerprint and count one page; return its site (None when unknown or unparseable)."""
        try:
            page = fingerprint_page(html, url, self.options)
        except (ScraperError, RecursionError):
            return None
        if page is not None:
            self.add_print(page)
        return page.site if page else None

    def add_print(self, page: PagePrint) -> None:
        stats = self._sites.pop(page.site, None) or SiteStats()
        self._sites[page.site] = stats
        before = stats.size
        if stats.add(page, self.options):
            self._learned.pop(page.site, None)
        self._entries += stats.size - before
        if self._entries > self.options.max_entries:
            self._shrink()

    def _shrink(self) -> None:
        """Forget the least recently fed sites too small to learn from, then blocks seen once."""
        for site in [s for s, stats in self._sites.items() if stats.pages < self.options.min_pages]:
            if self._entries <= self.options.max_entries * 3 // 4:
                return
            self._entries -= self._sites.pop(site).size
            self._learned.pop(site, None)
        for stats in self._sites.values():
            stats.compact(self.options, singles=True)
        self._entries = sum(stats.size for stats in self._sites.values())
        self._learned.clear()

    def rule_file(self, site: str | None) -> RuleFile | None:
        """The learned template of `site`, or None when it has too few pages or nothing recurs."""
        learned = self._learn(site) if site else None
        return learned[0] if learned else None

    def rules(self) -> dict[str, RuleFile]:
        return {site: rf for site in self._sites if (rf := self.rule_file(site)) is not None}

    def to_toml(self, site: str) -> str | None:
        """The template of `site` as a reviewable rule file, with the evidence in comments."""
        learned = self._learn(site)
        return to_toml(*learned) if learned else None

    def _learn(self, site: str) -> tuple[RuleFile, dict[str, str]] | None:
        if site not in self._learned:
            stats = self._sites.get(site)
            self._learned[site] = stats.learned(site, self.options) if stats else None
        return self._learned[site]

    def load(self, store: TemplateStore) -> None:
        """Add the counts a store kept from earlier runs (call before adding pages)."""
        for saved in store.load_templates():
            try:
                theirs = SiteStats.from_json(saved.counts)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                logging.getLogger(__name__).warning("ignoring damaged template of %s: %s", saved.site, exc)
                continue
            stats = self._sites.setdefault(saved.site, SiteStats())
            before = stats.size
            stats.merge(theirs)
            self._entries += stats.size - before
            self._learned.pop(saved.site, None)

    def save(self, store: TemplateStore) -> None:
        """Write every site's counts and current rules to the store."""
        saved = []
        for site, stats in self._sites.items():
            stats.compact(self.options)
            saved.append(SiteTemplate(site, stats.to_json(), self.to_toml(site) or "", stats.pages))
        store.save_templates(saved)


def _toml_str(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes; TOML also forbids a raw DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def to_toml(rule_file: RuleFile, notes: Mapping[str, str] | None = None) -> str:
    """A rule file as TOML that `load_rule_file` reads back to the same rules; `notes` become
    comments above the rules they name."""
    notes = notes or {}
    lines = [f"# {rule_file.name}",
             "# Learned from recurring blocks; review before use: delete a rule to keep its block.",
             f"domains = [{', '.join(map(_toml_str, rule_file.domains))}]"]
    if rule_file.text_markers:
        lines.append(f"text_markers = [{', '.join(map(_toml_str, rule_file.text_markers))}]")
    for rule in rule_file.html:
        lines += ["", *(f"# {n}" for n in notes.get(rule.name, "").splitlines()), "[[html]]",
                  f"name = {_toml_str(rule.name)}", f"{rule.kind} = {_toml_str(rule.pattern)}"]
        if rule.expand:
            lines.append("expand = true")
    for text_rule in rule_file.text:
        lines += ["", *(f"# {n}" for n in notes.get(text_rule.name, "").splitlines()), "[[text]]",
                  f"name = {_toml_str(text_rule.name)}", f"pattern = {_toml_str(text_rule.pattern.pattern)}",
                  f"max_words = {text_rule.max_words}"]
        if text_rule.trim:
            lines.append("trim = true")
    return "\n".join(lines) + "\n"


def learn(pages: Iterable[tuple[str | None, str | bytes]], options: TemplateOptions = TemplateOptions()
          ) -> dict[str, RuleFile]:
    """Learn site templates from `(url, html)` pairs; the URL may be None when the page names
    its own canonical address."""
    learner = TemplateLearner(options)
    for url, html in pages:
        learner.add(url, html)
    return learner.rules()


def learn_site_template(pages: Iterable[str | bytes], site: str | None = None,
                        options: TemplateOptions = TemplateOptions()) -> str:
    """The template of one site, learned from saved pages, as reviewable TOML.

    Pages that name no address of their own count for `site`; pages of other sites are left out.
    Takes the pages themselves, not paths: reading inputs is the batch's job
    (`scraper.run.batch.learn_rule_file`), which imports this module.
    Raises `InputError` when the site is ambiguous or has too few pages."""
    wanted = site_of(site if "://" in site else f"https://{site}/") if site else None
    learner = TemplateLearner(options)
    for data in pages:
        try:
            page = fingerprint_page(data, None, options, site=wanted)
        except (ScraperError, RecursionError):
            continue
        if page is not None and (wanted is None or page.site == wanted):
            learner.add_print(page)
    counts = learner.sites
    if wanted is None:
        if len(counts) != 1:
            found = ", ".join(f"{s}: {n}" for s, n in sorted(counts.items(), key=lambda sn: -sn[1])) or "none"
            raise InputError(f"pages of one site needed, choose one with --site (sites found: {found})")
        wanted = next(iter(counts))
    if counts.get(wanted, 0) < options.min_pages:
        raise InputError(f"{counts.get(wanted, 0)} distinct pages of {wanted}; at least {options.min_pages} "
                         "are needed to learn a template")
    empty = RuleFile(f"template:{wanted}", (wanted,), (), (), ())
    return learner.to_toml(wanted) or to_toml(empty) + "# No block recurred on most pages.\n"
