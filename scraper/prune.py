"""HTML-level pruning: remove promo blocks from the parsed page before extraction.

One pass collects candidates from the compiled `RuleSet` (CSS selectors, class/id patterns,
headings whose text announces promo); nested candidates collapse to the outermost; a safety net
refuses any removal that would take a large share of the page's text with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml.html import HtmlElement

from .article import Removal
from .rules import RuleSet

_VISIBLE_TEXT = ".//text()[not(parent::script or parent::style or parent::noscript or parent::template)]"
_PROTECTED = frozenset({"html", "body", "head"})
_ATTRS = ("class", "id", "data-component", "data-testid")
# Short blocks only: a heading that announces promo is a handful of words, never a paragraph.
_HEADING_XPATH = (
    ".//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or self::p or self::span"
    " or self::strong or self::b or self::div or self::header or self::figcaption or self::legend"
    " or self::button][string-length(normalize-space()) > 2 and string-length(normalize-space()) < 90]"
)
_HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_HEADING_MAX_WORDS = 12
_CLIMB_LEVELS = 5
# A promo box's own words (its non-link text besides the heading) stay under this; article
# containers are far above it, so climbing stops before reaching them.
_BOX_OWN_TEXT = 320


@dataclass(frozen=True)
class PruneOptions:
    """How much of the page a removal may take before the safety net refuses it."""

    max_element_share: float = 0.4
    max_total_share: float = 0.6
    min_guarded_chars: int = 400


@dataclass(frozen=True)
class PruneResult:
    removed: tuple[Removal, ...]
    reverted: tuple[str, ...]


def text_length(el: HtmlElement) -> int:
    """Visible characters below `el` (scripts and styles excluded)."""
    return sum(len(t) for t in el.xpath(_VISIBLE_TEXT))


def _link_length(el: HtmlElement) -> int:
    return sum(len(t) for t in el.xpath(".//a//text()"))


def _own_text(el: HtmlElement) -> int:
    """Visible characters that are not link text: what makes a block prose rather than a list."""
    return text_length(el) - _link_length(el)


def _heading_block(el: HtmlElement) -> list[HtmlElement]:
    """The promo block announced by a heading: its small enclosing box, or the lists after it."""
    heading_own = _own_text(el)
    node = el
    for _ in range(_CLIMB_LEVELS):
        parent = node.getparent()
        if parent is None or parent.tag in _PROTECTED:
            break
        if _own_text(parent) - heading_own > _BOX_OWN_TEXT:
            break
        node = parent
    if node is not el:
        return [node]
    if el.tag not in _HEADING_TAGS:
        return []  # a short paragraph in running text: never remove on its wording alone
    block = [el]
    for sib in el.itersiblings():
        if not isinstance(sib.tag, str) or sib.tag in _HEADING_TAGS:
            break
        total = text_length(sib)
        if total and _link_length(sib) < 0.5 * total:
            break
        block.append(sib)
    return block


def _candidates(root: HtmlElement, rules: RuleSet) -> list[tuple[HtmlElement, str]]:
    found: list[tuple[HtmlElement, str]] = []
    for name, selector in rules.css:
        found.extend((el, name) for el in selector(root))
    if rules.attr is not None:
        for el in root.iter():
            if not isinstance(el.tag, str) or el.tag in _PROTECTED:
                continue
            attrs = " ".join(v for a in _ATTRS if (v := el.get(a)))
            if attrs and (match := rules.attr.search(attrs)):
                found.append((el, rules.attr_names[int(match.lastgroup[1:])]))
    if rules.heading is not None:
        body = root.find("body")
        for el in (body if body is not None else root).xpath(_HEADING_XPATH):
            text = " ".join(el.text_content().split()).strip(" :.»›>|")
            if len(text.split()) > _HEADING_MAX_WORDS:
                continue
            if match := rules.heading.fullmatch(text):
                name = rules.heading_names[int(match.lastgroup[1:])]
                found.extend((block_el, name) for block_el in _heading_block(el))
    return found


def _outermost(found: list[tuple[HtmlElement, str]]) -> list[tuple[HtmlElement, str]]:
    chosen = {id(el) for el, _ in found}
    seen: set[int] = set()
    result = []
    for el, name in found:
        if id(el) in seen or any(id(a) in chosen for a in el.iterancestors()):
            continue
        seen.add(id(el))
        result.append((el, name))
    return result


def prune(root: HtmlElement, rules: RuleSet, options: PruneOptions = PruneOptions()) -> PruneResult:
    """Remove promo blocks from `root` in place and report what went and what was refused."""
    found = _candidates(root, rules)
    if not found:
        return PruneResult((), ())
    total = max(text_length(root), 1)
    guarded = total >= options.min_guarded_chars
    sizes: dict[int, int] = {}
    kept: list[tuple[HtmlElement, str]] = []
    reverted: list[str] = []
    for el, name in found:
        if id(el) in sizes:
            continue
        size = sizes[id(el)] = text_length(el)
        if guarded and size > options.max_element_share * total:
            reverted.append(f"{name}: would remove {size / total:.0%} of the page text")
        else:
            kept.append((el, name))
    planned = _outermost(kept)
    removed_share = sum(sizes[id(el)] for el, _ in planned) / total
    if guarded and removed_share > options.max_total_share:
        return PruneResult((), (*reverted, f"html rules: would remove {removed_share:.0%} of the page text"))
    removals = []
    for el, name in planned:
        removals.append(Removal.of(name, el.text_content()))
        el.drop_tree()
    return PruneResult(tuple(removals), tuple(reverted))
