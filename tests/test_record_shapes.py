"""Record shapes: every record has a stable `id`; `--record-shape nested` is the document record
that datatrove's readers (run here) and dolma (its documented keys) take as it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from datatrove.pipeline.readers import JsonlReader, ParquetReader

from pages import article_page
from scraper.article import Article
from scraper.cli import cli
from scraper.sinks.records import record_id, shape_record

DOLMA_KEYS = {"id", "text", "source", "added", "created", "metadata"}  # allenai/dolma docs/data-format.md


def clean(*args: str):
    return CliRunner().invoke(cli, ["clean", *args, "-j", "1", "-q", "--no-learn"])


def pages(folder: Path, n: int) -> list[str]:
    folder.mkdir()
    for i in range(n):
        (folder / f"p{i}.html").write_text(article_page(f"Story {i}", extra_body=f"<p>Part {i} of the works.</p>"))
    return [str(folder / f"p{i}.html") for i in range(n)]


def test_the_id_is_the_inputs_own_else_a_stable_hash_of_the_source():
    assert record_id(Article("text", source="a.html", id="<urn:uuid:1234>")) == "<urn:uuid:1234>"
    one, again = Article("text", source="a.html"), Article("other text", source="a.html")
    assert record_id(one) == record_id(again) and len(record_id(one)) == 32
    assert record_id(one) != record_id(Article("text", source="b.html"))


@pytest.mark.parametrize("output", ["out.jsonl", "out.db", "out-folder"])
def test_every_output_writes_the_id_and_a_rerun_keeps_it(tmp_path, output):
    [page] = pages(tmp_path / "in", 1)
    out = tmp_path / output
    ids = []
    for _ in range(2):
        assert clean(page, "-o", str(out)).exit_code == 0
        if output.endswith(".jsonl"):
            ids.append(json.loads(out.read_text())["id"])
        elif output.endswith(".db"):
            import sqlite3
            with sqlite3.connect(out) as db:
                ids.append(db.execute("SELECT id FROM articles").fetchone()[0])
        else:
            [record] = [p for p in out.glob("*.json") if p.name != "templates.json"]
            ids.append(json.loads(record.read_text())["id"])
    assert ids[0] == ids[1] == record_id(Article("x", source=page))


def test_nested_records_have_dolmas_keys_and_everything_else_in_metadata():
    article = Article("Body.", source="a.html", title="A title", date="2025-10-01", url="https://e.com/a")
    record = shape_record(article, "nested")
    assert set(record) == DOLMA_KEYS
    assert (record["text"], record["source"], record["created"]) == ("Body.", "a.html", "2025-10-01")
    assert record["metadata"]["title"] == "A title" and record["metadata"]["url"] == "https://e.com/a"
    assert not DOLMA_KEYS & set(record["metadata"])
    assert all(isinstance(record[k], str) for k in ("id", "text", "source"))  # dolma's mandatory keys


@pytest.mark.parametrize("suffix,reader", [(".jsonl", JsonlReader), (".jsonl.gz", JsonlReader),
                                           (".parquet", ParquetReader)])
def test_datatrove_reads_nested_output_as_it_is(tmp_path, suffix, reader):
    inputs = pages(tmp_path / "in", 3)
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / f"docs{suffix}"
    assert clean(*inputs, "-o", str(out), "--record-shape", "nested").exit_code == 0
    docs = list(reader(str(tmp_path / "out"), glob_pattern=f"*{suffix}").run())  # default keys
    assert sorted(d.metadata["source"] for d in docs) == sorted(inputs)
    by_source = {d.metadata["source"]: d for d in docs}
    first = by_source[inputs[0]]
    assert first.id == record_id(Article("x", source=inputs[0]))
    assert "Part 0 of the works." in first.text
    assert first.metadata["title"] == "Story 0" and first.metadata["word_count"] > 20


def test_flat_stays_the_default_shape(tmp_path):
    [page] = pages(tmp_path / "in", 1)
    assert clean(page, "-o", str(tmp_path / "out.jsonl")).exit_code == 0
    record = json.loads((tmp_path / "out.jsonl").read_text())
    assert {"id", "title", "text", "source", "content_hash", "duplicate_of"} <= set(record)
    assert "metadata" not in record


def test_review_reads_nested_records_as_flat_ones(tmp_path):
    from scraper.review.sources import read_store
    inputs = pages(tmp_path / "in", 2)
    for shape in ("flat", "nested"):
        assert clean(*inputs, "-o", str(tmp_path / f"{shape}.jsonl"), "--record-shape", shape).exit_code == 0
    flat = list(read_store(str(tmp_path / "flat.jsonl")))
    nested = list(read_store(str(tmp_path / "nested.jsonl")))
    keys = ("source", "title", "text", "removed", "id")
    assert [[r[k] for k in keys] for r in nested] == [[r[k] for k in keys] for r in flat]
