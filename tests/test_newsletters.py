"""Newsletter e-mails in: .eml, mbox and Maildir become articles with metadata from the headers
(keep/drop phrases for each fixture are in fixtures/expectations.toml, see test_fixtures.py)."""

from __future__ import annotations

import json
import re
import tomllib
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.article import Article
from scraper.clean import CleanOptions
from scraper.cli import cli
from scraper.newsletters import MailOptions, clean_message, looks_like_message
from scraper.pipeline import BatchOptions, Input, clean_input, find_inputs, run_batch

NEWSLETTERS = Path(__file__).resolve().parent.parent / "fixtures" / "newsletters"
MBOX = NEWSLETTERS / "inbox.mbox"
EXPECTATIONS = tomllib.loads((NEWSLETTERS.parent / "expectations.toml").read_text(encoding="utf-8"))


def cleaned(name: str) -> Article:
    result = clean_input(Input(str(NEWSLETTERS / name)), BatchOptions())
    assert isinstance(result, Article), result
    return result


def run(*args: str, input: bytes | None = None) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(cli, [*args, "-o", "-", "-q", "-j", "1"], input=input)
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()], result.stderr


def test_headers_become_the_metadata():
    article = cleaned("substack-lunchroom.eml")
    assert article.title == "What a school kitchen costs to run"
    assert (article.sitename, article.author) == ("The Lunchroom", "Marta Quill")
    assert article.date == "2025-10-07T06:02:11+00:00"
    assert article.id == "20251007060211.3.a1b2c3d4e5f6@mg1.substack.com"
    assert article.list_id == "The Lunchroom <thelunchroom.substack.com>"
    assert "disable_email" in article.list_unsubscribe and "disable_email" not in article.text
    assert article.url == "https://thelunchroom.substack.com/p/what-a-school-kitchen-costs"


def test_quoted_printable_windows_1252_with_an_encoded_subject():
    article = cleaned("mailchimp-harbour-weekly.eml")
    assert article.encoding == "cp1252"
    assert article.title == "Harbour Weekly: the ferry timetable returns – and Rosa’s café"
    assert "Skipper Anaïs Ferreira" in article.text and "Ã" not in article.text


def test_a_publication_is_the_site_and_a_person_is_also_the_author():
    assert (cleaned("beehiiv-harbour-brief.eml").sitename, cleaned("beehiiv-harbour-brief.eml").author) == (
        "The Harbour Brief", None)
    buttondown = cleaned("buttondown-margins.eml")
    assert (buttondown.sitename, buttondown.author) == ("Oskar Lind", "Oskar Lind")


def test_view_in_browser_link_is_the_url_without_tracking_parameters():
    assert cleaned("mailchimp-harbour-weekly.eml").url == (
        "https://us5.campaign-archive.com/?e=__test_email__&u=8a1b2c3d4e&id=5f6a7b8c9d")
    assert cleaned("beehiiv-harbour-brief.eml").url == "https://harbourbrief.beehiiv.com/p/dredging-starts"
    assert cleaned("buttondown-margins.eml").url == (
        "https://buttondown.com/margins/archive/the-library-that-lends-tools/")


def test_tracking_pixels_are_removed_and_listed():
    rules = [r.rule for r in cleaned("ghost-field-notes.eml").removed]
    assert "tracking-pixel" in rules and "preheader" in rules


def test_gmail_forward_is_described_by_the_forwarded_newsletter():
    article = cleaned("forwarded-gmail.eml")
    assert (article.title, article.sitename, article.date) == ("The week in allotments", "Plot 44", "2025-10-25T09:00:00")
    assert {"forward-note", "forwarded-header"} <= {r.rule for r in article.removed}
    assert not any("safety" in note for note in article.reverted)


def test_outlook_plain_text_forward_in_an_mbox():
    items = {i.source.rsplit("#", 1)[1]: i for i in find_inputs([str(MBOX)])}
    article = clean_input(items["fw-hedge.20251102@example.org"], BatchOptions())
    assert (article.title, article.sitename, article.date) == (
        "Field Notes: Laying the hedge", "Field Notes", "2025-11-01T08:00:00")
    assert article.url == "https://fieldnotes.example/laying-the-hedge/?ref=field-notes-newsletter"


def test_split_digest_gives_one_record_per_story():
    code, articles, _ = run("clean", str(NEWSLETTERS / "briefing-morning.eml"), "--split-digest")
    assert code == 0
    assert [a["title"] for a in articles] == [
        "Reservoirs at their lowest October level since 1976", "Rail fares to rise by 4.6% in March",
        "Volunteers rescue the Sandby lighthouse"]
    assert [a["url"] for a in articles] == [
        "https://theweek.com/environment/reservoirs-lowest-october", "https://theweek.com/transport/rail-fares-march",
        "https://theweek.com/uk-news/sandby-lighthouse-rescued"]
    assert [a["source"].rsplit("#", 1)[1] for a in articles] == ["1", "2", "3"]
    assert articles[1]["text"].startswith("Regulated rail fares") and "Read more" not in articles[1]["text"]
    assert all(a["sitename"] == "The Week Morning Briefing" for a in articles)
    assert not any("Northfield" in a["text"] or "Good morning" in a["text"] for a in articles)


def test_without_the_flag_a_digest_is_one_record():
    code, articles, _ = run("clean", str(NEWSLETTERS / "briefing-morning.eml"))
    assert code == 0 and len(articles) == 1
    assert articles[0]["title"] == "Your morning briefing: reservoirs, rail fares and a rescued lighthouse"


def test_a_letter_is_never_split():
    articles = clean_message((NEWSLETTERS / "ghost-field-notes.eml").read_bytes(), mail=MailOptions(split_digest=True))
    assert len(articles) == 1


def test_mbox_gives_one_record_per_message_and_one_broken_message_is_a_failure():
    result = CliRunner().invoke(cli, ["clean", str(MBOX), "-o", "-", "-q", "-j", "2"])
    articles = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1
    assert sorted(a["source"] for a in articles) == sorted(f"{MBOX}#{m}" for m in (
        "regatta.20251031@mail.harbourweekly.org", "seed-library.20251101@buttondown.email",
        "fw-hedge.20251102@example.org", "pontoon.20251104@mail.beehiiv.com"))
    assert "4 cleaned, 1 failed" in result.stderr and "message has no body" in result.stderr
    assert f"{MBOX}#cut-off.20251103@example.org" in result.stderr  # the failure line, on stderr for -o -


def test_mbox_body_lines_quoted_as_from_are_restored():
    article = next(r for r in run_batch(find_inputs([str(MBOX)]), BatchOptions(learn_templates=False))
                   if isinstance(r, Article) and "regatta" in r.source)
    assert "From the archive: the loft was built in 1884" in article.text


def test_maildir_messages_from_cur_and_new():
    sources = [i.source for i in find_inputs([str(NEWSLETTERS / "maildir")])]
    assert [Path(s).parent.name for s in sources] == ["new", "cur"]
    code, articles, _ = run("clean", str(NEWSLETTERS / "maildir"))
    assert code == 0 and {a["title"] for a in articles} == {"Glue-ups without clamps", "The central kitchen"}


def test_an_eml_and_an_mbox_are_recognised_on_stdin():
    code, articles, _ = run("clean", "-", input=(NEWSLETTERS / "kit-woodshop.eml").read_bytes())
    assert code == 0 and articles[0]["author"] == "Dan Rivera" and articles[0]["source"] == "-"
    code, articles, _ = run("clean", "-", input=MBOX.read_bytes())
    assert code == 1 and len(articles) == 4
    assert "-#regatta.20251031@mail.harbourweekly.org" in {a["source"] for a in articles}


def test_show_explain_on_an_eml():
    result = CliRunner().invoke(cli, ["show", str(NEWSLETTERS / "beehiiv-harbour-brief.eml"), "--explain"])
    assert result.exit_code == 0
    assert result.stdout.startswith("# Dredging starts — and the puffins are back\n")
    assert "[text:referral-programme] Share The Harbour Brief and earn rewards" in result.stdout
    assert "[html:preheader]" in result.stdout


def test_show_on_an_mbox_prints_every_message_and_fails_for_the_broken_one():
    result = CliRunner().invoke(cli, ["show", str(MBOX)])
    assert result.exit_code == 1
    assert result.stdout.count("\n# ") + result.stdout.startswith("# ") == 4
    assert "message has no body" in result.stderr


def test_e_mail_is_told_from_text_by_its_headers():
    assert looks_like_message(b"From: A <a@example.org>\nSubject: Hi\n\nBody")
    assert not looks_like_message(b"Note: this is a scraped article.\nIt has two lines.")
    assert not looks_like_message(b"From our correspondent in Paris\n\nThe city woke up")


def test_a_text_file_starting_with_from_is_not_a_mailbox(tmp_path):
    page = tmp_path / "scraped"
    page.write_text("From our morning news briefing to the weekly quiz, here is the news.\n\nMore text here.")
    assert [i.source for i in find_inputs([str(page)])] == [str(page)]


def test_a_message_above_the_byte_cap_fails_alone(tmp_path):
    box = tmp_path / "big.mbox"
    small = (NEWSLETTERS / "kit-woodshop.eml").read_bytes()
    big = small.replace(b"Happy scraping,", b"Happy scraping, " + b"word " * 60_000)
    box.write_bytes(b"From a@b Sat Oct 25 14:30:12 2025\n" + big + b"\nFrom a@b Sat Oct 25 14:30:13 2025\n" + small)
    options = BatchOptions(clean=CleanOptions(max_bytes=100_000), learn_templates=False)
    results = list(run_batch(find_inputs([str(box)]), options))
    assert [type(r).__name__ for r in results] == ["Failure", "Article"]
    assert results[0].reason == "message larger than 97 KB"


def test_sqlite_keeps_the_e_mail_fields_also_in_a_database_from_before(tmp_path):
    import sqlite3
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:  # the articles table as it was before e-mail input
        conn.execute("CREATE TABLE articles (source TEXT PRIMARY KEY, url TEXT, canonical_url TEXT, title TEXT, "
                     "author TEXT, date TEXT, sitename TEXT, description TEXT, language TEXT, text TEXT NOT NULL, "
                     "word_count INTEGER, content_hash TEXT, encoding TEXT, removed TEXT, reverted TEXT, cleaned_at TEXT)")
    result = CliRunner().invoke(cli, ["clean", str(NEWSLETTERS / "substack-lunchroom.eml"), "-o", str(db), "-q"])
    assert result.exit_code == 0
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT id, list_id, list_unsubscribe FROM articles").fetchone()
    assert row[0] == "20251007060211.3.a1b2c3d4e5f6@mg1.substack.com" and row[1].startswith("The Lunchroom")
    assert "disable_email" in row[2]


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


def test_outlook_web_forward_block_is_dropped():
    html = ("<div>FYI<br></div><hr style='display:inline-block;width:98%'><div id='divRplyFwdMsg' dir='ltr'>"
            "<b>From:</b> Harbour Weekly &lt;news@harbourweekly.org&gt;<br><b>Sent:</b> Friday, October 10, 2025 4:30 PM"
            "<br><b>To:</b> reader@example.org<br><b>Subject:</b> The ferry returns</div><div>"
            "<p>After fourteen months of repairs, the little ferry to Whitby Point will run again from Monday.</p></div>")
    data = ("From: Reader <reader@example.org>\nSubject: FW: The ferry returns\nMIME-Version: 1.0\n"
            f"Content-Type: text/html; charset=utf-8\n\n<html><body>{html}</body></html>").encode()
    article = clean_message(data)[0]
    assert article.text == "After fourteen months of repairs, the little ferry to Whitby Point will run again from Monday."
    assert (article.title, article.sitename, article.date) == ("The ferry returns", "Harbour Weekly", "2025-10-10T16:30:00")


def test_a_plain_text_digest_splits_on_its_short_heading_lines():
    stories = [("Reservoirs fall again", "Reservoir stocks in England fell to 54% of capacity last week, and two more water "
                "companies will keep their hosepipe bans into the winter.", "https://theweek.com/a"),
               ("Rail fares to rise", "Regulated rail fares in England will rise by 4.6% next March, a smaller increase "
                "than the usual formula would have allowed.", "https://theweek.com/b")]
    body = "Good morning, here is your briefing.\n\n" + "".join(
        f"{n}. {title}\n\n{text}\n\nRead more: {url}?utm_source=newsletter&mc_eid=1\n\n"
        for n, (title, text, url) in enumerate(stories, start=1))
    data = ("From: The Week Morning Briefing <b@theweek.example>\nSubject: Briefing\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}").encode()
    articles = clean_message(data, mail=MailOptions(split_digest=True), source="b.eml")
    assert [(a.title, a.text, a.url) for a in articles] == stories
    assert [a.source for a in articles] == ["b.eml#1", "b.eml#2"]


def test_eval_scores_e_mails_like_pages(tmp_path):
    from scraper.evaluate import EvalOptions, default_systems, evaluate
    spec = EXPECTATIONS["newsletters/ghost-field-notes.eml"]
    (tmp_path / "html").mkdir()
    (tmp_path / "ground-truth").mkdir()
    (tmp_path / "html" / "ghost.eml").write_bytes((NEWSLETTERS / "ghost-field-notes.eml").read_bytes())
    truth = {"main_content": "\n\n".join(spec["keep"]), "with": spec["keep"], "without": spec["drop"],
             "title": "The hedge that came back"}
    (tmp_path / "ground-truth" / "ghost.json").write_text(json.dumps({"url": "", "ground_truth": truth}))
    systems = default_systems()
    report = evaluate(tmp_path, {"scraper": systems["scraper"], "trafilatura": systems["trafilatura"]},
                      EvalOptions(bootstrap=10, warmup=False))
    rows = {row.system: row for row in report.rows}
    assert rows["scraper"].failure is None and rows["scraper"].f1 > 0.95 and rows["scraper"].title_ok
    assert rows["scraper"].without_found == 0 and rows["scraper"].with_found == len(spec["keep"])
    assert rows["trafilatura"].failure is None  # it is given the decoded HTML part, not MIME


def test_maildir_plus_plus_subfolders_are_read(tmp_path):
    inbox = tmp_path / "Maildir"
    for folder in (inbox, inbox / ".Newsletters"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True)
    (inbox / "cur" / "1.M1.host:2,S").write_bytes((NEWSLETTERS / "kit-woodshop.eml").read_bytes())
    (inbox / ".Newsletters" / "new" / "2.M2.host").write_bytes((NEWSLETTERS / "ghost-field-notes.eml").read_bytes())
    sources = [str(Path(i.source).relative_to(inbox)) for i in find_inputs([str(inbox)])]
    assert sources == ["cur/1.M1.host:2,S", ".Newsletters/new/2.M2.host"]


def plain(*paragraphs: str) -> bytes:
    body = "\n\n".join(paragraphs)
    return ("From: Harbour Weekly <news@harbourweekly.org>\nSubject: An issue\nMIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}").encode()


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
    from email.message import EmailMessage
    from scraper.newsletters.message import header, sender
    message = EmailMessage()
    message["From"] = value
    assert sender(header(message, "From")) == expected


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
    mixed = [r for r in run_batch(find_inputs([str(box), str(other)]), BatchOptions()) if isinstance(r, Article)]
    assert [footer in a.text for a in mixed] == [False, False, False, True]
