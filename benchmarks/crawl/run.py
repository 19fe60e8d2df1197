"""`scraper crawl` side by side with the Scrapy anchor on crawlbench's local multi-host site.

    python benchmarks/crawl/run.py ../shared/crawlbench --workdir /tmp/crawlbench-work

Copies the crawlbench scripts into WORKDIR (outside the repository), makes a venv there with
Scrapy and trafilatura for the anchor, starts one `server.py` (8 hosts, latency 0.1 s), then
times both crawlers with crawlbench's `bench.py`, alternating them, `--runs` times each, at
delay 0.5 s and at delay 0. Finally it measures the peak RSS of loading a 1,000,000-URL list
into the state database (`scraper crawl --load-only`). Prints a markdown table; the raw JSON
lines stay in WORKDIR/results/. The host names h1.test... must resolve to 127.0.0.1 (Scrapy
keys its per-host slots by host name): `--setup-hosts` runs crawlbench's `etc_hosts.py add`
(needs root), otherwise the script says what to run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SCRAPER = (f"{sys.executable} -m scraper crawl {{urls}} -o {{out}} --allow-private --delay {{delay}} "
           "--per-host {per_host} --concurrency {concurrency} -q")
SCRAPY = ("{workdir}/venv/bin/python {workdir}/run_scrapy.py {urls} -o {out} --delay {delay} "
          "--per-host {per_host} --concurrency {concurrency}")


def setup(crawlbench: Path, workdir: Path, hosts: int, setup_hosts: bool) -> None:
    """Copy the scripts, make the Scrapy venv once, check that the host names resolve."""
    workdir.mkdir(parents=True, exist_ok=True)
    for script in crawlbench.glob("*.py"):
        target = workdir / script.name
        shutil.copyfile(script, target)
    if not (workdir / "venv" / "bin" / "scrapy").exists():
        subprocess.run([sys.executable, "-m", "venv", str(workdir / "venv")], check=True)
        subprocess.run([str(workdir / "venv" / "bin" / "pip"), "install", "-q", "scrapy",
                        "trafilatura", "lxml_html_clean"], check=True)
    if setup_hosts:
        subprocess.run([sys.executable, str(workdir / "etc_hosts.py"), "add", "--hosts", "16"],
                       check=True)
    for i in range(1, hosts + 1):
        try:
            ok = socket.gethostbyname(f"h{i}.test") == "127.0.0.1"
        except OSError:
            ok = False
        if not ok:
            sys.exit(f"h{i}.test does not resolve to 127.0.0.1: run (as root) "
                     f"`python3 {workdir}/etc_hosts.py add --hosts 16`, or pass --setup-hosts")


def start_server(workdir: Path, hosts: int, pages: int, latency: float) -> tuple[subprocess.Popen, dict]:
    ports = workdir / "ports.json"
    ports.unlink(missing_ok=True)
    server = subprocess.Popen(
        [sys.executable, str(workdir / "server.py"), "--hosts", str(hosts), "--pages", str(pages),
         "--latency", str(latency), "--ports-file", str(ports)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if ports.exists():
            try:
                info = json.loads(ports.read_text())
                urllib.request.urlopen(f"http://127.0.0.1:{info['control_port']}/stats", timeout=2)
                return server, info
            except (OSError, ValueError):
                pass
        time.sleep(0.5)
    server.kill()
    sys.exit("server.py did not start")


def bench(workdir: Path, label: str, cmd: str, delay: float, hosts: int, pages: int,
          results: Path) -> dict:
    args = [sys.executable, str(workdir / "bench.py"), "--ports-file", str(workdir / "ports.json"),
            "--hosts", str(hosts), "--pages", str(pages), "--latency", "0.1", "--delay", str(delay),
            "--order", "grouped", "--label", label, "--results", str(results), "--timeout", "900",
            "--workdir", str(workdir / "runs"), "--cmd", cmd]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    row = json.loads(out.strip().splitlines()[-1])
    print(f"  {label:8} delay {delay:<4g} {row['pages_per_s']:6.1f} pages/s  ratio {row['ratio']:.3f}  "
          f"active {row['active_ratio']:.3f}  rss {row['peak_rss_mb']:.0f} MB  "
          f"conc/host {row['max_concurrency_per_host_seen']}", file=sys.stderr, flush=True)
    return row


def million_url_load(count: int) -> dict:
    """Peak RSS and time of streaming a `count`-URL list into a new state database."""
    with tempfile.TemporaryDirectory() as tmp:
        urls = Path(tmp) / "urls.txt"
        with urls.open("w") as fh:
            for i in range(count):
                fh.write(f"https://news{i % 5000}.example.com/2025/{i % 12 + 1:02d}/story-{i}.html"
                         f"?utm_source=newsletter&id={i}\n")
        # A fresh parent, so the peak belongs to this one child (not the server run before).
        probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
                 "subprocess.run(sys.argv[1:], check=True, stderr=subprocess.DEVNULL); "
                 "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
                 "time.perf_counter() - t)")
        out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "scraper", "crawl",
                              str(urls), "-o", str(Path(tmp) / "out.jsonl"), "--load-only"],
                             check=True, capture_output=True, text=True).stdout.split()
        peak_kb, wall = int(out[0]), float(out[1])
        size = (Path(tmp) / "out.jsonl.state.db").stat().st_size
    return {"urls": count, "peak_rss_mb": round(peak_kb / 1024, 1), "wall_s": round(wall, 1),
            "state_db_mb": round(size / 2**20)}


def mmm(values: list[float], fmt: str = "{:.1f}") -> str:
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def table(rows: list[dict]) -> str:
    lines = ["| crawler | delay s | URLs | n | bound p/s | pages/s | ratio | active ratio | "
             "peak RSS MB | CPU s | max conc/host seen | p05 gap s | all pages? |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["delay"], row["label"]), []).append(row)
    for (delay, label), rs in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        every = all(r["distinct_pages"] == r["expected_pages"] and r["rc"] in (0, None) for r in rs)
        lines.append(
            f"| {label} | {delay:g} | {rs[0]['hosts']}x{rs[0]['pages_per_host']} | {len(rs)} | "
            f"{rs[0]['bound']:g} | "
            f"{mmm([r['pages_per_s'] for r in rs])} | {mmm([r['ratio'] for r in rs], '{:.3f}')} | "
            f"{mmm([r['active_ratio'] for r in rs], '{:.3f}')} | "
            f"{mmm([r['peak_rss_mb'] for r in rs], '{:.0f}')} | "
            f"{mmm([r['cpu_user_s'] + r['cpu_sys_s'] for r in rs])} | "
            f"{max(r['max_concurrency_per_host_seen'] for r in rs)} | "
            f"{mmm([r['p05_gap_s'] for r in rs], '{:.3f}')} | {'yes' if every else 'NO'} |")
    for delay in sorted({d for d, _ in groups}, reverse=True):
        ours, anchor = groups.get((delay, "scraper")), groups.get((delay, "scrapy"))
        if ours and anchor:
            speed = statistics.median(r["pages_per_s"] for r in ours) / statistics.median(
                r["pages_per_s"] for r in anchor)
            lines.append(f"\ndelay {delay:g}: scraper / scrapy pages/s (medians) = {speed:.2f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("crawlbench", type=Path, help="the crawlbench folder (read only; copied)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "crawlbench-work")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hosts", type=int, default=8, help="hosts (ports) of the test site")
    ap.add_argument("--pages-polite", type=int, default=250, help="pages per host at delay 0.5")
    ap.add_argument("--pages-fast", type=int, default=250, help="pages per host at delay 0")
    ap.add_argument("--delays", default="0.5,0", help="comma-separated delays to run (default 0.5,0)")
    ap.add_argument("--million", type=int, default=1_000_000, help="URLs for the load test; 0 skips it")
    ap.add_argument("--setup-hosts", action="store_true", help="add h1..h16.test to /etc/hosts (root)")
    a = ap.parse_args()
    workdir = a.workdir.resolve()
    setup(a.crawlbench.resolve(), workdir, a.hosts, a.setup_hosts)
    results = workdir / "results" / f"crawl-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    results.parent.mkdir(exist_ok=True)
    server, info = start_server(workdir, a.hosts, max(a.pages_polite, a.pages_fast), 0.1)
    rows = []
    try:
        for delay in (float(d) for d in a.delays.split(",")):
            pages = a.pages_polite if delay > 0 else a.pages_fast
            for _ in range(a.runs):
                for label, cmd in (("scrapy", SCRAPY), ("scraper", SCRAPER)):
                    rows.append(bench(workdir, label, cmd.replace("{workdir}", str(workdir)),
                                      delay, a.hosts, pages, results))
    finally:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{info['control_port']}/quit", timeout=5)
            server.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            server.kill()
    print(table(rows))
    if a.million:
        load = million_url_load(a.million)
        print(f"\nloading {load['urls']:,} URLs into the state database (--load-only): peak RSS "
              f"{load['peak_rss_mb']} MB, {load['wall_s']} s, state database {load['state_db_mb']} MB")
    print(f"\nraw results: {results}")


if __name__ == "__main__":
    main()
