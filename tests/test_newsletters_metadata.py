"""Newsletter metadata comes from the headers: Subject, From, Date, Message-ID, the list headers, the view-in-browser link; forwards are described by what they forward."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from mails import MBOX, cleaned
from scraper.newsletters import clean_message
from scraper.newsletters.message import header, sender
from scraper.run.batch import BatchOptions, clean_input, find_inputs


def test_headers_become_the_metadata():
    article = cleaned("substack-lunchroom.eml")
    assert article.title == "What a school kitchen costs to run"
    assert (article.sitename, article.author) == ("The Lunchroom", "Marta Quill")
    assert article.date == "2025-10-07"
    assert article.id == "20251007060211.3.a1b2c3d4e5f6@mg1.substack.com"
    assert article.list_id == "The Lunchroom <thelunchroom.substack.com>"
    assert "disable_email" in article.list_unsubscribe and "disable_email" not in article.text
    assert article.url == "https://thelunchroom.substack.com/p/what-a-school-kitchen-costs"


def test_quoted_printable_windows_1252_with_an_encoded_subject():
    article = cleaned("mailchimp-harbour-weekly.eml")
    assert article.encoding == "windows-1252"
    assert article.title == "Harbour Weekly: the ferry timetable returns – and Rosa’s café"
    assert "Skipper Anaïs Ferreira" in article.text and "Ã" not in article.text


def test_a_publication_is_the_site_and_a_person_is_also_the_author():
    assert (cleaned("beehiiv-harbour-brief.eml").sitename, cleaned("beehiiv-harbour-brief.eml").author) == (
        "The Harbour Brief", None)
    buttondown = cleaned("buttondown-margins.eml")
    assert (buttondown.sitename, buttondown.author) == ("Oskar Lind", "Oskar Lind")


@pytest.mark.parametrize("value, expected", [
    ("Marta Quill <m@example.org>", ("Marta Quill", "Marta Quill")),
    ("Marta Quill from The Lunchroom <m@example.org>", ("The Lunchroom", "Marta Quill")),
    ("Jan van der Berg <j@example.org>", ("Jan van der Berg", "Jan van der Berg")),
    ("Łukasz Żak <l@example.org>", ("Łukasz Żak", "Łukasz Żak")),
    ("The Lunchroom <l@example.org>", ("The Lunchroom", None)),
    ("Morning Brew <b@example.org>", ("Morning Brew", None)),
    ("=?utf-8?q?Caf=C3=A9_Notes?= <c@example.org>", ("Café Notes", None)),
    ("news@example.org", (None, None)),
])


def test_sender_names_the_site_and_a_person_also_the_author(value, expected):
    message = EmailMessage()
    message["From"] = value
    assert sender(header(message, "From")) == expected


def test_view_in_browser_link_is_the_url_without_tracking_parameters():
    assert cleaned("mailchimp-harbour-weekly.eml").url == (
        "https://us5.campaign-archive.com/?e=__test_email__&u=8a1b2c3d4e&id=5f6a7b8c9d")
    assert cleaned("beehiiv-harbour-brief.eml").url == "https://harbourbrief.beehiiv.com/p/dredging-starts"
    assert cleaned("buttondown-margins.eml").url == (
        "https://buttondown.com/margins/archive/the-library-that-lends-tools/")


def test_gmail_forward_is_described_by_the_forwarded_newsletter():
    article = cleaned("forwarded-gmail.eml")
    assert (article.title, article.sitename, article.date) == ("The week in allotments", "Plot 44", "2025-10-25")
    assert {"forward-note", "forwarded-header"} <= {r.rule for r in article.removed}
    assert not any("safety" in note for note in article.reverted)


def test_outlook_plain_text_forward_in_an_mbox():
    items = {i.source.rsplit("#", 1)[1]: i for i in find_inputs([str(MBOX)])}
    article = clean_input(items["fw-hedge.20251102@example.org"], BatchOptions())
    assert (article.title, article.sitename, article.date) == (
        "Field Notes: Laying the hedge", "Field Notes", "2025-11-01")
    assert article.url == "https://fieldnotes.example/laying-the-hedge/?ref=field-notes-newsletter"


def test_outlook_web_forward_block_is_dropped():
    html = ("<div>FYI<br></div><hr style='display:inline-block;width:98%'><div id='divRplyFwdMsg' dir='ltr'>"
            "<b>From:</b> Harbour Weekly &lt;news@harbourweekly.org&gt;<br><b>Sent:</b> Friday, October 10, 2025 4:30 PM"
            "<br><b>To:</b> reader@example.org<br><b>Subject:</b> The ferry returns</div><div>"
            "<p>After fourteen months of repairs, the little ferry to Whitby Point will run again from Monday.</p></div>")
    data = ("From: Reader <reader@example.org>\nSubject: FW: The ferry returns\nMIME-Version: 1.0\n"
            f"Content-Type: text/html; charset=utf-8\n\n<html><body>{html}</body></html>").encode()
    article = clean_message(data)[0]
    assert article.text == "After fourteen months of repairs, the little ferry to Whitby Point will run again from Monday."
    assert (article.title, article.sitename, article.date) == ("The ferry returns", "Harbour Weekly", "2025-10-10")
