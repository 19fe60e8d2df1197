"""Re-runs into one output keep earlier records: new sources are added, re-cleaned sources
replace their old record (article or failure), in every kind of output, as SQLite always did."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli


def clean(*args: str, input: bytes | None = None):
    return CliRunner().invoke(cli, ["clean", *args, "-j", "1", "-q", "--no-learn"], input=input)


def page(folder: Path, name: str, title: str) -> Path:
    path = folder / name
    path.write_text(article_page(title), encoding="utf-8")
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_a_second_run_into_jsonl_keeps_the_first_runs_records(tmp_path):
    a, b = page(tmp_path, "a.html", "Harbour wall"), page(tmp_path, "b.html", "Bridge repairs")
    out = tmp_path / "all.jsonl"
    assert clean(str(a), "-o", str(out)).exit_code == 0
    assert clean(str(b), "-o", str(out)).exit_code == 0
    assert [r["source"] for r in lines(out)] == [str(a), str(b)]


def test_a_recleaned_source_replaces_its_jsonl_record(tmp_path):
    a, b = page(tmp_path, "a.html", "Harbour wall"), page(tmp_path, "b.html", "Bridge repairs")
    out = tmp_path / "all.jsonl"
    assert clean(str(a), str(b), "-o", str(out)).exit_code == 0
    page(tmp_path, "a.html", "Harbour wall, second edition")
    assert clean(str(a), "-o", str(out)).exit_code == 0
    records = {r["source"]: r["title"] for r in lines(out)}
    assert records == {str(b): "Bridge repairs", str(a): "Harbour wall, second edition"}
    assert len(lines(out)) == 2


def test_a_source_that_now_cleans_loses_its_old_failure_and_the_reverse(tmp_path):
    a = tmp_path / "a.html"
    a.write_bytes(b"")
    out = tmp_path / "all.jsonl"
    failures = tmp_path / "all.failures.jsonl"
    assert clean(str(a), "-o", str(out)).exit_code == 1
    assert [f["reason"] for f in lines(failures)] == ["empty input"]
    page(tmp_path, "a.html", "Harbour wall")
    assert clean(str(a), "-o", str(out)).exit_code == 0
    assert [r["source"] for r in lines(out)] == [str(a)] and lines(failures) == []
    a.write_bytes(b"")
    assert clean(str(a), "-o", str(out)).exit_code == 1
    assert lines(out) == [] and [f["source"] for f in lines(failures)] == [str(a)]


def test_a_line_torn_by_a_killed_run_is_cut_before_appending(tmp_path):
    a = page(tmp_path, "a.html", "Harbour wall")
    out = tmp_path / "all.jsonl"
    out.write_text('{"source": "old.html", "text": "kept"}\n{"source": "torn.html", "te', encoding="utf-8")
    assert clean(str(a), "-o", str(out)).exit_code == 0
    assert [r["source"] for r in lines(out)] == ["old.html", str(a)]


def test_a_folder_keeps_no_stale_files_when_a_title_changes(tmp_path):
    a, b = page(tmp_path, "a.html", "Harbour wall"), page(tmp_path, "b.html", "Bridge repairs")
    out = tmp_path / "out"
    assert clean(str(a), str(b), "-o", str(out)).exit_code == 0
    page(tmp_path, "a.html", "Harbour wall, second edition")
    assert clean(str(a), "-o", str(out)).exit_code == 0
    markdown = sorted(p.name for p in out.glob("*.md"))
    assert len(markdown) == 2
    assert any(n.startswith("Bridge-repairs") for n in markdown)
    assert any(n.startswith("Harbour-wall-second-edition") for n in markdown)
    assert {json.loads(p.read_text())["title"] for p in out.glob("*.json") if p.name != "templates.json"} \
        == {"Bridge repairs", "Harbour wall, second edition"}


def test_a_folder_source_that_now_fails_loses_its_files_and_a_new_run_adds(tmp_path):
    a, b = page(tmp_path, "a.html", "Harbour wall"), page(tmp_path, "b.html", "Bridge repairs")
    out = tmp_path / "out"
    assert clean(str(a), "-o", str(out)).exit_code == 0
    assert clean(str(b), "-o", str(out)).exit_code == 0
    assert len(list(out.glob("*.md"))) == 2
    a.write_bytes(b"")
    assert clean(str(a), "-o", str(out)).exit_code == 1
    assert [p.name.split("-")[0] for p in out.glob("*.md")] == ["Bridge"]
    assert [f["source"] for f in lines(out / "failures.jsonl")] == [str(a)]
    page(tmp_path, "a.html", "Harbour wall")
    assert clean(str(a), "-o", str(out)).exit_code == 0
    assert len(list(out.glob("*.md"))) == 2 and lines(out / "failures.jsonl") == []


def test_a_folder_written_before_the_index_is_still_replaced_in(tmp_path):
    a = page(tmp_path, "a.html", "Harbour wall")
    out = tmp_path / "out"
    assert clean(str(a), "-o", str(out)).exit_code == 0
    (out / "index.jsonl").unlink()
    page(tmp_path, "a.html", "Harbour wall, second edition")
    assert clean(str(a), "-o", str(out)).exit_code == 0
    assert [p.name.split("-second")[0] for p in out.glob("*.md")] == ["Harbour-wall"]


@pytest.mark.parametrize("output", ["s.db", "s.jsonl"])
def test_two_stdin_pages_keep_both_records(tmp_path, output):
    out = tmp_path / output
    for n in (1, 2):
        result = clean("-", "--url", f"https://news.example.com/{n}", "-o", str(out), input=article_page().encode())
        assert result.exit_code == 0
    if output.endswith(".db"):
        with sqlite3.connect(out) as db:
            sources = [s for (s,) in db.execute("select source from articles order by source")]
    else:
        sources = [r["source"] for r in lines(out)]
    assert sources == ["https://news.example.com/1", "https://news.example.com/2"]


def test_stdin_without_url_gets_a_content_hash_source(tmp_path):
    out = tmp_path / "s.db"
    for title in ("Harbour wall", "Bridge repairs"):
        assert clean("-", "-o", str(out), input=article_page(title).encode()).exit_code == 0
    with sqlite3.connect(out) as db:
        sources = [s for (s,) in db.execute("select source from articles")]
    assert len(sources) == 2 and all(s.startswith("stdin:") and len(s) == 6 + 16 for s in sources)


def test_records_a_killed_run_left_twice_are_settled_by_the_next_run(tmp_path):
    a = page(tmp_path, "a.html", "Harbour wall")
    out = tmp_path / "all.jsonl"
    out.write_text('{"source": "old.html", "text": "first"}\n{"source": "old.html", "text": "second"}\n',
                   encoding="utf-8")
    assert clean(str(a), "-o", str(out)).exit_code == 0
    assert [(r["source"], r.get("title") or r["text"]) for r in lines(out)] == [
        ("old.html", "second"), (str(a), "Harbour wall")]


def test_a_folder_index_never_makes_a_run_delete_files_outside_the_folder(tmp_path):
    victim = tmp_path / "victim.md"
    victim.write_text("not ours\n", encoding="utf-8")
    (tmp_path / "victim.json").write_text("{}\n", encoding="utf-8")
    out = tmp_path / "outdir"
    out.mkdir()
    page = tmp_path / "a.txt"
    page.write_text("A plain line of article text that is long enough to be kept by the filters.\n",
                    encoding="utf-8")
    (out / "index.jsonl").write_text(json.dumps({"source": str(page), "stem": "../victim"}) + "\n",
                                     encoding="utf-8")
    result = CliRunner().invoke(cli, ["clean", str(page), "-o", str(out), "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert victim.exists() and (tmp_path / "victim.json").exists()
    assert len(list(out.glob("*.md"))) == 1


def test_a_whole_last_record_without_a_newline_is_kept_and_a_torn_one_cut(tmp_path):
    page = tmp_path / "a.txt"
    page.write_text("A plain line of article text that is long enough to be kept by the filters.\n",
                    encoding="utf-8")
    for tail, kept in (('{"source": "mine", "text": "keep me"}', True), ('{"source": "torn", "te', False)):
        out = tmp_path / "out.jsonl"
        out.write_text(tail, encoding="utf-8")
        result = CliRunner().invoke(cli, ["clean", str(page), "-o", str(out), "-j", "1", "-q"])
        assert result.exit_code == 0, result.output
        sources = [json.loads(x)["source"] for x in out.read_text(encoding="utf-8").splitlines()]
        assert sources == (["mine", str(page)] if kept else [str(page)])
