"""HTML-level pruning: remove promo blocks from the parsed page before extraction.

One pass collects candidates from the compiled `RuleSet` (CSS selectors, class/id patterns,
headings whose text announces promo, blocks whose whole text is a known template); nested
candidates collapse to the outermost; a safety net refuses any removal that would take a large
share of the page's text with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from lxml.html import HtmlElement

from scraper.article import Removal
from scraper.clean.budget import RuleBudget
from scraper.clean.rules import BEM_MODIFIER, normalise_text
from scraper.clean.ruleset import RuleSet
from scraper.clean.sections import (
    BLOCK_TAGS,
    PROTECTED,
    element_texts,
    link_length,
    orphaned_heading,
    own_text,
    strip_invisible,
    text_length,
    text_slug,
)

# `/descendant::x` rather than `//x` throughout: libxml2 builds `//`'s set of every node first
# (twice as slow on these pages).
# Class names of standfirsts ("sub-head", "p-dek", "article__lead-paragraph", "strapline"),
# from the AEB pages whose dek is left out of the truth; BEM modifiers ("--lead") do not count.
_DEK_CLASS = re.compile(r"(^|[\s_-])(dek|deck|sub-?head(line)?|subline|standfirst|strap(line)?|subtitle|"
                        r"sub-?heading|excerpt|abstract|summary|lead|intro|heading-des)([\s_-]|$)")
_TEXT_CONTAINING = etree.XPath("/descendant::body/descendant::text()[contains(., $probe)]")
# Attribute values, not elements: values repeat and are matched once (memo in RuleSet).
_ATTR_NAMES = ("class", "id", "data-component", "data-testid")
_ATTR_VALUES = etree.XPath(" | ".join(f"/descendant::*/@{a}" for a in _ATTR_NAMES))
_BODY_TEXTS = etree.XPath("/descendant::body/descendant::text()", smart_strings=False)
# Short blocks only: a heading that announces promo is a handful of words, never a paragraph.
# Text nodes short enough to be a heading (2 < length < 160); their element is checked in Python.
_SHORT_TEXT_XPATH = "/descendant::body/descendant::text()[string-length(.) > 2 and string-length(.) < 160]"
# The text nodes equal to one of a few strings, joined by a private-use separator.
_TEXTS_AMONG = etree.XPath("/descendant::body/descendant::text()[contains($among, concat($sep, ., $sep))]")
_SEP = "\ue000"
_HEADING_ELEMENTS = frozenset({"h2", "h3", "h4", "h5", "h6", "p", "span", "strong", "b", "div",
                               "header", "figcaption", "legend", "button", "a", "li"})
_INLINE = frozenset({"a", "span", "strong", "b", "em", "i"})
_HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_HEADING_MAX_WORDS = 12
_CLIMB_LEVELS = 5
_BLOCKS = frozenset(BLOCK_TAGS)
# Promo boxes and headline lists hold short teasers; several long paragraphs mean article text
# (the AEB page whose article column is class "non-ad-column" taught us this).
# The page's headline comes with the article: a candidate holding the h1 and real text is the
# article itself (Substack marks its post "newsletter-post").
_PROSE = etree.XPath("count(descendant::p[string-length() > 160]) >= 4 or (descendant::h1 and string-length() > 1000)")
_LINK_TEXTS = etree.XPath("descendant::a/descendant::text()", smart_strings=False)
# A promo box's own words (its non-link text besides the heading) stay under this; article
# containers are far above it, so climbing stops before reaching them.
_BOX_OWN_TEXT = 500


@dataclass(frozen=True)
class PruneOptions:
    """How much of the page a removal may take before the safety net refuses it."""

    max_element_share: float = 0.4
    max_total_share: float = 0.6
    min_guarded_chars: int = 400


@dataclass(frozen=True)
class PruneResult:
    """What went (`removed`, and the whole normalised text of each in `taken`, for the
    never-lose guard) and what the safety net refused."""

    removed: tuple[Removal, ...]
    reverted: tuple[str, ...]
    taken: tuple[str, ...] = ()
    # Characters of each removal's text outside links: a list of headlines is not an article.
    prose: tuple[int, ...] = ()


def _heading_block(el: HtmlElement, boxes_only: bool = False) -> list[HtmlElement]:
    """The promo block announced by a heading (or a form field): its small enclosing box, or the
    lists after it."""
    heading_own = own_text(el)
    node = el
    for _ in range(_CLIMB_LEVELS):
        parent = node.getparent()
        if parent is None or parent.tag in PROTECTED:
            break
        if own_text(parent) - heading_own > _BOX_OWN_TEXT:
            break
        node = parent
    if node is not el:
        return [node]
    if boxes_only or el.tag not in _HEADING_TAGS:
        return []  # a short paragraph in running text: never remove on its wording alone
    block = [el]
    for sib in el.itersiblings():
        if not isinstance(sib.tag, str) or sib.tag in _HEADING_TAGS:
            break
        total = text_length(sib)
        if total and link_length(sib) < 0.5 * total:
            break
        block.append(sib)
    return block


def _exact(root: HtmlElement, rules: RuleSet) -> list[tuple[HtmlElement, str]]:
    found: list[tuple[HtmlElement, str]] = []
    shortest = min(map(len, rules.exact))
    # Page wrappers hold far more text than any learned block: not worth normalising. Raw text
    # may be mostly indentation, hence the generous factor.
    longest = 20 * max(map(len, rules.exact)) + 200
    for body in root.iter("body"):
        for el, text in element_texts(body).items():
            # x3: casefolding can lengthen text ("ﬃ" becomes "ffi"), collapsing never does.
            if el.tag not in _BLOCKS or len(text) * 3 < shortest or len(text) > longest:
                continue
            if (rule := rules.exact.get(normalise_text(text))) is None:
                continue
            if rule.expand:
                found.extend((box, rule.name) for box in _heading_block(el, boxes_only=True))
            else:
                found.append((el, rule.name))
    return found


def _heading_hits(texts: set[str], rules: RuleSet, budget: RuleBudget) -> dict[str, str]:
    """Name of the heading rule that each of `texts` announces, for those short enough to be a
    heading that one matches."""
    keys = {}
    for text in texts:
        key = " ".join(text.split()).strip(" :.»›>|").lower()
        if key and key.count(" ") < _HEADING_MAX_WORDS:  # words are single-space separated now
            keys[text] = key
    names = budget.run(rules.heading_hits, set(keys.values()))
    return {text: names[key] for text, key in keys.items() if key in names}


def _attr_matches(root: HtmlElement, rules: RuleSet, budget: RuleBudget) -> list[tuple[HtmlElement, str]]:
    """Elements whose class/id (or component) value a rule matches, in document order."""
    nodes = _ATTR_VALUES(root)
    # Matched as plain strings, each distinct value once, in the order of first appearance (a
    # user rule that runs out of time is skipped from there on, as it would be met in the page).
    values = [str(v) for v in nodes]
    names = budget.run(rules.attr_hits, dict.fromkeys(values))
    found = []
    if names:
        for i, value in enumerate(values):
            if (name := names.get(value)) and (el := (node := nodes[i]).getparent()).tag not in PROTECTED:
                if node.attrname == "id" and text_slug(el, value):
                    continue
                found.append((el, name))
    return found


def _candidates(root: HtmlElement, rules: RuleSet, budget: RuleBudget,
                texts: list[str]) -> list[tuple[HtmlElement, str]]:
    """Elements the rules mark for removal, each with its rule's name; `texts` are the page's
    body text nodes."""
    found: list[tuple[HtmlElement, str]] = _exact(root, rules) if rules.exact else []
    for rule, selector in rules.selectors:
        for el in selector(root):
            if rule.expand:
                found.extend((box, rule.name) for box in _heading_block(el, boxes_only=True))
            else:
                found.append((el, rule.name))
    if rules.has_attr_rules:
        found.extend(_attr_matches(root, rules, budget))
    if rules.has_heading_rules:
        # Plain strings, filtered in Python: no element proxies for the many misses, and no
        # per-node XPath predicate.
        hits = _heading_hits({t for t in texts if 2 < len(t) < 160}, rules, budget)
        if not hits:
            return found
        # Only the matching text nodes come back as nodes: a second pass over every short text
        # with element proxies cost more than the matching itself.
        try:
            nodes = _TEXTS_AMONG(root, among=_SEP + _SEP.join(hits) + _SEP, sep=_SEP)
        except ValueError:  # a control character lxml refuses in a variable (hostile pages)
            nodes = [n for n in root.xpath(_SHORT_TEXT_XPATH) if n in hits]
        for node in nodes:
            el = node.getparent()
            if node.is_tail or el is None or el.tag not in _HEADING_ELEMENTS:
                continue
            name = hits[str(node)]
            if el.tag in _INLINE:
                # <h3><span>More from this section</span></h3> is a heading; a phrase inside a
                # sentence is not.
                up = el.getparent()
                if up is None or len(up.text_content().strip()) > len(node.strip()) + 3:
                    continue
                el = up
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


def _standfirst(root: HtmlElement, description: str | None, texts: list[str]) -> list[tuple[HtmlElement, str]]:
    """The page's standfirst (dek): the element repeating the meta description, when it sits in
    the article header or is marked as a dek. Records keep it in `description`; benchmark truths
    leave it out of the body. A plain paragraph that merely equals the description is the lede
    that sites copy into their meta tags, and stays."""
    words = (description or "").split()
    if len(words) < 5:
        return []
    probe = " ".join(words[:4])
    if not any(probe in t for t in texts):  # plain strings first: most pages have no dek
        return []
    wanted = normalise_text(description or "")
    for node in _TEXT_CONTAINING(root, probe=probe):
        el = node.getparent()
        for _ in range(3):
            if el is None or el.tag in PROTECTED:
                break
            if normalise_text(el.text_content()) == wanted:
                parent = el.getparent()
                marked = " ".join(filter(None, (el.get("class"), parent.get("class") if parent is not None else None)))
                in_header = next(el.iterancestors("header"), None) is not None
                if in_header or _DEK_CLASS.search(BEM_MODIFIER.sub("", marked.lower())):
                    return [(el, "standfirst")]
                return []
            el = el.getparent()
    return []


def prune(root: HtmlElement, rules: RuleSet, options: PruneOptions = PruneOptions(),
          description: str | None = None, spare: frozenset[str] = frozenset(),
          page: str | None = None) -> PruneResult:
    """Remove promo blocks (and the standfirst repeating `description`) from `root` in place;
    report what went and what was refused (and any user rule skipped for running out of time on
    this `page`, named so in the log). Blocks whose normalised text is in `spare` stay: the
    never-lose guard found the article in them."""
    strip_invisible(root)
    budget = RuleBudget(page)
    texts = _BODY_TEXTS(root)
    found = _candidates(root, rules, budget, texts) + _standfirst(root, description, texts)
    if not found:
        return PruneResult((), tuple(budget.notes))
    total = max(text_length(root), 1)
    guarded = total >= options.min_guarded_chars
    reverted: list[str] = list(budget.notes)
    planned: list[tuple[HtmlElement, str, int]] = []
    refused: set[int] = set()
    while found:
        # Measure only the outermost candidates; when one is refused, the candidates nested in
        # it get their turn in the next round.
        outer = _outermost(found)
        for el, name in outer:
            size = text_length(el)
            if spare and normalise_text(el.text_content()) in spare:
                reverted.append(f"{name}: took article text that the unpruned page keeps; undone")
                refused.add(id(el))
            elif guarded and size > options.max_element_share * total:
                reverted.append(f"{name}: would remove {size / total:.0%} of the page text")
                refused.add(id(el))
            elif _PROSE(el):
                reverted.append(f"{name}: would remove a block of article paragraphs")
                refused.add(id(el))
            else:
                planned.append((el, name, size))
        taken = {id(el) for el, _ in outer}
        found = [(el, n) for el, n in found if id(el) not in taken
                 and any(id(a) in refused for a in el.iterancestors())
                 and not any(id(a) in taken and id(a) not in refused for a in el.iterancestors())]
    # Exact-text rules take text that recurs on other pages of the site, never this page's own
    # text, so they do not use up the share budget that guards against greedy selectors; each
    # of their blocks still passes the element-share and prose tests above.
    exact = {r.name for r in rules.exact.values()}
    removed_share = sum(size for _, name, size in planned if name not in exact) / total
    if guarded and removed_share > options.max_total_share:
        return PruneResult((), (*reverted, f"html rules: would remove {removed_share:.0%} of the page text"))
    chosen = {id(el) for el, _, _ in planned}
    for el, name, _ in list(planned):
        if (heading := orphaned_heading(el, chosen)) is not None:
            planned.append((heading, name, 0))
            chosen.add(id(heading))
    removals, taken, prose = [], [], []
    for el, name, _ in planned:
        text = el.text_content()
        removals.append(Removal.of(name, text))
        taken.append(normalise_text(text))
        links = " ".join(" ".join(_LINK_TEXTS(el)).split())
        prose.append(max(len(taken[-1]) - len(links), 0))
        el.drop_tree()
    return PruneResult(tuple(removals), tuple(reverted), tuple(taken), tuple(prose))
