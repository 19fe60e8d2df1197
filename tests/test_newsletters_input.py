"""Newsletter inputs: mbox files, Maildir folders and stdin are read message by message; show and eval take them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from mails import EXPECTATIONS, MBOX, NEWSLETTERS, run
from scraper.article import Article
from scraper.clean.cleaner import CleanOptions
from scraper.cli import cli
from scraper.evaluation.runner import EvalOptions, default_systems, evaluate
from scraper.newsletters import looks_like_message
from scraper.run.batch import BatchOptions, find_inputs, run_batch


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


def test_maildir_plus_plus_subfolders_are_read(tmp_path):
    inbox = tmp_path / "Maildir"
    for folder in (inbox, inbox / ".Newsletters"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True)
    (inbox / "cur" / "1.M1.host:2,S").write_bytes((NEWSLETTERS / "kit-woodshop.eml").read_bytes())
    (inbox / ".Newsletters" / "new" / "2.M2.host").write_bytes((NEWSLETTERS / "ghost-field-notes.eml").read_bytes())
    sources = [str(Path(i.source).relative_to(inbox)) for i in find_inputs([str(inbox)])]
    assert sources == ["cur/1.M1.host:2,S", ".Newsletters/new/2.M2.host"]


def test_an_eml_and_an_mbox_are_recognised_on_stdin():
    code, articles, _ = run("clean", "-", input=(NEWSLETTERS / "kit-woodshop.eml").read_bytes())
    assert code == 0 and articles[0]["author"] == "Dan Rivera" and articles[0]["source"].startswith("stdin:")
    code, articles, _ = run("clean", "-", input=MBOX.read_bytes())
    assert code == 1 and len(articles) == 4
    assert any(a["source"].startswith("stdin:") and a["source"].endswith("#regatta.20251031@mail.harbourweekly.org")
               for a in articles)


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
    assert results[0].reason == "message larger than 97.66 KB"  # worded as every size reason


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


def test_sqlite_keeps_the_e_mail_fields_also_in_a_database_from_before(tmp_path):
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


def test_eval_scores_e_mails_like_pages(tmp_path):
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
