"""Compressed JSON lines (.jsonl.gz, .jsonl.zst): readable by the standard tools, one record per
source across re-runs, and what a killed run wrote is kept up to its torn block."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard
from click.testing import CliRunner

from pages import article_page
from scraper.article import Article
from scraper.cli import cli
from scraper.sinks import open_sink


def clean(*args: str):
    return CliRunner().invoke(cli, ["clean", *args, "-j", "1", "-q", "--no-learn"])


def read(path: Path) -> list[dict]:
    """The records, read with the standard gzip module or the zstandard package."""
    with path.open("rb") as raw:
        if path.suffix == ".gz":
            data = gzip.GzipFile(fileobj=raw).read()
        else:
            data = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True).read()
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def page(folder: Path, name: str, title: str) -> str:
    path = folder / name
    path.write_text(article_page(title), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_a_rerun_adds_new_sources_and_replaces_recleaned_ones(tmp_path, suffix):
    out = tmp_path / f"all{suffix}"
    a, b = page(tmp_path, "a.html", "Harbour wall"), page(tmp_path, "b.html", "Bridge repairs")
    assert clean(a, b, "-o", str(out)).exit_code == 0
    page(tmp_path, "a.html", "Harbour wall, second edition")
    c = page(tmp_path, "c.html", "Ferry timetable")
    assert clean(a, c, "-o", str(out)).exit_code == 0
    records = {r["source"]: r["title"] for r in read(out)}
    assert records == {a: "Harbour wall, second edition", b: "Bridge repairs", c: "Ferry timetable"}
    assert len(read(out)) == 3
    assert not list(tmp_path.glob(".*partial"))  # nothing left behind


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_failures_sit_beside_in_plain_jsonl_and_a_source_that_now_fails_loses_its_article(tmp_path, suffix):
    out = tmp_path / f"all{suffix}"
    a = page(tmp_path, "a.html", "Harbour wall")
    assert clean(a, "-o", str(out)).exit_code == 0
    Path(a).write_bytes(b"")
    assert clean(a, "-o", str(out)).exit_code == 1
    assert read(out) == []
    [failure] = [json.loads(x) for x in (tmp_path / "all.failures.jsonl").read_text().splitlines()]
    assert (failure["source"], failure["reason"]) == (a, "empty input")


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_what_a_killed_run_wrote_is_kept_up_to_its_torn_block(tmp_path, suffix):
    out = tmp_path / f"all{suffix}"
    sink = open_sink(str(out))
    sink.add(Article("An earlier story kept whole.", source="old.html"))
    sink.close()
    # A run killed mid-write: its partial file holds a block of two records, then a torn one.
    sink = open_sink(str(out))
    for i in range(2):
        sink.add(Article(f"Story {i} written before the kill. " * 40, source=f"s{i}.html"))
    sink._articles.sync()  # the compressor's blocks so far reach the disk
    sink.add(Article("The story being written when the kill came. " * 400, source="torn.html"))
    sink._articles.sync()
    partial = tmp_path / f".all{suffix}.partial"
    data = partial.read_bytes()
    sink._lock.release()  # the kill: the process and its lock are gone, nothing closed
    partial.write_bytes(data[: len(data) - 40])
    # The next run merges the whole records and drops the torn one.
    sink = open_sink(str(out))
    sink.add(Article("A new story.", source="new.html"))
    sink.close()
    assert sorted(r["source"] for r in read(out)) == ["new.html", "old.html", "s0.html", "s1.html"]


def test_compressed_output_is_smaller_than_plain(tmp_path):
    texts = [Article("The harbour wall will be rebuilt before winter. " * 50, source=f"{i}.html")
             for i in range(20)]
    sizes = {}
    for suffix in (".jsonl", ".jsonl.gz", ".jsonl.zst"):
        sink = open_sink(str(tmp_path / f"out{suffix}"))
        for article in texts:
            sink.add(article)
        sink.close()
        sizes[suffix] = (tmp_path / f"out{suffix}").stat().st_size
    assert sizes[".jsonl.gz"] * 5 < sizes[".jsonl"] and sizes[".jsonl.zst"] * 5 < sizes[".jsonl"]

