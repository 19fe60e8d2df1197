"""Duplicates within a job are flagged in `duplicate_of` (the first record's id), never dropped:
`exact` on the content hash, `near` with MinHash LSH over word shingles."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pages import article_page
from scraper.article import Article
from scraper.cli import cli
from scraper.errors import OutputError
from scraper.sinks.dedupe import THRESHOLD, Dedupe, shingles
from scraper.sinks.records import record_id

PLACES = ["Kelby quarry", "the north pier", "Sandby beach", "the old mill", "Westgate yard"]
HARBOUR = [f"On day {i} of the works the crews moved {i * 7 + 3} tonnes of stone from {PLACES[i % 5]} "
           f"to the harbour, and the foreman said {i + 2} more barges were due." for i in range(15)]
FERRY = [f"Route {i} of the ferry timetable changes in spring: boats leave {PLACES[i % 5]} at "
         f"{i + 6} o'clock and the fare rises by {i + 1} pence for adults." for i in range(15)]
PROMO_A = "<p>Our partner Acme Boats offers ten per cent off every dinghy this month with the code HARBOUR.</p>"
PROMO_B = "<p>Tickets for the Seaside Fair this weekend are on sale now at the harbour office and online.</p>"


def clean(*args: str):
    return CliRunner().invoke(cli, ["clean", *args, "-j", "1", "-q", "--no-learn"])


def write(folder: Path, name: str, paragraphs: list[str], promo: str, title: str) -> str:
    path = folder / name
    path.write_text(article_page(title, paragraphs=paragraphs, extra_body=promo))
    return str(path)


def job(tmp_path: Path, mode: str) -> dict[str, dict]:
    original = write(tmp_path, "1-harbour.html", HARBOUR, PROMO_A, "Harbour works")
    promo = write(tmp_path, "2-harbour-again.html", HARBOUR, PROMO_B, "Harbour works")
    same = write(tmp_path, "3-harbour-copy.html", HARBOUR, PROMO_A, "Harbour works")
    other = write(tmp_path, "4-ferry.html", FERRY, PROMO_A, "Ferry timetable")
    out = tmp_path / "out.jsonl"
    assert clean(original, promo, same, other, "-o", str(out), "--dedupe", mode).exit_code == 0
    records = {Path(r["source"]).name: r for r in map(json.loads, out.read_text().splitlines())}
    assert len(records) == 4  # flagged, never dropped
    return records


def test_near_flags_the_same_article_with_another_promo_box_but_not_another_article(tmp_path):
    records = job(tmp_path, "near")
    first = records["1-harbour.html"]["id"]
    assert records["1-harbour.html"]["duplicate_of"] is None
    assert records["2-harbour-again.html"]["duplicate_of"] == first
    assert records["3-harbour-copy.html"]["duplicate_of"] == first
    assert records["4-ferry.html"]["duplicate_of"] is None  # same template, different story


def test_exact_flags_only_the_same_text(tmp_path):
    records = job(tmp_path, "exact")
    assert records["3-harbour-copy.html"]["duplicate_of"] == records["1-harbour.html"]["id"]
    assert records["2-harbour-again.html"]["duplicate_of"] is None
    assert records["4-ferry.html"]["duplicate_of"] is None


def test_the_pages_sit_where_the_threshold_says():
    """The made-up pages are a fair test: the promo copy is above the threshold, yet not the
    same text; the other story on the template is far below."""
    def jaccard(a: str, b: str) -> float:
        x, y = shingles(a), shingles(b)
        return len(x & y) / len(x | y)
    harbour = " ".join(HARBOUR)
    assert THRESHOLD <= jaccard(harbour + " " + PROMO_A, harbour + " " + PROMO_B) < 0.95
    assert jaccard(harbour + " " + PROMO_A, " ".join(FERRY) + " " + PROMO_A) < 0.1


def test_a_record_the_sink_refuses_is_not_an_original():
    dedupe = Dedupe("exact")
    article = Article("The same words.", source="a.html")
    assert dedupe.check(article) == (None, None)  # not remembered: its write failed
    assert dedupe.check(Article("The same words.", source="b.html"))[0] is None
    dedupe.remember(article, None)
    assert dedupe.check(Article("The same words.", source="b.html"))[0] == record_id(article)


def test_without_datasketch_near_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasketch", None)
    with pytest.raises(OutputError) as caught:
        Dedupe("near")
    assert caught.value.reason == "--dedupe near needs datasketch: pip install datasketch"
