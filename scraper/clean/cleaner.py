"""The cleaning stage: a `Cleaner`, built once from `CleanOptions`, decodes and parses a page
once, prunes it by rules, extracts it with trafilatura and filters its text.

`clean_html` and `clean_text` are the one-off conveniences over it; all return an `Article` or
raise a `ScraperError` subclass that says why.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from scraper.article import Article, Removal
from scraper.errors import ExtractionError, InputError
from scraper.clean.extract import Extracted, ExtractOptions, extract_body, paragraph_chars
from scraper.clean.metadata import PageMeta, extract_metadata
from scraper.clean.parse import ParsedPage, parse_html, parse_page  # parse_html: re-exported, as before
from scraper.clean.filters import filter_lines
from scraper.clean.prune import PruneOptions, prune
from scraper.clean.recovery import GuardOptions, article_removals, worth_checking
from scraper.clean.rules import RuleFile
from scraper.clean.ruleset import RuleSet
from scraper.clean.rulebook import RuleBook, without_rules
from scraper.clean.rulefiles import load_rule_file, shipped_rule_files
from scraper.urls import known_url, splittable


@dataclass(frozen=True)
class CleanOptions:
    """What to clean with: extra rule files, learned site templates, and whether each stage runs."""

    rule_files: tuple[str, ...] = ()
    # Site templates learned from a batch (scraper.learn.templates); applied after the rule files.
    learned: tuple[RuleFile, ...] = ()
    # Largest page (after decompression) cleaned, as the crawler's default: real article pages
    # are far below it, and beyond it lxml and trafilatura take seconds and hundreds of MB.
    max_bytes: int = 10 * 1024 * 1024
    # Fewer words than this is a menu or a stub, not an article.
    min_words: int = 5
    prune: bool = True
    filters: bool = True
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    safety: PruneOptions = field(default_factory=PruneOptions)
    never_lose: GuardOptions = field(default_factory=GuardOptions)
    # Rule names to leave out (`scraper eval --folds` measures pages without the rules that
    # only their own domains support).
    disabled_rules: frozenset[str] = frozenset()


DEFAULT_OPTIONS = CleanOptions()


def rulebook(rule_files: tuple[str, ...], learned: tuple[RuleFile, ...] = (),
             disabled: frozenset[str] = frozenset()) -> RuleBook:
    """Shipped rules plus the given files and learned templates, without the `disabled` rule
    names, read now (a `Cleaner` keeps its own; this is for one look at the rules)."""
    return Cleaner(CleanOptions(rule_files=rule_files, learned=learned, disabled_rules=disabled)).rulebook()


@dataclass
class _Draft:
    """A page pruned and extracted, before the text filters."""

    body: Extracted | None
    removed: list[Removal] = field(default_factory=list)
    reverted: list[str] = field(default_factory=list)
    taken: tuple[str, ...] = ()
    prose: tuple[int, ...] = ()
    # Paragraph text left on the page after pruning.
    kept_chars: int = 0


def _draft(root: HtmlElement, rules: RuleSet, meta: PageMeta, url: str | None, options: CleanOptions,
           page_chars: int, spare: frozenset[str] = frozenset()) -> _Draft:
    """Prune `root` in place (sparing blocks whose text is in `spare`) and extract its body."""
    draft = _Draft(None)
    if options.prune:
        result = prune(root, rules, options.safety, description=meta.description, spare=spare, page=url)
        draft = _Draft(None, list(result.removed), list(result.reverted), result.taken, result.prose,
                       paragraph_chars(root) if result.removed else page_chars)
    draft.body = extract_body(root, url, options.extract, page_chars)
    return draft


def _never_lose(html: str, draft: _Draft, rules: RuleSet, meta: PageMeta, url: str | None,
                options: CleanOptions, page_chars: int, warnings: list[str]) -> _Draft:
    """The never-lose guard (scraper.clean.recovery): when the pruned body is short, compare it with
    an unpruned extraction and undo the removals that took the article. The page was pruned in
    place, so the unpruned tree is parsed again from `html`, once: extraction leaves a tree as
    it was, so the same tree is then pruned again with the spared blocks. (Copying every tree
    before pruning instead costs more: the guard runs on a few pages in a hundred.)"""
    if not draft.removed:
        return draft
    words = len(draft.body.text.split()) if draft.body is not None else 0
    if words < options.min_words:
        # Our rules may have taken the only block trafilatura recognised: retry without them.
        body = extract_body(parse_html(html), url, options.extract, page_chars)
        if body is not None:
            warnings.append("html rules undone: extraction found nothing after pruning")
            return _Draft(body, [], [*draft.reverted, "html rules: extraction found nothing after pruning; undone"])
        return draft
    if not worth_checking(draft.body.text, page_chars, draft.kept_chars, draft.prose, options.never_lose):
        return draft
    root = parse_html(html)
    unpruned = extract_body(root, url, options.extract, page_chars)
    if unpruned is None:
        return draft
    spare = article_removals(draft.body.text, unpruned.text, draft.taken, options.never_lose)
    if not spare:
        return draft
    warnings.append(f"html rules took article text: {len(spare)} removal(s) undone")
    return _draft(root, rules, meta, url, options, page_chars, spare)


def _given_url(url: str | None) -> str | None:
    if url is not None and not splittable(url):
        raise InputError("invalid URL: unparseable")
    return url


# A batch hands each page the template of its own site: books kept per set of templates.
_BOOKS_KEPT = 256


class Cleaner:
    """Cleans pages with one set of options, built once: it loads the shipped and the user's
    rule files when made (the e-mail template rules on its first e-mail, or when pickled) and
    keeps them as data, compiling what it needs on first use. A
    pickled Cleaner carries its rules with it (not their paths), so worker processes and
    cluster workers clean with the rules of the process that built it, with no rule files of
    their own; what it compiled is left behind and compiled again where it lands.

        >>> cleaner = Cleaner(CleanOptions(rule_files=("my-rules.toml",)))
        >>> article = cleaner.clean_html(page_bytes, url="https://example.com/a")
    """

    def __init__(self, options: CleanOptions | None = None) -> None:
        self.options = options or DEFAULT_OPTIONS
        self._files = (*shipped_rule_files(), *(load_rule_file(p) for p in self.options.rule_files))
        self._mail_files: tuple[RuleFile, ...] | None = None  # read when first needed
        self._forget()

    def _forget(self) -> None:
        self._compiled: dict[tuple[RuleFile, ...], RuleSet] = {}
        self._books: dict[tuple[bool, tuple[RuleFile, ...]], RuleBook] = {}

    def __getstate__(self) -> dict[str, object]:
        # Every rule goes along, the e-mail ones too: a worker reads no rule file, not even ours.
        return {"options": self.options, "files": self._files, "mail_files": self._read_mail_files()}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.options, self._files, self._mail_files = state["options"], state["files"], state["mail_files"]  # type: ignore[assignment]
        self._forget()

    def rulebook(self, learned: tuple[RuleFile, ...] = ()) -> RuleBook:
        """The book for web pages: shipped rules, the rule files, `options.learned` and then
        `learned` (a page's own site template), without `options.disabled_rules`."""
        return self._book(False, learned)

    def mail_rulebook(self, learned: tuple[RuleFile, ...] = ()) -> RuleBook:
        """The book for e-mails: the shipped web and e-mail template rules, the rule files, and
        `learned` (no `options.learned`: the e-mail cleaner passes those in, keyed by sender)."""
        return self._book(True, learned)

    def _book(self, mail: bool, learned: tuple[RuleFile, ...]) -> RuleBook:
        key = (mail, learned)
        book = self._books.get(key)
        if book is None:
            options, files = self.options, self._files
            shipped = len(files) - len(options.rule_files)
            if mail:
                files = (*files[:shipped], *self._read_mail_files(), *files[shipped:])
            # An e-mail's templates come by sender, made domain-free by the caller.
            files = (*files, *(() if mail else options.learned), *learned)
            if options.disabled_rules and not mail:
                files = without_rules(files, options.disabled_rules)
            if len(self._books) >= _BOOKS_KEPT:
                del self._books[next(iter(self._books))]
            book = self._books[key] = RuleBook(files, self._compiled)
        return book

    def _read_mail_files(self) -> tuple[RuleFile, ...]:
        if self._mail_files is None:  # read on the first e-mail: web-only jobs never need them
            self._mail_files = shipped_rule_files(("email",))
        return self._mail_files

    def parse(self, html: str | bytes, http_charset: str | None = None) -> ParsedPage:
        """Decode (bytes, by our own decoder) and parse a page, within `options.max_bytes`."""
        return parse_page(html, http_charset, self.options.max_bytes)

    def clean_html(self, html: str | bytes, url: str | None = None, *, http_charset: str | None = None,
                   source: str | None = None, learned: tuple[RuleFile, ...] = (),
                   before_prune: Callable[[HtmlElement, str | None], None] | None = None) -> Article:
        """Clean one page into an `Article` (with the site templates in `learned` as well);
        see `clean_parsed` for `before_prune`."""
        url = _given_url(url)
        return self.clean_parsed(self.parse(html, http_charset), url, source=source, learned=learned,
                                 before_prune=before_prune)

    def clean_parsed(self, page: ParsedPage, url: str | None = None, *, source: str | None = None,
                     learned: tuple[RuleFile, ...] = (),
                     before_prune: Callable[[HtmlElement, str | None], None] | None = None) -> Article:
        """Clean a parsed page; its tree is pruned in place. `before_prune(root, url)` sees the
        tree once metadata is read and before anything is removed (scripts and styles aside:
        it may drop those), so a fingerprint shares this parse."""
        options, root = self.options, page.root
        # Metadata first: bylines and dates often sit in blocks that the promo rules remove.
        meta = extract_metadata(root, url)
        # A hostile page's canonical link ("http://[oops") must not break rule lookup by site.
        page_url_ = known_url(url, meta.canonical_url)
        rules = self.rulebook(learned).for_url(page_url_)
        page_chars = paragraph_chars(root)
        if before_prune is not None:
            if not options.prune:  # nothing strips the tree's scripts here: keep them
                root = copy.deepcopy(root)
            before_prune(root, url)
            root = page.root
        warnings: list[str] = []
        try:
            draft = _draft(root, rules, meta, page_url_, options, page_chars)
            if options.never_lose.enabled:
                draft = _never_lose(page.html, draft, rules, meta, page_url_, options, page_chars, warnings)
        except RecursionError as exc:
            raise ExtractionError("page too deeply nested to extract") from exc
        if draft.body is None:
            raise ExtractionError("no article text found")
        if draft.body.full:
            warnings.append("full extraction used")
        if draft.body.recall:
            warnings.append("recall extraction used")
        lines, removed, reverted = draft.body.text.splitlines(), draft.removed, draft.reverted
        if options.filters:
            filtered = filter_lines(lines, rules, brand=meta.sitename, trim_edges=True,
                                    title=meta.title, page=source or page_url_)
            lines, removed, reverted = list(filtered.lines), removed + list(filtered.removed), reverted + list(filtered.reverted)
        text = "\n\n".join(line.strip() for line in lines if line.strip())
        if len(text.split()) < options.min_words:
            raise ExtractionError("no article text found" if text else "nothing left after removing promo")
        guard = options.never_lose
        if page_chars >= guard.warn_min_chars and len(text) < guard.warn_share * page_chars:
            warnings.append("body much shorter than the page text")
        return Article(
            text=text, url=url or page_url_, canonical_url=meta.canonical_url, title=meta.title,
            author=meta.author, date=meta.date, sitename=meta.sitename, description=meta.description,
            language=meta.language, source=source or url, encoding=page.encoding, removed=tuple(removed),
            reverted=tuple(reverted), warnings=tuple(warnings),
        )

    def clean_text(self, text: str, url: str | None = None, *, source: str | None = None) -> Article:
        """Clean already-scraped text: one paragraph per line, promo lines and headline lists dropped."""
        url = _given_url(url)
        if not text.strip():
            raise InputError("empty input")
        lines = text.splitlines()
        removed: tuple[Removal, ...] = ()
        reverted: tuple[str, ...] = ()
        if self.options.filters:
            rules = self.rulebook().for_text(text, url)
            result = filter_lines(lines, rules, page=source or url)
            lines, removed, reverted = list(result.lines), result.removed, result.reverted
        paragraphs = [line.strip() for line in lines if line.strip()]
        if not paragraphs:
            raise ExtractionError("nothing left after removing promo")
        first = paragraphs[0]
        title = first if len(first.split()) <= 20 and not first.endswith(".") else None
        return Article(text="\n\n".join(paragraphs), url=url, title=title, source=source or url,
                       removed=removed, reverted=reverted)


# The one Cleaner `clean_html`/`clean_text` reuse: building one reads every rule file (~30 ms,
# 10x a page), too much per call. Jobs (batches, crawls, clusters) build and pass their own.
_last: Cleaner | None = None


def cleaner_for(options: CleanOptions | None = None) -> Cleaner:
    """A Cleaner for `options`: the last one built when its options are equal, else a new one
    (which becomes the one reused). For one-off calls; hold your own `Cleaner` for many. Rule
    files are read when a Cleaner is built, so after editing one, build a new `Cleaner`."""
    global _last
    options = options or DEFAULT_OPTIONS
    last = _last
    if last is None or last.options != options:
        last = _last = Cleaner(options)
    return last


def clean_html(html: str | bytes, url: str | None = None, *, options: CleanOptions | None = None,
               http_charset: str | None = None, source: str | None = None) -> Article:
    """Clean one page into an `Article`; bytes are decoded by our own decoder first. A
    convenience over `Cleaner.clean_html` (see `cleaner_for`)."""
    url = _given_url(url)  # before the rule files are read: a bad URL is this call's error
    return cleaner_for(options).clean_html(html, url, http_charset=http_charset, source=source)


def clean_text(text: str, url: str | None = None, *, options: CleanOptions | None = None,
               source: str | None = None) -> Article:
    """Clean already-scraped text: one paragraph per line, promo lines and headline lists
    dropped. A convenience over `Cleaner.clean_text` (see `cleaner_for`)."""
    url = _given_url(url)
    return cleaner_for(options).clean_text(text, url, source=source)
