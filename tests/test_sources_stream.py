"""`scraper clean - -o -` on a JSONL stream: record by record, in constant memory, the first
record out before the input ends (real processes, real pipes)."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import threading

import pytest

from pages import article_page

URL = "https://news.example.com/local/harbour-wall"
# The child reports on stderr as it exits the peak RSS (KiB) of itself and of its page workers.
_PEAK = ("import atexit, resource as r, sys; "
         "atexit.register(lambda: sys.stderr.write('PEAK %d\\n' % max(r.getrusage(r.RUSAGE_SELF).ru_maxrss, "
         "r.getrusage(r.RUSAGE_CHILDREN).ru_maxrss))); "
         "sys.argv = ['scraper', *sys.argv[1:]]; from scraper.cli import main; main()")


def _scraper(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _PEAK, "clean", "-", "-o", "-", "-q", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _line(n: int) -> bytes:
    return json.dumps({"id": f"doc-{n}", "url": f"{URL}-{n}", "html": article_page(title=f"Harbour story {n}")}).encode() + b"\n"


def test_the_first_record_comes_out_before_the_input_ends() -> None:
    proc = _scraper("-j", "1")
    try:
        assert proc.stdin is not None and proc.stdout is not None
        for n in range(12):  # more than one worker queues, so the batch must hand results back
            proc.stdin.write(_line(n))
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no output within 60 s while stdin was still open"
        first = json.loads(proc.stdout.readline())
        assert first["id"] == "doc-0" and proc.poll() is None  # still waiting for more input
        proc.stdin.write(_line(12))
        proc.stdin.close()
        rest = proc.stdout.read().splitlines()
        assert proc.wait(60) == 0
        assert sorted(json.loads(r)["id"] for r in rest) == sorted(f"doc-{n}" for n in range(1, 13))
    finally:
        proc.kill()
        proc.wait()


def _peak_kib(records: int, size: int) -> tuple[int, int]:
    """Pipe `records` text records of about `size` bytes each through a one-worker batch;
    return (peak RSS in KiB of the job's largest process, records out)."""
    proc = _scraper("-j", "1")
    paragraph = "The council voted on Tuesday to rebuild the old harbour wall before winter, line {}.\n"
    body = "".join(paragraph.format(i) for i in range(size // len(paragraph)))

    def feed() -> None:
        assert proc.stdin is not None
        try:
            for n in range(records):
                proc.stdin.write(json.dumps({"id": n, "html": f"Record {n}\n{body}"}).encode() + b"\n")
        finally:
            proc.stdin.close()

    writer = threading.Thread(target=feed)
    writer.start()
    assert proc.stdout is not None and proc.stderr is not None
    out = sum(1 for _ in proc.stdout)
    writer.join(120)
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 0, err
    peak = [int(line.split()[1]) for line in err.splitlines() if line.startswith("PEAK ")]
    return peak[0], out


def test_a_50_mb_stream_runs_in_constant_memory() -> None:
    baseline, out = _peak_kib(1, 20_000)
    assert out == 1
    peak, out = _peak_kib(2_500, 20_000)  # ~50 MB in
    assert out == 2_500
    # Held whole, 50 MB of input would add at least 50 MB; streamed, the peak stays near a
    # single record's (the interpreter and lxml set the baseline).
    assert peak - baseline < 20 * 1024, (baseline, peak)


def test_a_batch_without_learning_takes_its_pages_as_it_goes() -> None:
    from itertools import count, islice

    from scraper.run.batch import BatchOptions, run_batch
    from scraper.sources import Page

    endless = (Page(f"stream:{n}", article_page(title=f"Harbour story {n}"), url=f"{URL}-{n}") for n in count())
    for options in (BatchOptions(learn_templates=False, page_timeout=None, max_memory=None),
                    BatchOptions(learn_templates=False, jobs=2)):
        results = run_batch(endless, options)
        first = list(islice(results, 3))
        results.close()
        assert len(first) == 3 and all(r.id for r in first)


@pytest.mark.parametrize("gzip", [False, True], ids=["warc", "warc.gz"])
def test_a_warc_stream_gives_records_before_it_ends(tmp_path, gzip: bool) -> None:
    from warcs import response, write_warc
    warc = write_warc(tmp_path / "a.warc", lambda w: [response(w, f"{URL}-{n}", _html(n)) for n in range(12)], gzip=gzip)
    proc = _scraper("-j", "1")
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(warc.read_bytes())
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no output within 60 s while stdin was still open"
        assert json.loads(proc.stdout.readline())["url"] == f"{URL}-0" and proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def _html(n: int) -> bytes:
    return article_page(title=f"Harbour story {n}").encode()
