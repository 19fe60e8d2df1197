"""Every page is held to three limits: its size after decompression (--max-bytes), its time
(--page-timeout) and its memory (--max-memory). A page over one is a recorded failure with the
reason, its worker is replaced, and the batch goes on, with -j 1 as with more workers."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pages import article_page
from scraper.article import Article, Failure
from scraper.clean.cleaner import CleanOptions
from scraper.run.batch import BatchOptions, Input, run_batch

SCRAPER = [sys.executable, "-m", "scraper"]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """36 KB on disk, 18 MB of `<div>x</div>` inflated: minutes and gigabytes for lxml and
    trafilatura without limits."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"<html><body>" + b"<div>x</div>" * (18 * 2**20 // 12) + b"</body></html>", 6))
    return path


def clean(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, float, list[dict], list[dict]]:
    good = tmp_path / "good.html"
    good.write_text(article_page(), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    result = subprocess.run([*SCRAPER, "clean", *args, str(good), "-o", str(out), "-q"],
                            capture_output=True, text=True, timeout=120)
    took = time.monotonic() - started
    articles = [json.loads(line) for line in out.read_text().splitlines()]
    failures = [json.loads(line) for line in (tmp_path / "out.failures.jsonl").read_text().splitlines()]
    return result, took, articles, failures


def test_a_page_over_max_bytes_after_decompression_is_refused(tmp_path, bomb):
    result, took, articles, failures = clean(tmp_path, str(bomb), "-j", "1")
    assert result.returncode == 1
    assert [f["reason"] for f in failures] == ["page larger than 10 MB after decompression"]
    assert len(articles) == 1
    assert took < 30


def test_max_bytes_takes_sizes(tmp_path):
    big = tmp_path / "big.html"
    big.write_text(article_page(paragraphs=["Words about the harbour wall. " * 40] * 20), encoding="utf-8")
    result, _, articles, failures = clean(tmp_path, str(big), "--max-bytes", "8KB", "-j", "1")
    assert result.returncode == 1
    assert [f["reason"] for f in failures] == ["page larger than 8 KB after decompression"]
    assert len(articles) == 1

@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_page_over_its_time_is_a_failure_and_the_batch_goes_on(tmp_path, bomb, jobs):
    result, took, articles, failures = clean(tmp_path, str(bomb), "--max-bytes", "20MB",
                                             "--page-timeout", "1", "-j", jobs, "--no-learn")
    assert result.returncode == 1, result.stderr
    assert [f["reason"] for f in failures] == ["timed out after 1 s"]
    assert [a["source"] for a in articles] == [str(tmp_path / "good.html")]
    assert took < 1 + 15  # the limit plus start-up, never the minutes the page would take


def test_a_page_over_its_memory_budget_is_a_failure(tmp_path, bomb):
    result, took, articles, failures = clean(tmp_path, str(bomb), "--max-bytes", "20MB",
                                             "--max-memory", "400MB", "-j", "1")
    assert result.returncode == 1, result.stderr
    assert [f["reason"] for f in failures] == ["memory budget exceeded"]
    assert len(articles) == 1


def test_library_batches_take_the_limits_as_options(bomb):
    options = BatchOptions(CleanOptions(max_bytes=20 * 2**20), page_timeout=1, learn_templates=False)
    [result] = list(run_batch([Input(str(bomb))], options))
    assert isinstance(result, Failure) and result.reason == "timed out after 1 s"
    [article] = list(run_batch([Input("-", article_page().encode())], BatchOptions(page_timeout=None, max_memory=None)))
    assert isinstance(article, Article)


def test_help_documents_the_three_limits():
    out = subprocess.run([*SCRAPER, "clean", "--help"], capture_output=True, text=True).stdout
    for flag in ("--max-bytes", "--page-timeout", "--max-memory"):
        assert flag in out


def test_zero_lifts_the_time_and_memory_limits_as_the_help_says(tmp_path):
    for command in ("clean", "crawl"):
        result = subprocess.run([sys.executable, "-m", "scraper", command, "--help"],
                                capture_output=True, text=True)
        assert "0: no limit" in " ".join(result.stdout.split()), command
    page = tmp_path / "page.html"
    page.write_text(article_page(), encoding="utf-8")
    result, _, articles, failures = clean(tmp_path, str(page), "--max-memory", "0", "--page-timeout", "0")
    assert result.returncode == 0, result.stderr
    assert len(articles) == 2 and failures == []  # the page and the helper's own good page
