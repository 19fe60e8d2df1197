"""--split-digest: a briefing becomes one record per story (heading = title, read-more link = url); anything else stays one record."""

from __future__ import annotations

from mails import NEWSLETTERS, run
from scraper.newsletters import MailOptions, clean_message


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
