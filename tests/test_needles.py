"""The substring prefilter of text rules never skips a line its regex would match."""

from __future__ import annotations

import re

import pytest

from scraper.clean.cleaner import rulebook
from scraper.clean.needles import needles


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
