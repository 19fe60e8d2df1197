"""The substring prefilter of text rules never skips a line its regex would match."""

from __future__ import annotations

import gzip
import re
import tomllib
from pathlib import Path

import pytest

from scraper.clean.cleaner import rulebook
from scraper.clean.needles import gate, needles, prefixes, starts


@pytest.mark.parametrize("pattern, expected", [
    ("from qualifying purchases", ("from qualifying purchases",)),
    ("(earn|receive) (a )?commission|advertiser disclosure", ("commission", "advertiser disclosure")),
    ("^(sign up|subscribe) (to|for) .{0,60}newsletter", ("newsletter",)),
    ("^(ad|pr)$", None),
    ("^tags?$", ("tag",)),
    ("^(e-?mail|phone)\\s*:", None),
    # The regex parser moves a prefix shared by every alternative out of the alternation.
    ("\\bnot fdic insured\\b|\\bmember fdic\\b", ("not fdic insured", "member fdic")),
])
def test_needles_are_substrings_every_match_contains(pattern, expected):
    assert needles(pattern) == expected


def test_shipped_rules_still_match_their_own_examples():
    lines = [
        "Products are chosen independently by our editors. Purchases made through our links may earn us a commission.",
        "Sign up for The Week's Free Newsletters",
        "A free daily email with the biggest news stories of the day",
        "Directement dans votre boîte mail chaque matin",
        "Written by Cassidy Horton",
        "Email Tariq Malik at tmalik@space.com or follow him @tariqjmalik.",
        "Use code HARVEST20 at checkout for 20% off your first box.",
        "· NOT FDIC INSURED · NOT BANK GUARANTEED · MAY LOSE VALUE",
        "Thank you for subscribing to our daily newsletter.",
    ]
    rules = rulebook(()).for_url(None)
    for line in lines:
        words = len(re.findall(r"\w+", line))
        assert rules.text_rule(line, words) is not None, line


@pytest.mark.parametrize("pattern, expected", [
    ("^(advertisement|sponsored( content)?|ad)$", ("ad", "advertisement", "sponsored")),
    ("^(e-?mail|phone)\\s*:", ("e", "phone")),
    ("^(sign up|subscribe) (to|for) .{0,60}newsletter", ("sign up", "subscribe")),
    ("^Tags?$", ("tag",)),
    ("^read more|^see also", ("read more", "see also")),
    # Not anchored at the start of every alternative, or nothing literal first: no prefix.
    ("read more", None),
    ("^read more|see also", None),
    ("^(?!the )follow", None),
    ("^(a|)b", None),
    ("(?m)^read more", None),
])
def test_prefixes_are_what_every_anchored_match_starts_with(pattern, expected):
    assert prefixes(pattern) == expected


def test_the_prefix_and_needle_prefilters_skip_no_line_a_shipped_rule_matches():
    """Every line of the text fixtures and every keep/drop phrase of the fixtures, with each
    shipped rule run directly and through the prefilters."""
    rules = rulebook(()).for_url(None)
    fixtures = Path(__file__).parent.parent / "fixtures"
    lines = [line.strip() for path in sorted((fixtures / "text").glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = tomllib.loads((fixtures / "expectations.toml").read_text(encoding="utf-8"))
    lines += [phrase for entry in expected.values() for phrase in (*entry.get("keep", ()), *entry.get("drop", ()))]
    lines += ["Advertisement", "ADVERTISEMENT - scroll to continue", "Sign Up for our weekly newsletter",
              "Read more: how the harbour was built", "© 2024 Example Media", "Follow us on Instagram"]
    assert len(lines) > 100
    for line in lines:
        words = len(re.findall(r"\w+", line))
        direct = next((r for r in rules.text if words <= r.max_words and r.pattern.search(line)), None)
        assert rules.text_rule(line, words) == direct, line


@pytest.mark.parametrize("pattern, expected", [
    ("p(w|aywall)", "paywall|pw"),
    ("(^|[\\s_-])(share|shares)([\\s_-]|$)|addthis", "addthis|share"),
    ("(a|)bc", "bc"),
    ("x?y*", None),
])
def test_the_gate_is_literals_every_match_contains(pattern, expected):
    found = gate(pattern)
    assert (found.pattern if found else None) == expected


def test_the_class_id_gate_lets_through_every_token_the_shipped_patterns_match():
    rules = rulebook(()).for_url(None)
    attr_gate = gate(rules.attr.pattern, rules.attr.flags)
    assert attr_gate is not None
    tokens = {token for path in sorted((Path(__file__).parent.parent / "fixtures" / "pages").glob("*.htm*"))
              for token in re.findall(r'(?:class|id)="([^"]*)"', _read(path)) for token in token.lower().split()}
    tokens |= {"ad-slot", "ads", "newsletter-box", "pw", "paywall", "share-bar", "sharing", "tp-modal", "social",
               "jp-relatedposts", "toc", "cmp-banner", "cta", "call-to-action", "series-nav", "outbrain"}
    matched = [t for t in tokens if rules.attr.search(t)]
    assert len(matched) > 20
    assert all(attr_gate.search(t) for t in matched)


def _read(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace")


@pytest.mark.parametrize("pattern, expected", [
    ("more from (this|the) section|related( stories)?", ("more from the", "more from this", "related")),
    ("(sign up|subscribe) to .{0,40}", ("sign up", "subscribe")),
    (".{0,3}related", None),
])
def test_starts_are_what_every_match_from_the_start_begins_with(pattern, expected):
    assert starts(pattern) == expected


def test_the_heading_prefilter_lets_through_every_heading_the_shipped_patterns_match():
    rules = rulebook(()).for_url(None)
    fixtures = Path(__file__).parent.parent / "fixtures"
    expected = tomllib.loads((fixtures / "expectations.toml").read_text(encoding="utf-8"))
    texts = {" ".join(p.split()).lower() for e in expected.values() for p in (*e.get("keep", ()), *e.get("drop", ()))}
    texts |= {"related stories", "more from the section", "most read", "sign up to our newsletter", "you may also like",
              "don't miss", "editor's picks", "メルマガ登録", "subscribe to the weekly digest"}
    matched = {t for t in texts if rules.heading.fullmatch(t)}
    assert len(matched) >= 9
    assert set(rules.heading_hits(texts)) == matched
