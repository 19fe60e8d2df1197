"""When the crawler dies: a re-run right after `kill -9` resumes (no "in use by another crawl"),
the killed crawl's workers exit with it, and a URL in flight at two deaths ends as failed
("crashed the crawler twice") instead of being tried forever. Ctrl-C is not a death."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from faultserver import ARTICLE_HTML, FaultServer
from scraper.crawl.state import CrawlState

N_PAGES = 40


@pytest.fixture
def site() -> Iterator[FaultServer]:
    with FaultServer(latency=0.03, robots_txt=None) as server:
        server.slow_seconds = 30
        for i in range(N_PAGES):
            server.add_page(f"/a/{i}", ARTICLE_HTML.replace("Rivers return", f"Story {i}: rivers return"))
        yield server


def command(urls: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "scraper", "crawl", str(urls), "-o", str(output),
            "--allow-private", "--delay", "0", "--per-host", "2", "--timeout", "60", "-j", "2",
            "-q", *extra]


def url_list(tmp_path: Path, server: FaultServer, paths: list[str]) -> Path:
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(server.url(p) + "\n" for p in paths))
    return listing


def recorded(output: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in (output, output.with_suffix(".failures.jsonl")):
        if path.exists():
            for line in path.read_text().splitlines():
                if line.endswith("}"):
                    found[json.loads(line)["source"]] += 1
    return found


def wait_for(condition: object, proc: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert proc.poll() is None, f"the crawl ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {seconds} s"
        time.sleep(0.01)


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (workers, the fork server), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def holds_flock(pid: int) -> bool:
    """Whether a descriptor of process `pid` carries an flock (the state database's lock)."""
    try:
        return any("FLOCK" in info.read_text() for info in Path(f"/proc/{pid}/fdinfo").iterdir())
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_crawl_killed_with_sigkill_resumes_at_once_and_its_workers_exit(tmp_path: Path,
                                                                          site: FaultServer) -> None:
    urls = url_list(tmp_path, site, [f"/a/{i}" for i in range(N_PAGES)])
    output = tmp_path / "out.jsonl"
    proc = subprocess.Popen(command(urls, output), stderr=subprocess.DEVNULL)
    wait_for(lambda: sum(recorded(output).values()) >= 5, proc, "5 results")
    workers = descendants(proc.pid)
    assert len(workers) >= 2  # the cleaning processes (and the server they fork from)
    assert holds_flock(proc.pid) and not any(holds_flock(p) for p in workers)
    os.kill(proc.pid, signal.SIGKILL)  # the crawl only: its workers must notice by themselves
    proc.wait()
    with (tmp_path / "out.jsonl.state.db").open("rb") as fh:  # free the moment the crawl is dead, whoever outlives it
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    again = subprocess.Popen(command(urls, output), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 5
    while any(alive(p) for p in workers):
        assert time.monotonic() < deadline, "workers of the killed crawl outlived it by 5 s"
        time.sleep(0.05)
    _, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert "in use by another crawl" not in stderr
    assert "resuming the crawl into" in stderr and f"{N_PAGES} cleaned, 0 failed" in stderr
    assert set(recorded(output).values()) == {1} and len(recorded(output)) == N_PAGES


def test_a_url_in_flight_at_two_deaths_is_failed_not_tried_again(tmp_path: Path,
                                                                 site: FaultServer) -> None:
    paths = ["/a/0", "/slow", *(f"/a/{i}" for i in range(1, 6))]
    urls = url_list(tmp_path, site, paths)
    output = tmp_path / "out.jsonl"
    for death in (1, 2):
        # --no-learn: learning would hold the other pages back until the crawl ends.
        proc = subprocess.Popen(command(urls, output, "--no-learn"), start_new_session=True,
                                stderr=subprocess.DEVNULL)
        # The request reaching the server means its in-flight mark is already durable; the
        # other URLs are written first, so /slow is the only URL in flight at each death.
        wait_for(lambda: site.count("/slow") == death and len(recorded(output)) == 6, proc,
                 "request for /slow")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    last = subprocess.run(command(urls, output), capture_output=True, text=True, timeout=60)
    assert last.returncode == 1, last.stderr
    assert "6 cleaned, 1 failed" in last.stderr and "1  failed: crashed the crawler twice" in last.stderr
    assert site.count("/slow") == 2
    assert recorded(output) == {site.url(p): 1 for p in paths}
    with CrawlState(tmp_path / "out.jsonl.state.db") as state:
        assert state.row(site.url("/slow"))["reason"] == "crashed the crawler twice"
        assert state.row(site.url("/a/0"))["crashes"] == 0


def test_the_in_flight_mark_is_durable_before_the_request_goes_out(tmp_path: Path,
                                                                   site: FaultServer) -> None:
    urls = url_list(tmp_path, site, ["/slow"])
    output = tmp_path / "out.jsonl"
    for death in (1, 2):  # killed the moment the request arrives, long before any periodic sync
        proc = subprocess.Popen(command(urls, output), start_new_session=True,
                                stderr=subprocess.DEVNULL)
        wait_for(lambda: site.count("/slow") == death, proc, "request for /slow")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    last = subprocess.run(command(urls, output), capture_output=True, text=True, timeout=60)
    assert last.returncode == 1 and "failed: crashed the crawler twice" in last.stderr
    assert site.count("/slow") == 2


def test_ctrl_c_is_not_a_crash(tmp_path: Path, site: FaultServer) -> None:
    urls = url_list(tmp_path, site, ["/slow", "/a/0"])
    output = tmp_path / "out.jsonl"
    for n in (1, 2):
        proc = subprocess.Popen(command(urls, output), stderr=subprocess.PIPE, text=True)
        wait_for(lambda: site.count("/slow") == n, proc, "request for /slow")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130, stderr
    site.slow_seconds = 0.1
    last = subprocess.run(command(urls, output), capture_output=True, text=True, timeout=60)
    assert last.returncode == 0, last.stderr
    assert site.count("/slow") == 3 and recorded(output) == {site.url("/slow"): 1, site.url("/a/0"): 1}
