"""Folder output: each .md opens with YAML front matter, and Markdown tables stay tables."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pages import article_page
from scraper.article import Article
from scraper.cli import cli
from scraper.sinks.markdown import front_matter, to_markdown

TABLE = ("<table><tr><th>Crop</th><th>Area</th></tr><tr><td>Rice</td><td>12.3</td></tr>"
         "<tr><td>Pulses</td><td>4.1</td></tr><tr><td>Oilseeds</td><td>7.7</td></tr></table>")


def _front(md: str) -> dict:
    head, _, _ = md.removeprefix("---\n").partition("\n---\n")
    fields = {}
    for line in head.splitlines():
        key, _, value = line.partition(": ")
        fields[key] = json.loads(value)  # double-quoted YAML scalars here are JSON strings
    return fields


def test_folder_output_has_front_matter_and_whole_tables(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(article_page(extra_body=TABLE), encoding="utf-8")
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["clean", str(page), "-o", str(out), "-j", "1"]).exit_code == 0
    md = next(out.glob("*.md")).read_text(encoding="utf-8")
    assert md.startswith("---\n")
    fields = _front(md)
    assert fields["title"] == "Harbour wall to be rebuilt before winter"
    assert fields["url"] == "https://news.example.com/local/harbour-wall"
    assert fields["sitename"] == "Coast News" and isinstance(fields["word_count"], int)
    assert "\n# Harbour wall to be rebuilt before winter\n" in md
    assert "| Crop | Area |\n|---|---|\n| Rice | 12.3 |\n| Pulses | 4.1 |\n| Oilseeds | 7.7 |" in md


def test_front_matter_values_never_break_out_of_their_line():
    article = Article(text="Body text of the article.", title='Quote " colon: and\nnewline\u2028 --- end',
                      author="Ann: Smith")
    lines = front_matter(article).splitlines()
    assert lines[0] == lines[4] == "---" and len(lines) == 5
    assert lines[1] == 'title: "Quote \\" colon: and\\nnewline\\L --- end"'
    assert lines[2] == 'author: "Ann: Smith"'
    assert to_markdown(article).endswith("\n# " + article.title + "\n\nBody text of the article.\n")
