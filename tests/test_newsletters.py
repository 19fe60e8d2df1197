"""Newsletter e-mails in: .eml, mbox and Maildir become articles with metadata from the headers
(keep/drop phrases for each fixture are in fixtures/expectations.toml, see test_fixtures.py)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scraper.article import Article
from scraper.clean import CleanOptions
from scraper.cli import cli
from scraper.newsletters import MailOptions, clean_message, looks_like_message
from scraper.pipeline import BatchOptions, Input, clean_input, find_inputs, run_batch

NEWSLETTERS = Path(__file__).resolve().parent.parent / "fixtures" / "newsletters"
MBOX = NEWSLETTERS / "inbox.mbox"


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
    assert article.encoding == "windows-1252"
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
    assert code == 0 and articles[0]["author"] == "Dan Rivera" and articles[0]["source"].startswith("stdin:")
    code, articles, _ = run("clean", "-", input=MBOX.read_bytes())
    assert code == 1 and len(articles) == 4
    assert any(a["source"].startswith("stdin:") and a["source"].endswith("#regatta.20251031@mail.harbourweekly.org")
               for a in articles)


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
