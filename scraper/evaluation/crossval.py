"""Cross-validation by domain, and what each rule does, for `scraper eval --folds K`.

In-sample figures flatter the rules: some were written while reading pages of the benchmark's
own domains. Each domain's pages go to one of K folds. For each fold, scraper cleans that fold's
pages again without the rules that the *other* folds do not support: rules that fire on pages of
fewer than `min_domains` of their domains, and rules whose removals there take more truth words
than boilerplate words. That is what the figures would be had the rules been written and tuned
from the other domains only; the held-out figures pool all folds' pages. trafilatura has no
rules, so its held-out figures equal its in-sample ones.

The per-rule report counts, over the whole dataset, how often each rule fires, the words its
removals hold, how many of those words are truth words (in word 4-grams that the page's truth
also has),
and how many `with` snippets (text a correct extraction keeps) and `without` snippets
(boilerplate) its removals hold.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from scraper.evaluation import metrics
from scraper.article import Removal
from scraper.clean.cleaner import Cleaner, CleanOptions
from scraper.evaluation.runner import EvalOptions, EvalReport, Sample, System, default_systems, evaluate, load_dataset
from scraper.evaluation.report import SystemSummary, summarise
from scraper.urls import host_of

# Second-level labels under which sites register ("example.co.uk", "example.com.au").
_PUBLIC_SECOND = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go"})


def site_domain(url: str) -> str:
    """The registered domain of a page ("blog.example.co.uk" -> "example.co.uk"): pages of one
    site always share a fold. Not `scraper.urls.site_of`: folds by this short list of public
    second levels are what the published figures used; the Public Suffix List would move the
    pages of platform subdomains (`x.bearblog.dev`) into folds of their own."""
    host = host_of(url)
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _PUBLIC_SECOND else 2
    return ".".join(labels[-keep:]) or "(no domain)"


@dataclass
class RuleStat:
    """What one rule did over a dataset."""

    name: str
    pages: int = 0
    blocks: int = 0
    words: int = 0
    truth_words: int = 0
    with_hit: int = 0
    without_hit: int = 0
    domains: Counter[str] = field(default_factory=Counter)
    # Per domain: (removed words, of which truth words), for the fold selection.
    by_domain: dict[str, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Fold:
    """One fold: its pages and domains, the rules left out, and those of them that fire on its
    pages in-sample (the ones whose absence can change its figures)."""

    index: int
    pages: int
    domains: int
    disabled: tuple[str, ...]
    disabled_firing: tuple[str, ...]


@dataclass(frozen=True)
class CrossValReport:
    """In-sample report, the held-out summary of scraper, the folds and the per-rule figures."""

    in_sample: EvalReport
    held_out: SystemSummary
    folds: tuple[Fold, ...]
    rules: tuple[RuleStat, ...]


class _Recorder:
    """A scraper system that remembers what it removed on each page, by URL."""

    def __init__(self, options: CleanOptions) -> None:
        self.options = options
        self.cleaner = Cleaner(options)
        self.removed: dict[str, tuple[Removal, ...]] = {}

    def __call__(self, html: bytes, url: str) -> object:
        article = self.cleaner.clean_html(html, url=url or None)
        self.removed[url] = article.removed
        return article


def assign_folds(domains: Counter[str], k: int) -> dict[str, int]:
    """Domains to folds: biggest first, each to the fold with the fewest pages so far (ties by
    a hash of the name, so the split is stable across runs and machines)."""
    sizes = [0] * k
    folds: dict[str, int] = {}
    order = sorted(domains, key=lambda d: (-domains[d], hashlib.sha1(d.encode()).hexdigest()))
    for domain in order:
        fold = min(range(k), key=lambda i: (sizes[i], i))
        folds[domain] = fold
        sizes[fold] += domains[domain]
    return folds


def _grams(words: list[str], n: int = 4) -> list[tuple[str, ...]]:
    """Word 4-grams: common words alone never make a removal look like truth text, a run of
    four in the same order does."""
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def rule_stats(samples: dict[str, Sample], removed: dict[str, tuple[Removal, ...]]) -> dict[str, RuleStat]:
    """Per rule: firing, words removed and how much of it was truth, over the scored pages."""
    stats: dict[str, RuleStat] = {}
    for sample in samples.values():
        removals = removed.get(sample.url, ())
        if not removals:
            continue
        truth_words = metrics.word_tokens(sample.truth)
        truth, joined = set(_grams(truth_words)), f" {' '.join(truth_words)} "
        domain = site_domain(sample.url)
        fired: set[str] = set()
        for removal in removals:
            stat = stats.setdefault(removal.rule, RuleStat(removal.rule))
            text = removal.whole or removal.text
            words = metrics.word_tokens(text)
            grams = _grams(words)
            size = len(words)
            if size < 4:  # too short for a 4-gram: the words in this order anywhere in the truth
                hit = size if size and f" {' '.join(words)} " in joined else 0
            else:
                hit = round(size * sum(g in truth for g in grams) / len(grams))
            stat.blocks += 1
            stat.words += size
            stat.truth_words += hit
            normalised = metrics.normalise_for_snippets(text)
            stat.with_hit += sum(metrics.snippet_found(normalised, s) for s in sample.with_snippets)
            stat.without_hit += sum(metrics.snippet_found(normalised, s) for s in sample.without_snippets)
            per = stat.by_domain.setdefault(domain, [0, 0])
            per[0] += size
            per[1] += hit
            if removal.rule not in fired:
                fired.add(removal.rule)
                stat.pages += 1
                stat.domains[domain] += 1
    return stats


def _unsupported(stats: dict[str, RuleStat], held_out: set[str], data_rules: set[str],
                 min_domains: int) -> tuple[str, ...]:
    """Data rules the domains outside `held_out` do not support: too few domains fire them, or
    their removals there hold more truth words than other words."""
    disabled = []
    for name in sorted(data_rules):
        stat = stats.get(name)
        training = {d: v for d, v in (stat.by_domain.items() if stat else ()) if d not in held_out}
        words = sum(v[0] for v in training.values())
        truth = sum(v[1] for v in training.values())
        if len(training) < min_domains or truth > words - truth:
            disabled.append(name)
    return tuple(disabled)


def _data_rule_names(options: CleanOptions) -> set[str]:
    book = Cleaner(options).rulebook()
    return {r.name for f in book.files for r in (*f.html, *f.text)}


def cross_validate(path: str | Path, k: int, options: EvalOptions = EvalOptions(),
                   clean: CleanOptions = CleanOptions(), min_domains: int = 2,
                   on_page: Callable[[int, Sample], None] | None = None) -> CrossValReport:
    """Score all systems in-sample, then scraper on each fold without the rules the other folds
    do not support; see the module docstring."""
    recorder = _Recorder(clean)
    systems = default_systems()
    systems["scraper"] = System(recorder)
    in_sample = evaluate(path, systems, options, on_page)
    scored = {r.id for r in in_sample.rows}
    samples = {s.id: replace(s, html=b"") for s in load_dataset(path) if s.id in scored}
    stats = rule_stats(samples, recorder.removed)
    pages_per_domain = Counter(site_domain(s.url) for s in samples.values())
    fold_of = assign_folds(pages_per_domain, k)
    data_rules = _data_rule_names(clean)
    folds, rows = [], []
    for index in range(k):
        held = {d for d, f in fold_of.items() if f == index}
        ids = frozenset(i for i, s in samples.items() if site_domain(s.url) in held)
        disabled = _unsupported(stats, held, data_rules, min_domains)
        fold_clean = replace(clean, disabled_rules=frozenset(disabled))
        fold_options = replace(options, only=ids, per_page_path=None, warmup=False, limit=None)
        report = evaluate(path, {"scraper": System(_Recorder(fold_clean))}, fold_options)
        rows += report.rows
        firing = tuple(n for n in disabled if n in stats and set(stats[n].by_domain) & held)
        folds.append(Fold(index, len(ids), len(held), disabled, firing))
    held_out = summarise("scraper", rows, in_sample.kind, options)
    ranked = sorted(stats.values(), key=lambda s: (-s.blocks, s.name))
    return CrossValReport(in_sample, held_out, tuple(folds), tuple(ranked))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def render_crossval(report: CrossValReport) -> str:
    """In-sample and held-out figures side by side, the folds, and the per-rule report."""
    kind = report.in_sample.kind
    lines = [f"**{kind}** cross-validation by domain, {len(report.folds)} folds "
             f"({report.held_out.pages} pages)", "",
             "| system | F1 in-sample | F1 held-out | keep in / out | leak in / out | failures |",
             "|---|---|---|---|---|---|"]
    for summary in report.in_sample.systems:
        out = report.held_out if summary.name == "scraper" else summary
        lines.append(f"| {summary.name} | {summary.f1:.3f} ± {summary.f1_std:.3f} | {out.f1:.3f} ± {out.f1_std:.3f} | "
                     f"{_pct(summary.keep_rate)} / {_pct(out.keep_rate)} | "
                     f"{_pct(summary.leak_rate)} / {_pct(out.leak_rate)} | {summary.failures} / {out.failures} |")
    lines += ["", "| fold | pages | domains | rules the other folds do not support | of them firing on this fold |",
              "|---|---|---|---|---|"]
    lines += [f"| {f.index + 1} | {f.pages} | {f.domains} | {len(f.disabled)} | {', '.join(f.disabled_firing) or '–'} |"
              for f in report.folds]
    lines += ["", "Per rule (whole dataset): pages and blocks it fired on, domains, words removed, of "
              "which truth words, `with` snippets (must keep) and `without` snippets (boilerplate) in its "
              "removals.", "",
              "| rule | pages | blocks | domains | words | truth words | with | without |",
              "|---|---|---|---|---|---|---|---|"]
    for stat in report.rules:
        share = f" ({stat.truth_words / stat.words:.0%})" if stat.words else ""
        lines.append(f"| {stat.name} | {stat.pages} | {stat.blocks} | {len(stat.domains)} | {stat.words} | "
                     f"{stat.truth_words}{share} | {stat.with_hit} | {stat.without_hit} |")
    return "\n".join(lines) + "\n"
