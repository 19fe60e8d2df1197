"""XPath rules are compiled into a faster form that selects exactly what the rule as written does."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from lxml import etree

from scraper.clean.cleaner import rulebook
from scraper.clean.parse import parse_html
from scraper.clean.xpaths import faster_xpath

PAGES = sorted((Path(__file__).parent.parent / "fixtures" / "pages").glob("*.htm*"))
SHIPPED = [r.pattern for r in {r for f in rulebook(()).files for r in f.html if r.kind == "xpath"}]


def _page(path: Path) -> etree._Element:
    data = path.read_bytes()
    return parse_html((gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace"))


@pytest.mark.parametrize("path", [
    "//a", "//a[1]", "//li[last()]", "//*[position() = 2]", "//text()", "//@class", "//p | //h2[1]",
    "//div/a[2]", "//*[self::ul or self::ol][count(li) >= 2]", "(//a)[1]", "//self::div", "//..",
    "//descendant::p[1]", "//following-sibling::p", "//a[contains(., '|')] | //b", *SHIPPED,
])
def test_a_rewritten_xpath_selects_the_same_nodes_in_the_same_order(path):
    compiled, rewritten = etree.XPath(path), etree.XPath(faster_xpath(path))
    for page in PAGES:
        root = _page(page)
        assert rewritten(root) == compiled(root), page.name


@pytest.mark.parametrize("path, expected", [
    ("//a[1]", "(/|/descendant::*)/a[1]"),
    ("//a | .//b", "(/|/descendant::*)/a | .//b"),
    ("//@class", "(/|/descendant::*)/@class"),
    # A step on another axis than child or attribute sees text nodes too: left as written.
    ("//self::div", "//self::div"),
    ("//following-sibling::p", "//following-sibling::p"),
    ("//..", "//.."),
])
def test_only_a_leading_double_slash_before_a_child_or_attribute_step_is_rewritten(path, expected):
    assert faster_xpath(path) == expected
