"""A CSS selector for a block that leaked into the output, found in the raw page.

The selector is the element's own tag with its id or classes, else under its nearest ancestor
that has one; it is offered only when it matches that element and nothing else on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from scraper.review.model import norm

_TAGS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption", "dd", "div", "aside", "section")
_IDENT = re.compile(r"^-?[A-Za-z_][\w-]*$")
# Ids and classes with long digit runs are generated per page ("post-48213", "css-1x2y3z4"): a
# selector built from them would not match the site's other pages.
_GENERATED = re.compile(r"\d{4,}")
_BIG = 12  # a container with more children than this holds more than one block


def _own(el: HtmlElement) -> str | None:
    ident = el.get("id") or ""
    if ident and _IDENT.match(ident) and not _GENERATED.search(ident):
        return f"{el.tag}#{ident}"
    classes = [c for c in (el.get("class") or "").split() if _IDENT.match(c) and not _GENERATED.search(c)]
    return f"{el.tag}." + ".".join(classes) if classes else None


def _candidates(el: HtmlElement) -> Iterable[str]:
    own = _own(el)
    if own:
        yield own
    for depth, ancestor in enumerate(el.iterancestors()):
        if depth >= 3 or ancestor.tag in ("body", "html"):
            break
        above = _own(ancestor)
        if above:
            yield f"{above} {own or el.tag}"


@lru_cache(maxsize=4096)
def _compiled(selector: str) -> CSSSelector | None:
    """Compiling is most of this module's time, and a site's pages share their class names."""
    try:
        return CSSSelector(selector)
    except (SelectorError, ValueError):
        return None


def leak_selectors(root: HtmlElement, texts: Iterable[str]) -> dict[str, str]:
    """For each text (normalised) that is exactly one element's text, a selector unique to it."""
    wanted = {norm(t) for t in texts if t.strip()}
    found: dict[str, str] = {}
    for el in root.iter(*_TAGS):
        if len(el) > _BIG:
            continue
        key = norm(el.text_content())
        if key not in wanted or key in found:
            continue
        for selector in _candidates(el):
            compiled = _compiled(selector)
            matches = compiled(root) if compiled is not None else []
            if len(matches) == 1 and matches[0] is el:
                found[key] = selector
                break
    return found


def full_text(root: HtmlElement, shortened: str, share: float) -> str | None:
    """The whole text of the element an HTML rule removed, from its record's shortened copy:
    the largest element whose text starts with that copy and stays within the pruner's
    `share` of the page (a removed element never holds more)."""
    prefix = norm(shortened.removesuffix("…"))
    if not prefix:
        return None
    body = root.find("body")
    limit = share * len(norm((body if body is not None else root).text_content()))
    best: str | None = None
    for el in root.iter():
        head = norm(el.text or "") if isinstance(el.tag, str) else ""
        if not head or not (prefix.startswith(head) or head.startswith(prefix)):
            continue
        node: HtmlElement | None = el
        while node is not None and node.tag not in ("body", "html"):
            text = " ".join(node.text_content().split())
            folded = text.casefold()
            if len(text) > limit or not (folded.startswith(prefix) or prefix.startswith(folded)):
                break
            if folded.startswith(prefix) and (best is None or len(text) > len(best)):
                best = text
            node = node.getparent()
        if best is not None:
            return best
    return best
