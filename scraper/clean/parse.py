"""Decoding and parsing a page, once: every stage that reads a page (cleaning, template
fingerprints, the never-lose guard) works on the tree made here."""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree
from lxml.html import HTMLParser, HtmlElement, document_fromstring

from scraper.clean.decode import decode_bytes
from scraper.errors import InputError, too_large



def _html_parser() -> HTMLParser:
    """lxml.html's parser, with the same element classes looked up in C: lxml.html asks a Python
    method for the class of every element object made, ~5,000 a page counting trafilatura's work
    on our tree (3 % of cleaning)."""
    parser = HTMLParser(collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True)
    classes = getattr(lxml.html.HtmlElementClassLookup, "_default_element_classes", None)
    if classes is None:  # another lxml: its own lookup, slower but the same
        return parser
    lookup = etree.ElementNamespaceClassLookup(etree.ElementDefaultClassLookup(
        element=HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity))
    lookup.get_namespace(None).update(classes)
    parser.set_element_class_lookup(lookup)
    return parser


_PARSER = _html_parser()
# libxml2 ignores `</button>` while a <div> opened inside the button is still open, so the rest
# of the page nests in the button, and trafilatura deletes it with every other button (seen on
# Dotdash Meredith pages: the body then comes from its one-line baseline). Buttons hold phrasing
# content only, so one holding the page's structure is a parse artifact, unwrapped here.
_SWALLOWING_BUTTONS = etree.XPath(
    "/descendant::button[descendant::main or descendant::article or count(descendant::p) > 2]")
# lxml refuses str input that still declares an encoding; the bytes were decoded already.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


# C0 controls other than tab, newline and carriage return: lxml refuses to set them as text,
# so a page holding one (a stray \x0b beside a block the rules remove) failed with ValueError.
# Browsers show nothing for them; a space keeps the words on either side apart.
_XML_INCOMPATIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Looked for one by one: 29 substring scans in C cost half the regex search on a whole page.
_XML_INCOMPATIBLE_CHARS = tuple(map(chr, (*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20))))


def parse_html(text: str) -> HtmlElement:
    """Parse a page with lxml (as trafilatura does, minus its checks: 30 % faster); raise
    `InputError` when it is not HTML at all."""
    if any(char in text for char in _XML_INCOMPATIBLE_CHARS):
        text = _XML_INCOMPATIBLE.sub(" ", text)
    try:
        root = document_fromstring(_XML_DECLARATION.sub("", text, count=1), parser=_PARSER)
    except (ValueError, RecursionError, etree.ParserError) as exc:
        raise InputError(f"cannot parse HTML: {exc}") from exc
    if root is None or not len(root):
        raise InputError("not an HTML document")
    for button in _SWALLOWING_BUTTONS(root):
        button.drop_tag()
    return root


@dataclass(frozen=True)
class ParsedPage:
    """A page decoded and parsed once: its text (which the never-lose guard parses again from
    when it must), the tree, and the encoding it was decoded from (None for text given)."""

    html: str
    root: HtmlElement
    encoding: str | None = None


def parse_page(html: str | bytes, http_charset: str | None, max_bytes: int) -> ParsedPage:
    """Decode (bytes, by our own decoder) and parse a page of at most `max_bytes`."""
    if len(html) > max_bytes:
        raise InputError(too_large("page", max_bytes))
    encoding = None
    if isinstance(html, bytes):
        html, encoding = decode_bytes(html, http_charset)
    elif not html.strip():
        raise InputError("empty input")
    return ParsedPage(html, parse_html(html), encoding)
