"""Digests: a briefing e-mail split into its stories, each heading with the text under it.

A story starts at a heading that is followed by some writing of its own; headings with nothing
under them ("Today's briefing", "In brief") only label sections. Text before the first story
(the greeting) belongs to no story. A story's URL is its "read more" link, else its heading's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scraper.newsletters.markup import Block

_NUMBERING = re.compile(r"^\s*(\d{1,2}[.):]|[#№]\d{1,2}[.:]?)\s+")
_READ_MORE = re.compile(
    r"^\s*(read (more|on|the (full )?(story|article|piece|report))|continue reading|full story|"
    r"more here|keep reading)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Story:
    """One story of a digest: its heading, its paragraphs, its link."""

    title: str
    paragraphs: tuple[str, ...]
    url: str | None


def _words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def split_stories(blocks: list[Block], kept: list[str | None], min_words: int) -> list[Story]:
    """Stories from the body's blocks; `kept[i]` is block i's text after the filters, None when
    it was dropped (dropped blocks still give their links: "Read more" lines are dropped as
    template, but their target is the story's URL)."""
    starts = [i for i, b in enumerate(blocks) if b.heading and kept[i] is not None]
    stories = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(blocks)
        paragraphs = [kept[i] for i in range(start + 1, end) if kept[i] is not None]
        if _words(paragraphs) < min_words:
            continue
        links = [link for i in range(start + 1, end) for link in blocks[i].links]
        url = next((href for text, href in links if _READ_MORE.match(text)), None)
        if url is None and blocks[start].links:
            url = blocks[start].links[0][1]
        title = _NUMBERING.sub("", kept[start] or blocks[start].text).strip()
        stories.append(Story(title, tuple(paragraphs), url if url and url.startswith(("http://", "https://")) else None))
    return stories
