"""Forwarded newsletters: drop the forwarding header block (and the forwarder's note above it)
and read the original sender, date and subject from it.

Evidence: Gmail puts the block in `div.gmail_attr` ("---------- Forwarded message ---------",
then From/Date/Subject/To lines) inside `div.gmail_quote`; Outlook on the web puts it in
`div#divRplyFwdMsg` after an `<hr>` (From/Sent/To/Subject); Outlook for Windows and plain-text
forwards write the same lines after a "-----Original Message-----" or underscore rule, and Apple
Mail after "Begin forwarded message:". The forwarded newsletter is everything after the block.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from scraper.article import Removal
from scraper.newsletters.message import Headers, iso_date, sender

_MARKER = re.compile(
    r"^\s*(-{3,}\s*(forwarded message|original message)\s*-{3,}|begin forwarded message:?|_{10,})\s*",
    re.IGNORECASE)
_FIELD = re.compile(r"^\s*\*?(from|date|sent|subject|to|cc|reply-to)\*?\s*:\s*(.*)$", re.IGNORECASE)
_BLOCK_XPATH = "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_attr ') or @id='divRplyFwdMsg']"
_MAX_BLOCK_CHARS = 1200


def _fields(lines: list[str]) -> Headers | None:
    found: dict[str, str] = {}
    for line in lines:
        if match := _FIELD.match(line):
            found.setdefault(match[1].lower(), match[2].strip())
    if "from" not in found and "subject" not in found:
        return None
    sitename, author = sender(found.get("from"))
    subject = found.get("subject")
    return Headers(title=re.sub(r"^((fwd?|fw)\s*:\s*)+", "", subject, flags=re.IGNORECASE) if subject else None,
                   sitename=sitename, author=author, date=iso_date(found.get("date") or found.get("sent")))


def _lines(el: HtmlElement) -> list[str]:
    """An element's text, a line per `<br>` or block, for reading header fields."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node.tag in ("br", "div", "p", "tr"):
            parts.append("\n")
        if isinstance(node.tag, str) and node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return [line.strip() for line in "".join(parts).splitlines() if line.strip()]


def _drop_before(el: HtmlElement, body: HtmlElement) -> list[str]:
    """Remove everything that comes before `el` in document order (the forwarder's note, the
    `<hr>` Outlook draws); return its text."""
    gone: list[str] = []
    node = el
    while node is not None and node is not body:
        parent = node.getparent()
        if parent is None:
            break
        if parent.text and parent.text.strip():
            gone.append(parent.text.strip())
        parent.text = None
        for sib in list(node.itersiblings(preceding=True)):
            if isinstance(sib.tag, str) and sib.text_content().strip():
                gone.append(sib.text_content().strip())
            if sib.tail and sib.tail.strip():
                gone.append(sib.tail.strip())
            parent.remove(sib)
        node = parent
    return gone


def _marker_block(root: HtmlElement) -> HtmlElement | None:
    """Outlook for Windows and others: the smallest element starting with a forwarding marker
    or with a From: line that also holds Subject: and Sent:/Date: lines."""
    best = None
    for el in root.iter("div", "p", "blockquote", "td"):
        if len(el.text_content()) > _MAX_BLOCK_CHARS:
            continue
        lines = _lines(el)
        if lines and (_MARKER.match(lines[0]) or (_FIELD.match(lines[0]) and lines[0].lower().startswith("from"))):
            names = {m[1].lower() for line in lines if (m := _FIELD.match(line))}
            if {"from", "subject"} <= names and names & {"sent", "date"}:
                best = el  # keep going: a smaller one nested inside wins
    return best


def unforward_html(root: HtmlElement) -> tuple[Headers | None, list[Removal]]:
    """Remove a forwarding block and what precedes it; return the forwarded message's
    headers (None when the message is not a forward)."""
    found = root.xpath(_BLOCK_XPATH) or ([el] if (el := _marker_block(root)) is not None else [])
    if not found:
        return None, []
    block = found[0]
    body = root.find("body") if root.find("body") is not None else root
    lines = _lines(block)
    headers = _fields(lines)
    removed = [Removal.of("forward-note", text) for text in _drop_before(block, body)]
    removed.append(Removal.of("forwarded-header", " / ".join(lines)))
    block.drop_tree()
    return headers, removed


def unforward_text(text: str) -> tuple[Headers | None, str, list[Removal]]:
    """The plain-text form: a marker line (or a From: line) followed by header lines."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        marker = bool(_MARKER.match(line))
        if not marker and not (line.lower().startswith("from:") and i + 1 < len(lines)
                               and _FIELD.match(lines[i + 1])):
            continue
        end = i + 1 if marker else i
        while end < len(lines) and (_FIELD.match(lines[end]) or (end == i + 1 and not lines[end].strip())):
            end += 1
        headers = _fields(lines[i:end])
        if headers is None:
            continue
        removed = [Removal.of("forward-note", " ".join(lines[:i]))] if " ".join(lines[:i]).strip() else []
        removed.append(Removal.of("forwarded-header", " / ".join(x.strip() for x in lines[i:end] if x.strip())))
        return headers, "\n".join(lines[end:]), removed
    return None, text, []
