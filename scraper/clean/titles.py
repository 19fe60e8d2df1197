"""Titles: choosing the article's headline among what a page declares, without the site's name.

Split out of `metadata` (as `bylines` and `dates` are) because titles need their own rules:
`<title>` and `og:title` carry " | Site Name" segments, blogs put their name before the post's,
and the visible `<h1>` is what confirms which declared title is the article's.
"""

from __future__ import annotations

import re

_SEPARATOR = re.compile(r"\s+[|–—\-·•»:~/]+\s+|\s*::\s*")
_NOT_ALNUM = re.compile(r"[\W_]+")

META_TITLE = ("og:title", "twitter:title", "parsely-title", "sailthru.title", "dc.title", "headline")


def choose_title(declared: list[str], titles: list[str], h1: list[str], keys: frozenset[str]) -> str | None:
    """The declared title that a visible `<h1>` confirms, else the first declared one, else `<h1>`.

    `declared` are meta/JSON-LD titles in order of trust, `titles` the page's `<title>`s, `h1` its
    headings, `keys` the ways the site is named (`site_keys`).
    """
    keys |= _title_site(titles[:1], declared)
    declared = [_strip_site(t, keys) for t in declared]
    page_title = [_strip_site(t, keys) for t in titles[:1]]
    headings = [h for h in h1[:4] if name_key(h) and name_key(h) not in keys]
    for heading in headings:
        if confirmed := _confirm(heading, declared + page_title):
            return confirmed
    if not declared and len(headings) == 1:
        return headings[0]  # the page's one headline beats a `<title>` written for search engines
    if not declared and not page_title:
        return headings[0] if headings else None
    best = (declared + page_title)[0]
    head = best.split(" | ")[0]
    # "Title | Section" or "Title | Tagline": what follows a bar is not the title.
    return head if len(head.split()) >= 3 else best


def site_keys(sitename: str | None, host: str | None) -> frozenset[str]:
    """Ways a title may name the site: its name, its host, its host's main label."""
    keys = {name_key(sitename or "")}
    if host:
        labels = host.split(".")
        keys |= {name_key(host), name_key(labels[-2] if len(labels) > 1 else labels[0])}
    return frozenset(k for k in keys if k)


def name_key(text: str) -> str:
    """A name reduced to lower-case letters and digits, so "The Verge" matches "theverge"."""
    return _NOT_ALNUM.sub("", text).lower()


def _strip_site(title: str, site_keys: frozenset[str]) -> str:
    """Drop leading or trailing " | Site Name" segments that name the site."""
    while spans := list(_SEPARATOR.finditer(title)):
        if _names_site(title[spans[-1].end():], site_keys):
            title = title[:spans[-1].start()].strip()
        elif _names_site(title[:spans[0].start()], site_keys):
            title = title[spans[0].end():].strip()
        else:
            break
    return title


def _names_site(segment: str, site_keys: frozenset[str]) -> bool:
    key = name_key(segment)
    return bool(key) and (key in site_keys or any(key.startswith(k) and len(k) > 3 for k in site_keys))


def _title_site(page_title: list[str], declared: list[str]) -> frozenset[str]:
    """What `<title>` adds around a declared title names the site: "Blog Name: Post Title"."""
    return frozenset(name_key(part) for whole in page_title for title in declared
                     if title != whole and title in whole for part in whole.split(title) if name_key(part))


def _confirm(heading: str, declared: list[str]) -> str | None:
    """The declared form of a headline that some declared title is, starts with, or cuts short."""
    key = name_key(heading)
    if same := next((title for title in declared if name_key(title) == key), None):
        return same
    for title in declared:
        if title.casefold().startswith(heading.casefold()):
            # "Title (Site)" or "Title - Tagline" add to the headline; "Title 2025" is the title.
            return heading if title[len(heading):].lstrip()[:1] in "|-–—:·•([" else title
        cut = len(title.rstrip(".… "))
        if cut > 20 and heading.startswith(title[:cut]) and heading[cut:cut + 1].isalnum():
            return heading  # a declared title cut short in mid-word
    return None
