"""An output that cannot be opened, or that another run is writing, is a one-line error with
exit code 2 before any work, for `clean` and `crawl` alike; never a traceback, never torn lines."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pages import article_page
from scraper.cli import cli

SCRAPER = [sys.executable, "-m", "scraper"]


def run(*args: str, input: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*SCRAPER, *args], input=input, capture_output=True, timeout=60, cwd=cwd)


def bad_outputs(tmp: Path) -> dict[str, str]:
    """Output name → the reason expected in its message (the bad files are made here)."""
    (tmp / "x.db").write_text("not a database at all\n" * 10)
    (tmp / "x.jsonl").mkdir()
    (tmp / "plain-file").write_text("hello")
    return {
        "/no/such/dir/o.db": "no such file or directory",
        "/no/such/dir/o.jsonl": "no such file or directory",
        str(tmp / "x.db"): "file is not a database",
        str(tmp / "x.jsonl"): "is a directory",
        str(tmp / "plain-file" / "folder"): "not a directory",
        str(tmp / "plain-file"): "exists and is not a folder",
    }


@pytest.mark.parametrize("command", ["clean", "crawl"])
def test_unopenable_outputs_are_a_one_line_usage_error(tmp_path, command):
    page = tmp_path / "p.html"
    page.write_text(article_page(), encoding="utf-8")
    urls = tmp_path / "urls.txt"
    urls.write_text("http://127.0.0.1:9/a\n")
    state = ["--state", str(tmp_path / "s.db")] if command == "crawl" else []
    for output, reason in bad_outputs(tmp_path).items():
        given = str(page) if command == "clean" else str(urls)
        result = CliRunner().invoke(cli, [command, given, "-o", output, *state])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 2, (output, result.stderr)
        assert result.stderr.startswith(f"error: cannot open output {output}: ") and reason in result.stderr
        assert result.stderr.count("\n") == 1


def test_an_unopenable_output_is_no_traceback_in_a_real_process(tmp_path):
    (tmp_path / "x.db").write_text("not a database at all\n" * 10)
    result = run("clean", "-", "-o", str(tmp_path / "x.db"), input=article_page().encode())
    assert result.returncode == 2
    assert result.stderr.decode() == f"error: cannot open output {tmp_path / 'x.db'}: file is not a database\n"


def test_a_second_run_into_an_output_in_use_exits_2_and_the_first_finishes(tmp_path):
    out = tmp_path / "all.jsonl"
    # The first run holds the output while it waits for its standard input.
    first = subprocess.Popen([*SCRAPER, "clean", "-", "--url", "https://news.example.com/1", "-o", str(out),
                              "-j", "1"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until_locked(tmp_path / "all.jsonl.lock")
        second = run("clean", "-", "--url", "https://news.example.com/2", "-o", str(out), input=article_page().encode())
        assert second.returncode == 2
        assert second.stderr.decode() == f"error: output {out} is in use by another run\n"
        _, err = first.communicate(article_page().encode(), timeout=60)
    finally:
        first.kill()
    assert first.returncode == 0, err
    assert [json.loads(line)["source"] for line in out.read_text().splitlines()] == ["https://news.example.com/1"]
    third = run("clean", "-", "--url", "https://news.example.com/2", "-o", str(out), input=article_page().encode())
    assert third.returncode == 0
    assert len(out.read_text().splitlines()) == 2


def wait_until_locked(lock: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if lock.exists():
            fd = os.open(lock, os.O_RDWR)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return  # held by the other process
            finally:
                os.close(fd)  # also drops our lock if we got it
        time.sleep(0.05)
    pytest.fail(f"{lock} was never locked")


@pytest.mark.parametrize("output", ["o.db", "o.jsonl", "folder"])
def test_two_runs_at_once_never_tear_lines(tmp_path, output):
    folders = []
    for n in range(2):
        folder = tmp_path / f"in{n}"
        folder.mkdir()
        for i in range(4):
            (folder / f"p{i}.html").write_text(article_page(f"Story {n} {i}"), encoding="utf-8")
        folders.append(folder)
    runs = [subprocess.Popen([*SCRAPER, "clean", str(f), "-o", str(tmp_path / output), "-j", "1", "--no-learn"],
                             stderr=subprocess.PIPE) for f in folders]
    codes = [(r.wait(timeout=120), r.stderr.read().decode()) for r in runs]
    for code, err in codes:
        assert code == 0 or (code == 2 and err == f"error: output {tmp_path / output} is in use by another run\n")
    if output.endswith(".jsonl"):
        records = [json.loads(line) for line in (tmp_path / output).read_text().splitlines()]
        assert len(records) == 4 * sum(code == 0 for code, _ in codes)


def test_an_output_that_fills_up_mid_run_is_a_one_line_error(tmp_path):
    (tmp_path / "full.jsonl").symlink_to("/dev/full")  # every write: "no space left on device"
    page = tmp_path / "p.html"
    page.write_text(article_page(), encoding="utf-8")
    result = run("clean", str(page), "-o", str(tmp_path / "full.jsonl"), "-j", "1")
    assert result.returncode == 2
    assert result.stderr.decode() == f"error: cannot write output {tmp_path / 'full.jsonl'}: no space left on device\n"


def test_an_input_given_as_the_output_is_refused(tmp_path):
    import json as _json
    from click.testing import CliRunner as _Runner
    from scraper.cli import cli as _cli
    pages_file = tmp_path / "pages.jsonl"
    pages_file.write_text(_json.dumps({"url": "https://x.example/a", "html": "<p>hi</p>"}) + "\n")
    before = pages_file.read_bytes()
    result = _Runner().invoke(_cli, ["clean", str(pages_file), "-o", str(pages_file)])
    assert result.exit_code == 2 and "both an input and the output" in result.stderr
    assert pages_file.read_bytes() == before
