"""One page of the review: its text blocks in reading order, each kept or removed and by what.

A stored record holds the kept text and a shortened copy of each removed block. With the raw
page at hand, the blocks trafilatura alone would keep give the reading order: each of those
lines is either in the output or matched to the removal that took it; removals trafilatura
would have dropped anyway are placed by where their text sits in the page.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from scraper.urls import declared_host, known_url

_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"[\W_]+")
_ELLIPSIS = "…"
_SHORT_BODY = 150
# Matching lines is quadratic at worst; past this many lines a page is shown unordered.
MAX_LINES = 3000


def norm(text: str) -> str:
    """Whitespace collapsed and casefolded, for matching a line against a removal's text."""
    return " ".join(text.split()).casefold()


def loose(text: str) -> str:
    """Letters and digits only: element text runs words of adjacent elements together
    ("Have teeth?The Explainer") and list lines start with "- "; this key ignores both."""
    return _NON_WORD.sub("", text.casefold())


def words(text: str) -> int:
    return len(_WORD.findall(text))


def rules_host(url: str | None) -> str:
    """The host a page's rules were chosen by, without `www.`; '' when the page has no URL."""
    return (declared_host(url) or "") if url and "://" in url else ""


@dataclass(frozen=True)
class Block:
    """One text block. `state`: kept, removed (by `rule` at `stage`), or lost (trafilatura
    alone kept it and no rule took it: extraction changed once the page was pruned).
    `baseline`: trafilatura alone keeps this text; None when the raw page is not at hand."""

    text: str
    state: str = "kept"
    rule: str = ""
    stage: str = ""
    words: int = 0
    baseline: bool | None = None
    shortened: bool = False
    selector: str = ""  # kept blocks: a CSS selector unique to this block in the raw page


@dataclass
class PageReview:
    """What the page view shows and what the job view counts."""

    source: str
    meta: dict[str, Any]
    blocks: list[Block] = field(default_factory=list)
    reverted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how the view was made (no raw page, ...)
    failure: str | None = None
    ordered: bool = False
    baseline_words: int | None = None
    text_input: bool = False  # cleaned from text, not a page: leaks need text rules

    @property
    def site(self) -> str:
        return rules_host(known_url(self.meta.get("url"), self.meta.get("canonical_url")))

    def removed_by_rule(self) -> tuple[Counter[str], Counter[str]]:
        """Removals and words removed, per rule."""
        count: Counter[str] = Counter()
        taken: Counter[str] = Counter()
        for block in self.blocks:
            if block.state == "removed":
                count[block.rule] += 1
                taken[block.rule] += block.words
        return count, taken

    def risk(self) -> tuple[int, list[str]]:
        """A score to sort pages by (higher first) and the reasons behind it."""
        if self.failure is not None:
            return 100, [f"failed: {self.failure}"]
        score, reasons = 0, []
        kept = int(self.meta.get("word_count") or 0)
        removed = sum(b.words for b in self.blocks if b.state == "removed")
        if self.reverted:
            score += 30
            reasons.append(f"safety net refused {len(self.reverted)} removal(s)")
        share = removed / max(kept + removed, 1)
        if share >= 0.4:
            score += 30
            reasons.append(f"rules removed {share:.0%} of the words")
        elif share >= 0.2:
            score += 10
            reasons.append(f"rules removed {share:.0%} of the words")
        if kept < _SHORT_BODY:
            score += 20
            reasons.append(f"short body ({kept} words)")
        lost = sum(1 for b in self.blocks if b.state == "lost")
        if lost:
            score += 10
            reasons.append(f"{lost} block(s) trafilatura alone keeps are gone without a rule")
        if not self.meta.get("title"):
            score += 5
            reasons.append("no title")
        return score, reasons


def _parts(removal: dict[str, Any]) -> list[str]:
    """The lines a removal holds: text filters join a run of lines with ' / '."""
    text = str(removal.get("text") or "")
    pieces = text.split(" / ") if removal.get("stage") == "text" else [text]
    return [loose(p.removesuffix(_ELLIPSIS)) for p in pieces if p.strip()]


def _removal_block(removal: dict[str, Any], baseline: bool | None) -> Block:
    text = str(removal.get("text") or "")
    return Block(text, "removed", str(removal.get("rule") or ""), str(removal.get("stage") or "html"),
                 words(text), baseline, text.endswith(_ELLIPSIS))


def unordered(record: dict[str, Any]) -> list[Block]:
    """Kept paragraphs, then removed blocks: all a record alone tells."""
    kept = [Block(p, words=words(p)) for p in str(record.get("text") or "").split("\n\n") if p.strip()]
    return kept + [_removal_block(r, None) for r in record.get("removed") or []]


class _Claims:
    """Removals waiting for the baseline lines they took."""

    def __init__(self, removals: list[dict[str, Any]]) -> None:
        self.items = [(r, _parts(r)) for r in removals]
        self.used: set[int] = set()

    def claim(self, line: str) -> dict[str, Any] | None:
        key = loose(line)
        if not key:
            return None
        for i, (removal, parts) in enumerate(self.items):
            for part in parts:
                if not part:
                    continue
                # HTML rules take a whole element, whose text holds each of its lines; text
                # rules take the line itself (its copy maybe cut short).
                if key.startswith(part) or part.startswith(key) or (removal.get("stage") != "text" and key in part):
                    self.used.add(i)
                    return removal
        return None

    def left(self) -> list[dict[str, Any]]:
        return [r for i, (r, _) in enumerate(self.items) if i not in self.used]


def ordered(record: dict[str, Any], baseline: list[str], page_text: str) -> list[Block]:
    """Blocks in reading order from the record, the lines trafilatura alone keeps, and the
    page's whole text (to place removals trafilatura would not have kept)."""
    kept = [p for p in str(record.get("text") or "").split("\n\n") if p.strip()]
    claims = _Claims(list(record.get("removed") or []))
    blocks: list[Block] = []

    def gone(line: str) -> None:
        removal = claims.claim(line)
        if removal is None:
            blocks.append(Block(line, "lost", "", "extraction", words(line), True))
        else:
            blocks.append(Block(line, "removed", str(removal.get("rule") or ""),
                                str(removal.get("stage") or "html"), words(line), True))

    matcher = SequenceMatcher(None, [norm(b) for b in baseline], [norm(k) for k in kept], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            blocks += [Block(k, words=words(k), baseline=True) for k in kept[j1:j2]]
            continue
        base, ours = baseline[i1:i2], kept[j1:j2]
        j = 0
        for line in base:
            # A paragraph whose last sentence a `trim` rule cut off: kept, plus the cut tail.
            key = norm(line)
            match = next((k for k in range(j, len(ours)) if norm(ours[k]) and key.startswith(norm(ours[k]))), None)
            if match is None:
                gone(line)
                continue
            blocks += [Block(k, words=words(k), baseline=False) for k in ours[j:match]]
            blocks.append(Block(ours[match], words=words(ours[match]), baseline=True))
            tail = " ".join(line.split())[len(" ".join(ours[match].split())):].strip()
            if tail:
                gone(tail)
            j = match + 1
        blocks += [Block(k, words=words(k), baseline=False) for k in ours[j:]]
    left = claims.left()
    if left:
        blocks = _place(blocks, [_removal_block(r, False) for r in left], norm(page_text))
    return blocks


def _place(blocks: list[Block], extra: list[Block], page: str) -> list[Block]:
    """Insert `extra` blocks where their text first occurs in the page; unknown ones go last."""
    def where(block: Block) -> int:
        probe = norm(block.text.removesuffix(_ELLIPSIS))[:60]
        return page.find(probe) if probe else -1

    positioned: list[tuple[int, int, Block]] = []
    last = -1
    for i, block in enumerate(blocks):
        found = where(block)
        last = max(last, found)  # the page's own blocks keep their order
        positioned.append((last, i, block))
    n = len(blocks)
    for k, block in enumerate(extra):
        found = where(block)
        positioned.append((found if found >= 0 else 1 << 60, n + k, block))
    # Ties keep the page's own blocks first; sorting is stable on the index.
    positioned.sort(key=lambda t: (t[0], t[1]))
    return [b for _, _, b in positioned]
