"""Newsletter template lines go (by rule, by the List-Unsubscribe target, or learned per sender); the newsletter's own sentences stay."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

import pytest

from mails import EXPECTATIONS, NEWSLETTERS, cleaned, plain
from scraper.article import Article
from scraper.newsletters import clean_message
from scraper.run.batch import BatchOptions, find_inputs, run_batch


def test_tracking_pixels_are_removed_and_listed():
    rules = [r.rule for r in cleaned("ghost-field-notes.eml").removed]
    assert "tracking-pixel" in rules and "preheader" in rules


WRITING = "The little ferry to Whitby Point will run again from Monday, with six crossings a day until the clocks change."


@pytest.mark.parametrize("line", [
    "** View this email in your browser (https://us5.campaign-archive.com/?u=1)",
    "Email not displaying correctly? View it in your browser.",
    "Add us to your address book",
    "To ensure delivery, add news@harbourweekly.org to your contacts.",
    "------------------------------------------------------------",
    "You are receiving this email because you opted in via our website.",
    "Forward to a friend",
    "Was this forwarded to you? Sign up",
    "Refer 3 friends to unlock the bonus episode",
    "Share Harbour Weekly and earn rewards",
    "Sponsored by Northfield Bank",
    "Together with Saltmarsh Outdoor",
    "Manage preferences",
    "Update your profile",
    "12 Quay Road, Whitby YO21 3PU",
    "Copyright © 2025 Harbour Weekly, All rights reserved.",
    "Follow us on Instagram",
    "Download on the App Store",
])


def test_template_lines_are_dropped(line):
    text = clean_message(plain(WRITING, line))[0].text
    assert text == WRITING


@pytest.mark.parametrize("line", [
    "Ferry users who want to opt out of the new text alerts can say so at the harbour office.",
    "The bill was sponsored by the member for Whitby and passed without a vote against it.",
    "Volunteers forwarded the petition to the council, which will view it online next week.",
])


def test_sentences_that_use_template_words_are_kept(line):
    assert line in clean_message(plain(WRITING, line))[0].text


# What the wording rules cannot tell from the writing once class names are gone (a client that


# strips them on forward): a lone date cell, a lone street line, a preheader without its style.


KNOWN_LEAKS_WITHOUT_CLASSES = {
    "substack-lunchroom.eml": {"Oct 7"},
    "mailchimp-harbour-weekly.eml": {"12 Quay Road"},
    "ghost-field-notes.eml": {"Twelve years after the flail"},
    "forwarded-gmail.eml": {"Gate Lane"},
}


@pytest.mark.parametrize("name", ["substack-lunchroom.eml", "mailchimp-harbour-weekly.eml", "beehiiv-harbour-brief.eml",
                                  "ghost-field-notes.eml", "kit-woodshop.eml", "briefing-morning.eml",
                                  "forwarded-gmail.eml", "legit-words-clinic.eml"])


def test_template_wording_is_caught_without_class_names(name):
    spec = EXPECTATIONS[f"newsletters/{name}"]
    source = BytesParser(policy=policy.default).parsebytes((NEWSLETTERS / name).read_bytes())
    html = re.sub(r'\s(class|id)="[^"]*"', "", source.get_body(("html",)).get_content())
    stripped = (f"From: {source['From']}\nSubject: {source['Subject']}\nMIME-Version: 1.0\n"
                f"Content-Type: text/html; charset=utf-8\n\n{html}").encode()
    text = clean_message(stripped)[0].text
    assert [p for p in spec["keep"] if p not in text] == []
    assert {p for p in spec["drop"] if p in text} <= KNOWN_LEAKS_WITHOUT_CLASSES.get(name, set())


def test_a_line_linking_to_the_list_unsubscribe_target_goes_whatever_its_words():
    html = ("<p>The little ferry to Whitby Point will run again from Monday, with six crossings a day.</p>"
            "<p>Had enough of us? <a href='https://harbourweekly.org/bye?u=1'>Say goodbye here</a></p>")
    data = ("From: Harbour Weekly <news@harbourweekly.org>\nSubject: An issue\nMIME-Version: 1.0\n"
            "List-Unsubscribe: <https://harbourweekly.org/bye?u=1>, <mailto:bye@harbourweekly.org>\n"
            f"Content-Type: text/html; charset=utf-8\n\n<html><body>{html}</body></html>").encode()
    article = clean_message(data)[0]
    assert article.text == "The little ferry to Whitby Point will run again from Monday, with six crossings a day."
    assert [r.rule for r in article.removed] == ["list-unsubscribe-link"]
    text = data.replace(b"text/html", b"text/plain").replace(b"<html><body>", b"").replace(
        b"</body></html>", b"").replace(b"</p><p>", b"\n\n").replace(b"<p>", b"").replace(b"</p>", b"")
    text = text.replace(b"<a href='https://harbourweekly.org/bye?u=1'>Say goodbye here</a>",
                        b"Say goodbye: https://harbourweekly.org/bye?u=1")
    assert clean_message(text)[0].text == article.text


def issue(n: int, sender: str = "news@harbourweekly.org") -> bytes:
    story = ["The regatta ended in a dead heat and the two crews agreed to share the cup for a year each.",
             "The old net loft will become a café and workshop by next summer, the harbour board decided.",
             "Volunteers counted 1,212 breeding pairs of puffins on the stacks this summer, a new record."][n]
    html = (f"<table><tr><td><p>{story}</p><p>Issue {n + 1} of the autumn season, written on the quay.</p></td></tr>"
            "<tr><td><p>Harbour Weekly is made by six volunteers in the old net loft, and we read every letter.</p>"
            "</td></tr></table>")
    return (f"From: Harbour Weekly <{sender}>\nSubject: Issue {n + 1}\nMessage-ID: <issue{n}.{sender}>\n"
            f"MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><body>{html}</body></html>").encode()


def test_a_footer_every_issue_of_a_sender_repeats_is_learned_as_its_template(tmp_path):
    box = tmp_path / "harbour.mbox"
    box.write_bytes(b"".join(b"From news@harbourweekly.org Fri Oct 31 16:30:00 2025\n" + issue(n) + b"\n\n"
                             for n in range(3)))
    footer = "Harbour Weekly is made by six volunteers in the old net loft"
    learned = [r for r in run_batch(find_inputs([str(box)]), BatchOptions()) if isinstance(r, Article)]
    assert len(learned) == 3 and not any(footer in a.text for a in learned)
    assert all("written on the quay" in a.text for a in learned)
    plain_run = [r for r in run_batch(find_inputs([str(box)]), BatchOptions(learn_templates=False))]
    assert all(footer in a.text for a in plain_run)
    other = tmp_path / "other.eml"  # the same line from another sender is not that sender's template
    other.write_bytes(issue(0, sender="news@elsewhere.example"))
    mixed = sorted((r for r in run_batch(find_inputs([str(box), str(other)]), BatchOptions()) if isinstance(r, Article)),
                   key=lambda a: a.source)  # results come as workers finish them
    assert [footer in a.text for a in mixed] == [False, False, False, True]
