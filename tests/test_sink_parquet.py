"""Parquet output: an explicit schema, zstd, row groups, a new file past a size, one record per
source across re-runs, and a record the schema cannot hold failing alone."""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pages import article_page
from scraper.article import Article
from scraper.cli import cli, record
from scraper.errors import OutputError
from scraper.sinks import ParquetOptions, SinkOptions, open_sink
from scraper.sinks.parquet import PIP_HINT


def clean(*args: str):
    return CliRunner().invoke(cli, ["clean", *args, "-j", "1", "-q", "--no-learn"])


def pages(folder: Path, n: int, prefix: str = "story") -> list[str]:
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"{prefix}-{i}.html"
        path.write_text(article_page(f"Story {i}: harbour wall", extra_body=f"<p>Detail {i} of the works.</p>"))
        paths.append(str(path))
    return paths


def parts(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.glob(out.stem + "*.parquet"))


def table(out: Path) -> pa.Table:
    return pq.read_table([str(out.parent / name) for name in parts(out)])


def test_one_file_with_the_explicit_schema_zstd_and_an_id_on_every_row(tmp_path):
    out = tmp_path / "out.parquet"
    assert clean(*pages(tmp_path / "in", 3), "-o", str(out)).exit_code == 0
    assert parts(out) == ["out.parquet"]
    meta = pq.ParquetFile(out).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    schema = pq.read_schema(out)
    assert schema.field("word_count").type == pa.int64()
    assert schema.field("removed").type == pa.list_(pa.struct([("rule", pa.string()), ("text", pa.string()),
                                                               ("stage", pa.string()), ("words", pa.int64())]))
    rows = table(out).to_pylist()
    assert len(rows) == 3 and all(len(r["id"]) == 32 for r in rows)
    assert len({r["id"] for r in rows}) == 3


def test_past_the_file_size_it_writes_numbered_files_and_a_rerun_adds_and_replaces(tmp_path):
    out = tmp_path / "out.parquet"
    inputs = pages(tmp_path / "in", 8)
    assert clean(*inputs, "-o", str(out), "--parquet-file-size", "2KB").exit_code == 0
    first = parts(out)
    assert len(first) > 1 and first[0] == "out-00000.parquet" and "out.parquet" not in first
    assert table(out).num_rows == 8
    # Re-run: two sources again (one changed), two new ones.
    Path(inputs[0]).write_text(article_page("Story 0, updated", extra_body="<p>Now with a new ending.</p>"))
    more = pages(tmp_path / "in", 2, prefix="extra")
    assert clean(inputs[0], inputs[1], *more, "-o", str(out), "--parquet-file-size", "2KB").exit_code == 0
    rows = table(out).to_pylist()
    assert Counter(r["source"] for r in rows) == Counter(inputs + more)  # one record per source
    assert {r["source"]: r["title"] for r in rows}[inputs[0]] == "Story 0, updated"
    # The new run's files are numbered after the old ones (an old file all of whose rows were
    # written again is removed).
    assert max(parts(out)) > max(first)


def test_a_rerun_into_a_single_file_keeps_it_and_adds_a_numbered_part(tmp_path):
    out = tmp_path / "out.parquet"
    a, b = pages(tmp_path / "in", 2)
    assert clean(a, "-o", str(out)).exit_code == 0
    assert clean(b, "-o", str(out)).exit_code == 0
    assert parts(out) == ["out-00000.parquet", "out.parquet"]
    assert sorted(table(out).column("source").to_pylist()) == [a, b]


def test_a_source_that_now_fails_loses_its_parquet_row(tmp_path):
    out = tmp_path / "out.parquet"
    a, b = pages(tmp_path / "in", 2)
    assert clean(a, b, "-o", str(out)).exit_code == 0
    Path(a).write_bytes(b"")
    assert clean(a, "-o", str(out)).exit_code == 1
    assert table(out).column("source").to_pylist() == [b]
    failures = [json.loads(x) for x in (tmp_path / "out.failures.jsonl").read_text().splitlines()]
    assert [(f["source"], f["reason"]) for f in failures] == [(a, "empty input")]


def test_the_unfinished_part_a_killed_run_left_is_removed_and_said(tmp_path, caplog):
    out = tmp_path / "out.parquet"
    (tmp_path / ".out-00000.parquet.partial").write_bytes(b"PAR1 torn by a kill")
    with caplog.at_level(logging.WARNING):
        sink = open_sink(str(out))
        sink.close()
    assert not (tmp_path / ".out-00000.parquet.partial").exists()
    assert "unfinished part of a killed run" in caplog.text


def test_a_record_the_schema_cannot_hold_is_its_own_failure(tmp_path):
    out = tmp_path / "out.parquet"
    good, other = Article("A whole story.", source="a.html"), Article("Another story.", source="c.html")
    bad = Article("A story with an impossible count.", source="b.html")
    object.__setattr__(bad, "word_count", 2**70)  # more than int64 holds
    sink = open_sink(str(out), SinkOptions(parquet=ParquetOptions()))
    counts = record([good, bad, other], sink)
    sink.close()
    assert counts["cleaned"] == 2
    [(reason, n)] = [(k, v) for k, v in counts.items() if k != "cleaned"]
    assert n == 1 and reason.startswith("failed: cannot be written as Parquet")
    assert table(out).column("source").to_pylist() == ["a.html", "c.html"]
    assert json.loads((tmp_path / "out.failures.jsonl").read_text())["source"] == "b.html"


def test_without_pyarrow_the_error_names_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(OutputError) as caught:
        open_sink(str(tmp_path / "out.parquet"))
    assert caught.value.reason == PIP_HINT == "writing .parquet needs pyarrow: pip install pyarrow"


@pytest.mark.parametrize("name", ["out.parquet", "out.jsonl.gz", "out.jsonl.zst"])
def test_a_crawl_into_an_output_it_cannot_resume_is_a_one_line_usage_error(tmp_path, name):
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.com/a\n")
    done = CliRunner().invoke(cli, ["crawl", str(urls), "-o", str(tmp_path / name)])
    assert done.exit_code == 2
    assert done.output.strip().splitlines() == [
        f"error: a crawl cannot resume into {tmp_path / name}: crawl into .jsonl, .db or a folder, then convert"]
    assert not (tmp_path / f"{name}.state.db").exists()


def test_input_fields_passed_through_land_in_the_fields_column(tmp_path):
    from scraper.sinks import parquet
    record = parquet._fold_extra({"id": "1", "text": "t", "fields": {"lang_score": 0.9}, "crawl": "CC-2025"},
                                 {"id", "text"})
    assert json.loads(record["fields"]) == {"lang_score": 0.9, "crawl": "CC-2025"}
    assert parquet._fold_extra({"id": "1"}, {"id"})["fields"] is None


def test_unopenable_parquet_and_compressed_outputs_are_a_one_line_usage_error(tmp_path):
    [page] = pages(tmp_path / "in", 1)
    (tmp_path / "dir.parquet").mkdir()
    (tmp_path / "dir.jsonl.gz").mkdir()
    (tmp_path / "junk.parquet").write_text("not parquet at all")
    cases = {"/no/such/dir/o.parquet": "no such file or directory",
             "/no/such/dir/o.jsonl.zst": "no such file or directory",
             str(tmp_path / "dir.parquet"): "is a directory",
             str(tmp_path / "dir.jsonl.gz"): "is a directory",
             str(tmp_path / "junk.parquet"): "junk.parquet is not a readable Parquet file"}
    for output, reason in cases.items():
        result = CliRunner().invoke(cli, ["clean", page, "-o", output, "-q"])
        assert result.exit_code == 2, (output, result.output)
        assert result.stderr.startswith(f"error: cannot open output {output}: ") and reason in result.stderr
        assert result.stderr.count("\n") == 1
    assert (tmp_path / "junk.parquet").read_text() == "not parquet at all"  # left as it was


def test_a_nan_in_an_input_field_is_that_records_failure_and_the_batch_goes_on(tmp_path: Path) -> None:
    rows = [{"html": article_page(title=f"Story {i}"), "url": f"https://news.example.com/{i}",
             "score": score} for i, score in enumerate([1.0, float("nan"), 2.0])]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(cli, ["clean", str(tmp_path / "in.parquet"), "-o", str(out), "-j", "1", "-q"])
    assert result.exit_code == 1, result.output
    assert table(out).num_rows == 2
    failures = [json.loads(x) for x in (tmp_path / "out.failures.jsonl").read_text().splitlines()]
    assert len(failures) == 1 and failures[0]["reason"].startswith("cannot be written as Parquet")
