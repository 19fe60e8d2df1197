"""Clean one e-mail message into an article (or, for a digest, one article per story).

The steps mirror `scraper.clean.cleaner`: parse, prune by rules (the shipped web rules plus the e-mail
template rules in `rulesets/email/`), take the text, filter lines by rules. The metadata comes
from the headers instead of the page, and the text from every block the rules left (see
`markup`), not from trafilatura, which looks for an article among page chrome an e-mail lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources

from lxml.html import HtmlElement

from scraper.article import Article, Removal
from scraper.clean.cleaner import Cleaner, CleanOptions, cleaner_for
from scraper.clean.parse import parse_html
from scraper.errors import ExtractionError
from scraper.clean.filters import filter_lines
from scraper.clean.prune import prune
from scraper.clean.rules import RuleFile
from scraper.clean.ruleset import RuleSet
from scraper.newsletters.digest import split_stories
from scraper.newsletters.forward import unforward_html, unforward_text
from scraper.newsletters.markup import (VIEW_ONLINE, Block, byline, drop_links_to, html_blocks, list_urls, prepare, strip_tracking, strip_tracking_in_text, text_blocks,
                     title_link)
from scraper.newsletters.message import Headers, attached_message, body, parse_message, read_headers, sender_key

# A forwarding e-mail with less than this of its own is only a wrapper round the attachment.
_WRAPPER_WORDS = 60
# A short issue's footer (copyright, address, reasons, links) is often 40-50 % of its text, the
# web pages' limit for one block (forwarded-gmail.eml: 42 %); e-mail blocks are found by
# platform class names, and the prose test still guards the writing itself.
_EMAIL_ELEMENT_SHARE = 0.6

BeforePrune = Callable[[HtmlElement, str], None]


@dataclass(frozen=True)
class MailOptions:
    """How e-mails are cleaned: one record per message, or (`split_digest`) one per story of
    a briefing that has several; a story needs `min_story_words` of text of its own."""

    split_digest: bool = False
    min_story_words: int = 15


def email_rule_files() -> tuple[str, ...]:
    """The shipped e-mail template rule files, applied after the web rules (a `Cleaner`
    reads them once, on its first e-mail)."""
    folder = resources.files("scraper") / "rulesets" / "email"
    return tuple(str(entry) for entry in sorted(folder.iterdir(), key=lambda e: e.name)
                 if entry.name.endswith(".toml"))


def _merge(outer: Headers, inner: Headers | None) -> Headers:
    """A forwarded newsletter is described by its own headers; the envelope keeps id and lists."""
    if inner is None:
        return outer
    return replace(outer, title=inner.title or outer.title, sitename=inner.sitename or outer.sitename,
                   author=inner.author if inner.sitename else outer.author, date=inner.date or outer.date)


def _rules(cleaner: Cleaner, learned: tuple[RuleFile, ...], url: str | None, text: str,
           sender: str | None) -> RuleSet:
    # A sender's learned template is keyed by sender ("mail:" + its key, see `clean_message`)
    # rather than by host, so it applies whatever the message's URL; one learned for another
    # sender (a batch's guess that missed) does not apply at all.
    mine = tuple(f for f in learned if not f.domains or sender in f.domains)
    learned = tuple(replace(f, domains=()) for f in (*cleaner.options.learned, *mine))
    book = cleaner.mail_rulebook(learned)
    return book.for_url(url) if url else book.for_text(text)


def _text_url(blocks: list[Block]) -> str | None:
    """In a plain-text body: the URL on a "View this email in your browser" line."""
    for block in blocks[:12] + blocks[-12:]:
        if block.links and VIEW_ONLINE.match(block.links[0][0].strip(" .")):
            return block.links[0][1]
    return None


def _kept(blocks: list[Block], lines: tuple[str, ...]) -> list[str | None]:
    """Map the filters' kept lines back onto the blocks (a kept line may have lost a sentence
    of small print off its end)."""
    kept: list[str | None] = []
    j = 0
    for block in blocks:
        if j < len(lines) and (lines[j] == block.text or (lines[j] and block.text.startswith(lines[j]))):
            kept.append(lines[j])
            j += 1
        else:
            kept.append(None)
    return kept


@dataclass(frozen=True)
class _Parsed:
    """A body turned into blocks, with what was learned and removed on the way."""

    blocks: list[Block]
    url: str | None
    rules: RuleSet
    forwarded: Headers | None
    author: str | None
    removed: list[Removal]
    reverted: list[str]


def _parse_html(text: str, headers: Headers, cleaner: Cleaner, learned: tuple[RuleFile, ...],
                url: str | None, sender: str | None, before_prune: BeforePrune | None) -> _Parsed:
    options = cleaner.options
    root = parse_html(text)
    forwarded, removed = unforward_html(root)
    found, pixels = prepare(root)
    if before_prune is not None and sender is not None and forwarded is None:
        before_prune(root, sender)
    url = url or found or title_link(root, (forwarded or headers).title)
    author = byline(root)  # before pruning: the post-meta line that names the author goes
    removed += drop_links_to(root, list_urls(headers.list_unsubscribe))
    rules = _rules(cleaner, learned, url, "", sender)
    reverted: list[str] = []
    if options.prune:
        safety = replace(options.safety, max_element_share=max(options.safety.max_element_share, _EMAIL_ELEMENT_SHARE))
        result = prune(root, rules, safety)
        removed += result.removed
        reverted += result.reverted
    return _Parsed(html_blocks(root), url, rules, forwarded, author, removed + pixels, reverted)


def _parse_text(text: str, headers: Headers, cleaner: Cleaner, learned: tuple[RuleFile, ...],
                url: str | None, sender: str | None, before_prune: BeforePrune | None) -> _Parsed:
    forwarded, text, removed = unforward_text(text)
    blocks = text_blocks(strip_tracking_in_text(text))
    unsubscribe = list_urls(headers.list_unsubscribe)
    for block in [b for b in blocks if any(href in unsubscribe for _, href in b.links)]:
        removed.append(Removal.of("list-unsubscribe-link", block.text, stage="text"))
        blocks.remove(block)
    url = url or _text_url(blocks)
    return _Parsed(blocks, url, _rules(cleaner, learned, url, text, sender), forwarded, None, removed, [])


def clean_message(data: bytes, options: CleanOptions | None = None, mail: MailOptions | None = None,
                  source: str | None = None, url: str | None = None, *, cleaner: Cleaner | None = None,
                  learned: tuple[RuleFile, ...] = (), before_prune: BeforePrune | None = None) -> list[Article]:
    """Clean one message (bytes as stored) into its article, or its stories' articles; raise a
    `ScraperError` subclass with the reason when there is nothing to keep. `url`, when given,
    is the issue's URL (for rules and the record) instead of its "view in browser" link.
    `cleaner` (one for `options` when None) holds the rules; `learned` holds the sender's
    template. `before_prune(root, sender)` sees an HTML body of the sender's own (not forwarded
    or attached) before rules remove anything, so that a batch fingerprints it from this parse."""
    cleaner = cleaner or cleaner_for(options)
    options = cleaner.options
    mail = mail or MailOptions()
    message = parse_message(data)
    key = sender_key(message)
    sender = f"mail:{key}" if key else None
    headers = read_headers(message)
    part = body(message)
    inner = attached_message(message)
    if inner is not None and len(part.text.split()) < _WRAPPER_WORDS:
        headers = _merge(headers, read_headers(inner))
        part = body(inner)
        before_prune = None  # the attachment's body is another sender's
    parse = _parse_html if part.kind == "html" else _parse_text
    parsed = parse(part.text, headers, cleaner, learned, url, sender, before_prune)
    headers = _merge(headers, parsed.forwarded)
    if parsed.author and not headers.author:
        headers = replace(headers, author=parsed.author)
    blocks, removed, reverted = parsed.blocks, parsed.removed, parsed.reverted
    lines: tuple[str, ...] = tuple(b.text for b in blocks)
    if options.filters:
        filtered = filter_lines(list(lines), parsed.rules, brand=headers.sitename, title=headers.title)
        lines, removed, reverted = filtered.lines, removed + list(filtered.removed), reverted + list(filtered.reverted)
    kept = _kept(blocks, lines)
    # Icon links and badges hold no text; say what they were in the audit trail.
    removed = [r if r.text else Removal(r.rule, "(image)", r.stage) for r in removed]
    base = Article(
        text="\n\n".join(t for t in kept if t), url=parsed.url, title=headers.title, author=headers.author,
        date=headers.date, sitename=headers.sitename, source=source, encoding=part.encoding,
        removed=tuple(removed), reverted=tuple(reverted), id=headers.id, list_id=headers.list_id,
        list_unsubscribe=headers.list_unsubscribe,
    )
    if mail.split_digest:
        stories = split_stories(blocks, kept, mail.min_story_words)
        if len(stories) >= 2:
            return [replace(base, text="\n\n".join(s.paragraphs), title=s.title, url=s.url and strip_tracking(s.url),
                            source=f"{source}#{n}" if source else None,
                            id=f"{headers.id}#{n}" if headers.id else None)
                    for n, s in enumerate(stories, start=1)]
    if base.word_count < options.min_words:
        raise ExtractionError("no article text found" if base.text else "nothing left after removing template")
    return [base]
