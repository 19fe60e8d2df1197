"""Peak memory of `scraper clean - -o -` on a large JSON Lines stream made up on the fly.

    python benchmarks/stream_rss.py --gigabytes 1 --jobs 2

Writes `--gigabytes` of JSONL records (text pages of `--record-kb` each, so the run measures the
stream's handling rather than extraction time; `--pages DIR` cycles real bench pages instead)
into the command's stdin from a thread, counts the records that come out, and prints the peak
RSS of the job's largest process (the command or one of its page workers), the time to the
first record out and the total time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

_PEAK = ("import atexit, resource as r, sys; "
         "atexit.register(lambda: sys.stderr.write('PEAK %d\\n' % max(r.getrusage(r.RUSAGE_SELF).ru_maxrss, "
         "r.getrusage(r.RUSAGE_CHILDREN).ru_maxrss))); "
         "sys.argv = ['scraper', *sys.argv[1:]]; from scraper.cli import main; main()")


def records(size: int, pages: Path | None):
    if pages is not None:
        bodies = [gzip.decompress(p.read_bytes()).decode("utf-8", "replace") for p in sorted(pages.glob("*.html.gz"))]
    else:
        line = "The council voted on Tuesday to rebuild the old harbour wall before winter, line {}.\n"
        bodies = ["".join(line.format(i) for i in range(size // len(line)))]
    n = 0
    while True:
        yield json.dumps({"id": n, "url": f"https://example.com/{n}", "html": bodies[n % len(bodies)]}).encode() + b"\n"
        n += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--record-kb", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pages", type=Path, help="a folder of .html.gz pages to cycle instead of text")
    args = parser.parse_args(argv)
    target = int(args.gigabytes * 2**30)
    proc = subprocess.Popen([sys.executable, "-c", _PEAK, "clean", "-", "-o", "-", "-q", "-j", str(args.jobs)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sent = [0, 0]

    def feed() -> None:
        assert proc.stdin is not None
        try:
            for record in records(args.record_kb * 1024, args.pages):
                if sent[0] >= target:
                    break
                proc.stdin.write(record)
                sent[0] += len(record)
                sent[1] += 1
        finally:
            proc.stdin.close()

    start = time.perf_counter()
    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    assert proc.stdout is not None and proc.stderr is not None
    first = None
    out = 0
    for _ in proc.stdout:
        out += 1
        if first is None:
            first = time.perf_counter() - start
            first_sent = sent[0]
    err = proc.stderr.read().decode()
    code = proc.wait()
    total = time.perf_counter() - start
    peak = [int(line.split()[1]) for line in err.splitlines() if line.startswith("PEAK ")]
    print(f"in: {sent[0] / 2**20:.0f} MB, {sent[1]} records; out: {out} records; exit {code}")
    print(f"first record out after {first:.2f} s, with {first_sent / 2**20:.1f} MB of input sent")
    print(f"total {total:.0f} s; peak RSS {peak[0] / 1024:.0f} MB" if peak else err[-2000:])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
