"""XPath rules made cheaper for libxml2 without changing what they select."""

from __future__ import annotations

import re


# What may follow a leading `//` for `(/|/descendant::*)/` to select the same nodes: a step on
# the child or attribute axis (a name, `*`, a node test or `@`), never one on another axis.
_CHILD_STEP = re.compile(r"(?:child::|attribute::|@)?(?:\*|(?>[A-Za-z_][\w.-]*(?::[\w.-]+)?)(?!\s*::))")


def _branches(path: str) -> list[str] | None:
    """The top-level `|` branches of an XPath, or None when its brackets or quotes do not pair."""
    branches, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(path):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth < 0:
                return None
        elif char == "|" and depth == 0:
            branches.append(path[start:i])
            start = i + 1
    if depth or quote:
        return None
    return [*branches, path[start:]]


def faster_xpath(path: str) -> str:
    """`path` with each top-level branch's leading `//` (the set of *every* node, which libxml2
    builds first) replaced by the document and its elements, `(/|/descendant::*)/`: text and
    comment nodes have no children or attributes, so a child or attribute step selects the same
    nodes, in the same order, with the same positions (up to 2x faster on whole pages)."""
    branches = _branches(path)
    if branches is None:
        return path
    out = []
    for branch in branches:
        lead = len(branch) - len(branch.lstrip())
        body = branch[lead:]
        if body.startswith("//") and _CHILD_STEP.match(body, 2):
            branch = f"{branch[:lead]}(/|/descendant::*)/{body[2:]}"
        out.append(branch)
    return "|".join(out)
