"""Ctrl-C during a batch stops it cleanly: no worker tracebacks, no "Aborted!", a summary of
what was done, exit code 130, and everything written so far intact and readable."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from pages import article_page


@pytest.mark.parametrize("output", ["out.jsonl", "out.db"])
def test_ctrl_c_mid_batch_keeps_what_was_done_and_exits_130(tmp_path, output):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(300):
        (folder / f"p{i:03}.html").write_text(article_page(f"Harbour story {i}"), encoding="utf-8")
    out = tmp_path / output
    proc = subprocess.Popen([sys.executable, "-m", "scraper", "-v", "clean", str(folder), "-o", str(out),
                             "-j", "2", "--no-learn"],
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for a few pages, as a user would look at progress
        line = proc.stderr.readline()
        seen.append(line)
        if sum("cleaned" in s for s in seen) >= 3:
            break
    os.killpg(proc.pid, signal.SIGINT)  # the terminal sends it to the whole group, workers too
    rest = proc.stderr.read()
    assert proc.wait(timeout=30) == 130
    assert "Traceback" not in rest and "Aborted" not in rest, rest
    assert "interrupted: what was done so far is saved in" in rest
    summary = [line for line in rest.splitlines() if " cleaned, " in line]
    assert len(summary) == 1
    done = int(summary[0].split()[0])
    assert 3 <= done < 300
    if output.endswith(".jsonl"):
        records = [json.loads(line) for line in out.read_text().splitlines()]
    else:
        with sqlite3.connect(out) as db:
            records = db.execute("select source from articles").fetchall()
    assert len(records) == done
