"""An e-mail body as a list of text blocks: tracking taken out, links kept clean.

Newsletter HTML is nested layout tables around the writing; there is no page chrome for an
extractor to guess at, so after the template rules have pruned the tree, every block of text
that is left is the newsletter's own. Each block keeps whether it was a heading and its links,
which is what splitting a digest into stories needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from lxml.html import HtmlElement

from scraper.article import Removal
from scraper.urls import is_tracking_param

# Tracking added by newsletter platforms on top of the web's (urls.TRACKING_PARAMS):
# beehiiv's `last_resource_guid`, Substack's `r` (the reader's referral code) and `isFreemail`,
# Kit's `ck_subscriber_id`. Ghost's `ref=<newsletter>` stays: `ref` names branches and pages
# on too many sites to be dropped from every link.
_MAIL_TRACKING = frozenset({"last_resource_guid", "ck_subscriber_id", "isfreemail", "r"})
_BLOCK_TAGS = frozenset({
    "p", "div", "td", "th", "tr", "table", "li", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4",
    "h5", "h6", "pre", "center", "section", "article", "header", "footer", "dd", "dt", "dl",
    "figcaption", "figure", "hr", "body", "tbody", "thead", "tfoot", "main", "aside", "nav",
})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template"})
_PIXEL_STYLE = re.compile(r"(^|;)\s*(width|height)\s*:\s*[01](px)?\s*(;|$)", re.IGNORECASE)
# Gmail rewrites the class and id names of a message it forwards or quotes with a per-message
# prefix ("m_-1234567890123456789templateFooter"); the template rules need the names back.
_GMAIL_PREFIX = re.compile(r"(?<![\w-])m_-?\d{6,}")
# A plain-text heading: a paragraph of one short line without closing punctuation.
_TEXT_HEADING = re.compile(r"^(?!https?://)\S.{0,90}(?<![.!?:;,\"”’)])$")
_BYLINE = re.compile(r"^By (?P<name>[A-Z][\w'’-]+(?: [A-Z][\w'’.-]+){1,3}) ?[•·|]")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+")
# The "view in browser" link that most templates put at the very top (or bottom): its target
# is the web page, the best `url` an e-mail has.
VIEW_ONLINE = re.compile(
    r"^\s*(view|read|open|see)( this| the| it)?( email| e-mail| newsletter| post| issue| message|"
    r" edition)?( online| on the web| in (your |a |the )?(web )?browser| as a web ?page| web version)( at| here)?\s*$"
    r"|^\s*(web version|view online|read online|online version)\s*$",
    re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """One block of text of the body; `links` are (text, url) pairs inside it."""

    text: str
    heading: bool = False
    links: tuple[tuple[str, str], ...] = ()


def strip_tracking(url: str) -> str:
    """`url` without utm_*, mc_cid, mc_eid and the other tracking parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    kept = [p for p in parts.query.split("&") if p and not _tracking(p)]
    return urlunsplit(parts._replace(query="&".join(kept)))


def _tracking(param: str) -> bool:
    return is_tracking_param(param) or unquote_plus(param.split("=", 1)[0]).lower() in _MAIL_TRACKING


def strip_tracking_in_text(text: str) -> str:
    """Every URL written out in plain text, without its tracking parameters."""
    return _URL_IN_TEXT.sub(lambda m: strip_tracking(m.group(0)), text)


def title_link(root: HtmlElement, title: str | None) -> str | None:
    """The link on the issue's own title (Substack and Ghost link the heading to the post),
    a fallback for the "view in browser" URL."""
    if not title:
        return None
    key = " ".join(title.split()).casefold()
    for a in root.iter("a"):
        href = a.get("href", "")
        if href.startswith(("http://", "https://")) and " ".join(a.text_content().split()).casefold() == key:
            return href
    return None


def list_urls(value: str | None) -> frozenset[str]:
    """The http(s) URLs of a List-Unsubscribe header ("<https://…>, <mailto:…>")."""
    return frozenset(u for u in re.findall(r"<([^<>\s]+)>", value or "") if u.startswith(("http://", "https://")))


def drop_links_to(root: HtmlElement, urls: frozenset[str]) -> list[Removal]:
    """Remove the small block around each link to one of `urls` (the List-Unsubscribe
    targets: whatever its wording, a line that links there is the unsubscribe footer)."""
    removed: list[Removal] = []
    if not urls:
        return removed
    for a in [a for a in root.iter("a") if a.get("href", "").strip() in urls]:
        block = a
        while block.getparent() is not None and block.tag not in _BLOCK_TAGS:
            block = block.getparent()
        target = block if block.tag not in ("body", "html") and len(block.text_content()) < 200 else a
        if target.getparent() is not None:
            removed.append(Removal.of("list-unsubscribe-link", target.text_content()))
            target.drop_tree()
    return removed


def _is_pixel(img: HtmlElement) -> bool:
    sizes = [img.get("width", ""), img.get("height", "")]
    if any(s.strip().removesuffix("px") in ("0", "1") for s in sizes):
        return True
    return bool(_PIXEL_STYLE.search(img.get("style", "")))


def prepare(root: HtmlElement) -> tuple[str | None, list[Removal]]:
    """Remove 1×1 tracking pixels, strip tracking parameters from every link, undo Gmail's
    class prefixes, and find the "view in browser" URL; return that URL and the pixel removals."""
    removed: list[Removal] = []
    for el in root.iter():
        for attr in ("class", "id"):
            value = el.get(attr) if isinstance(el.tag, str) else None
            if value and "m_" in value:
                el.set(attr, _GMAIL_PREFIX.sub("", value))
    for img in root.iter("img"):
        if _is_pixel(img):
            removed.append(Removal.of("tracking-pixel", urlsplit(img.get("src", "")).netloc or "1×1 image"))
    for img in [i for i in root.iter("img") if _is_pixel(i)]:
        img.drop_tree()
    view_online = None
    for a in root.iter("a"):
        href = a.get("href")
        if not href:
            continue
        cleaned = strip_tracking(href.strip())
        if cleaned != href:
            try:
                a.set("href", cleaned)
            except ValueError:  # control characters lxml parsed but will not write back
                continue
        href = cleaned
        if (view_online is None and href.startswith(("http://", "https://"))
                and VIEW_ONLINE.match(a.text_content())):
            view_online = href
    return view_online, removed


def html_blocks(root: HtmlElement) -> list[Block]:
    """The text left in the tree, one block per run of inline content between block edges;
    `<br>` ends a line (addresses and sign-offs are written line by line)."""
    blocks: list[Block] = []
    parts: list[str] = []
    links: list[tuple[str, str]] = []
    heading = [False]

    def flush() -> None:
        text = " ".join("".join(parts).split())
        if text:
            blocks.append(Block(text, heading[0], tuple(links)))
        parts.clear()
        links.clear()
        heading[0] = False

    def walk(el: HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP or not isinstance(el.tag, str):
            return
        block = tag in _BLOCK_TAGS
        if block or tag == "br":
            flush()
        if tag in _HEADINGS:
            heading[0] = True
        if tag == "a" and el.get("href"):
            links.append((" ".join(el.text_content().split()), el.get("href", "")))
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            flush()

    body = root.find("body")
    walk(body if body is not None else root)
    flush()
    return blocks


def text_blocks(text: str) -> list[Block]:
    """Plain-text body as blocks: paragraphs are separated by blank lines and their wrapped
    lines joined; list items, short lines and "Key: value" lines stay lines of their own."""
    blocks: list[Block] = []
    for paragraph in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if not lines:
            continue
        # Hard-wrapped prose has long lines; an address or a link list has short ones.
        wrapped = len(lines) > 1 and sum(len(line) for line in lines[:-1]) / (len(lines) - 1) >= 50
        if wrapped and not any(re.match(r"^([-*•]|\d+[.)])\s", line) for line in lines[1:]):
            lines = [" ".join(lines)]
        for line in lines:
            # Mailchimp's plain-text parts mark headings and links with a leading "** ".
            marked = line.startswith("** ")
            line = line.removeprefix("** ").strip() or line
            # A URL's link text is the rest of its line ("Read more: https://…").
            urls = tuple((line.replace(u, " ").strip(" :<>()[]-—"), u) for u in _URL_IN_TEXT.findall(line))
            heading = len(lines) == 1 and (marked or _TEXT_HEADING.match(line) is not None)
            blocks.append(Block(line, heading=heading, links=urls))
    return blocks


def byline(root: HtmlElement) -> str | None:
    """The author named in a "By Ines Alder • 19 Oct 2025" line (Ghost's post meta), if any."""
    for el in root.iter("td", "p", "div", "span"):
        text = " ".join(el.text_content().split())
        if len(text) < 80 and (match := _BYLINE.match(text)):
            return match["name"]
    return None

