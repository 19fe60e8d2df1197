"""The benchmark runner on tiny hand-made datasets in both layouts, bad pages included."""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path

import pytest

from scraper.errors import ExtractionError, InputError
from scraper.evaluation.runner import (
    EvalOptions,
    Extraction,
    System,
    dataset_kind,
    evaluate,
    load_dataset,
    render_markdown,
    worst_pages,
    write_rows,
)

FAST = EvalOptions(bootstrap=20, warmup=False)


def _page(body: str, title: str = "A title") -> bytes:
    return f"<html><head><title>{title}</title></head><body><p>{body}</p></body></html>".encode()


def body_of(html: bytes, url: str) -> str:
    """A perfect extractor for the fixture pages: the text of the <p>."""
    match = re.search(rb"<p>(.*)</p>", html, re.S)
    if not match:
        raise ExtractionError("no paragraph")
    return match.group(1).decode()


@pytest.fixture
def aeb(tmp_path: Path) -> Path:
    root = tmp_path / "aeb"
    (root / "html").mkdir(parents=True)
    truth = {
        "p1": {"url": "https://a.example/1", "articleBody": "one two three four five"},
        "p2": {"url": "https://a.example/2", "articleBody": "alpha beta gamma delta"},
        "p3": {"url": "https://a.example/3", "articleBody": "broken page text here"},
    }
    (root / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    (root / "html" / "p1.html.gz").write_bytes(gzip.compress(_page("one two three four five")))
    (root / "html" / "p2.html.gz").write_bytes(gzip.compress(b"\xff\xfe not html \x00\x00"))
    (root / "html" / "p3.html.gz").write_bytes(b"not gzip at all")
    return root


@pytest.fixture
def wcxb(tmp_path: Path) -> Path:
    root = tmp_path / "wcxb"
    (root / "html").mkdir(parents=True)
    (root / "ground-truth").mkdir()
    pages = {
        "0001": ("Sign up for our newsletter. The cat sat on the mat.", "The cat sat on the mat.",
                 ["the cat sat"], ["sign up for our newsletter"], "2025-01-02"),
        "0002": ("Dogs bark at night.", "Dogs bark at night.", ["dogs bark"], ["skip to content"],
                 None),
    }
    for page_id, (body, main, keep, leak, day) in pages.items():
        (root / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(_page(body)))
        truth = {"title": "A title", "author": "Jane Doe", "publish_date": day,
                 "main_content": main, "with": keep, "without": leak}
        (root / "ground-truth" / f"{page_id}.json").write_text(
            json.dumps({"url": f"https://w.example/{page_id}", "ground_truth": truth}))
    (root / "ground-truth" / "0003.json").write_text("{not json")
    return root


def test_layout_is_detected_from_the_folder(aeb: Path, wcxb: Path, tmp_path: Path) -> None:
    assert dataset_kind(aeb) == "aeb"
    assert dataset_kind(wcxb) == "wcxb"
    with pytest.raises(InputError):
        dataset_kind(tmp_path)


def test_aeb_samples_are_gunzipped_and_bad_files_carry_a_reason(aeb: Path) -> None:
    samples = list(load_dataset(aeb))
    assert [s.id for s in samples] == ["p1", "p2", "p3"]
    assert samples[0].html.startswith(b"<html>")
    assert samples[0].url == "https://a.example/1"
    assert samples[0].truth == "one two three four five"
    assert samples[1].error is None and samples[1].html.startswith(b"\xff\xfe")
    assert samples[2].error and "gzip" in samples[2].error and samples[2].html == b""


def test_wcxb_samples_carry_snippets_and_metadata(wcxb: Path) -> None:
    first, second, broken = load_dataset(wcxb)
    assert first.truth == "The cat sat on the mat."
    assert first.with_snippets == ("the cat sat",)
    assert first.without_snippets == ("sign up for our newsletter",)
    assert (first.title, first.author, first.date) == ("A title", "Jane Doe", "2025-01-02")
    assert second.date is None
    assert broken.id == "0003" and broken.truth is None and "ground truth" in broken.error


def test_a_system_that_raises_is_a_failed_page_not_a_failed_run(aeb: Path) -> None:
    report = evaluate(aeb, {"perfect": body_of}, FAST)
    rows = {r.id: r for r in report.rows}
    assert rows["p1"].failure is None and rows["p1"].f1 == 1.0 and rows["p1"].exact
    assert rows["p2"].failure == "no paragraph" and rows["p2"].chars == 0
    assert rows["p2"].recall == 0.0
    assert rows["p3"].failure.startswith("unreadable gzip")
    summary = report.summary("perfect")
    assert summary.failures == 2
    # precision only over p1 (the only page with a prediction); recall over all three
    assert summary.precision == 1.0 and summary.recall == pytest.approx(1 / 3)
    assert summary.accuracy == pytest.approx(1 / 3)
    assert [page_id for page_id, _ in report.unloadable] == ["p3"]


def test_non_library_exceptions_are_recorded_with_their_type(aeb: Path) -> None:
    def broken(html: bytes, url: str) -> str:
        raise ValueError("boom")

    report = evaluate(aeb, {"broken": broken}, FAST)
    assert {r.failure for r in report.rows if r.id != "p3"} == {"ValueError: boom"}
    assert report.summary("broken").f1 == 0.0


def test_systems_alternate_order_page_by_page(aeb: Path) -> None:
    calls: list[str] = []

    def recorder(name: str):
        def extract(html: bytes, url: str) -> str:
            calls.append(name)
            return ""
        return extract

    evaluate(aeb, {"a": recorder("a"), "b": recorder("b")}, FAST)
    # p3 cannot be loaded, so only p1 and p2 reach the systems
    assert calls == ["a", "b", "b", "a"]


def test_warmup_calls_each_system_once_before_timing(aeb: Path) -> None:
    calls: list[str] = []
    evaluate(aeb, {"a": lambda html, url: calls.append(url) or ""},
             EvalOptions(bootstrap=20, limit=1))
    assert calls == ["https://a.example/1", "https://a.example/1"]


def test_limit_takes_the_first_pages(aeb: Path) -> None:
    report = evaluate(aeb, {"perfect": body_of}, EvalOptions(bootstrap=20, warmup=False, limit=1))
    assert [r.id for r in report.rows] == ["p1"]
    assert report.summary("perfect").f1 == 1.0


def test_wcxb_reports_word_f1_keep_and_leak(wcxb: Path) -> None:
    report = evaluate(wcxb, {"all": body_of}, FAST)
    summary = report.summary("all")
    # 0001: pred 11 words, 6 in the reference -> P 6/11, R 1; 0002 perfect
    assert summary.pages == 2  # 0003 has no readable truth: reported, not scored
    assert report.unloadable[0][0] == "0003"
    assert summary.keep_rate == 1.0  # 2 of 2 `with` snippets
    assert summary.leak_rate == 0.5  # 1 of 2 `without` snippets
    assert summary.accuracy is None
    first = next(r for r in report.rows if r.id == "0001")
    assert first.precision == pytest.approx(6 / 11) and first.recall == 1.0


def test_metadata_accuracy_needs_a_system_that_returns_metadata(wcxb: Path) -> None:
    def with_metadata(html: bytes, url: str) -> Extraction:
        return Extraction(body_of(html, url), title="A Title | Site", author="By Jane Doe",
                          date="2025-01-02T08:00:00")

    def as_dict(html: bytes, url: str) -> dict[str, str]:
        return {"text": body_of(html, url), "title": "Other", "author": "Jane Doe"}

    report = evaluate(wcxb, {"meta": with_metadata, "dict": as_dict, "bare": body_of}, FAST)
    meta, mapping, bare = report.systems
    # both scored pages have a title and author truth, only 0001 a date
    assert (meta.title_accuracy, meta.author_accuracy, meta.date_accuracy) == (1.0, 1.0, 1.0)
    # a metadata-capable system that leaves a field out is wrong on it
    assert (mapping.title_accuracy, mapping.author_accuracy, mapping.date_accuracy) == (
        0.0, 1.0, 0.0)
    assert bare.title_accuracy is None and bare.date_accuracy is None


def test_untimed_metadata_callable_fills_metadata_fields(wcxb: Path) -> None:
    system = System(body_of, metadata=lambda html, url: Extraction("", title="A title"))
    summary = evaluate(wcxb, {"s": system}, FAST).summary("s")
    assert summary.title_accuracy == 1.0
    assert summary.author_accuracy == 0.0


def test_worst_pages_lists_only_pages_where_the_system_trails(aeb: Path) -> None:
    report = evaluate(aeb, {"perfect": body_of, "empty": lambda html, url: ""}, FAST)
    assert [d.id for d in worst_pages(report, "empty", "perfect")] == ["p1"]
    assert worst_pages(report, "perfect", "empty") == []


def test_per_page_rows_are_written_as_jsonl_or_csv(aeb: Path, tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    report = evaluate(aeb, {"perfect": body_of}, EvalOptions(bootstrap=20, warmup=False,
                                                              per_page_path=out, keep_text=True))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in lines] == ["p1", "p2", "p3"]
    assert lines[0]["text"] == "one two three four five"
    write_rows(report.rows, tmp_path / "rows.csv")
    with (tmp_path / "rows.csv").open(newline="") as handle:
        assert [r["failure"] for r in csv.DictReader(handle)][1] == "no paragraph"


def test_markdown_table_shows_measured_columns_only(aeb: Path) -> None:
    report = evaluate(aeb, {"perfect": body_of, "empty": lambda html, url: ""}, FAST)
    text = render_markdown(report, compare=("empty", "perfect"), worst=5)
    header = next(line for line in text.splitlines() if line.startswith("| system"))
    assert "accuracy" in header and "ms/page mean" in header
    assert "keep" not in header and "title" not in header  # not measured on aeb
    assert "| perfect |" in text and "Unloadable pages (1)" in text
    assert "| p1 |" in text


def test_default_systems_survive_empty_and_binary_pages(tmp_path: Path) -> None:
    from scraper.evaluation.runner import default_systems

    root = tmp_path / "bad"
    (root / "html").mkdir(parents=True)
    truth = {"empty": {"url": "https://b.example/e", "articleBody": "some text"},
             "binary": {"url": "https://b.example/b", "articleBody": "some text"}}
    (root / "ground-truth.json").write_text(json.dumps(truth))
    (root / "html" / "empty.html.gz").write_bytes(gzip.compress(b""))
    (root / "html" / "binary.html.gz").write_bytes(gzip.compress(bytes(range(256)) * 8))
    systems = default_systems()
    report = evaluate(root, systems, FAST)
    assert len(report.rows) == 2 * len(systems)
    assert all(r.chars == 0 for r in report.rows)
