"""`crawl --dask`: URLs split by registered domain, so each host is crawled by one worker and
politeness holds across the cluster, as the servers measure it (never more than --per-host in
flight); each partition has its own state, a re-run resumes each, and one summary covers all."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from faultserver import ARTICLE_HTML, FaultServer
from scraper.crawl.fetch import FetchOptions
from scraper.crawl.job import CrawlOptions
from scraper.crawl.parts import domain_partitions, run_crawl_partitions
from scraper.run.dask import DaskExecutor
from scraper.cli import cli

N = 12


def test_partitions_keep_a_registered_domain_together() -> None:
    urls = ["http://a.example.com/1", "http://b.example.com/2", "http://example.com/3",
            "http://other.org/4", "# a comment", "", "http://www.other.org/5"]
    parts = domain_partitions(urls, 50)
    by_url = {url: part.name for part in parts for url in part.urls}
    assert len(by_url) == 5
    assert by_url["http://a.example.com/1"] == by_url["http://b.example.com/2"] == by_url["http://example.com/3"]
    assert by_url["http://other.org/4"] == by_url["http://www.other.org/5"]
    assert domain_partitions(urls, 50) == parts


def sites(latency: float) -> tuple[FaultServer, FaultServer]:
    servers = (FaultServer(latency=latency, robots_txt=None),
               FaultServer(latency=latency, robots_txt=None, host="127.0.0.2"))
    for server in servers:
        for i in range(N):
            server.add_page(f"/a/{i}", ARTICLE_HTML.replace("Rivers return", f"Story {i}: rivers return"))
    return servers


def sources(folder: Path, kind: str = ".jsonl") -> Counter[str]:
    """Sources of the articles (or, given ".failures.jsonl", the failures) of every part."""
    found: Counter[str] = Counter()
    for part in folder.glob("crawl-*" + kind):
        if kind == ".jsonl" and part.name.endswith(".failures.jsonl"):
            continue
        for line in part.read_text().splitlines():
            found[json.loads(line)["source"]] += 1
    return found


def test_a_cluster_crawl_keeps_politeness_per_host_and_each_url_once(tmp_path: Path,
                                                                      dask_cluster: DaskExecutor) -> None:
    first, second = sites(latency=0.1)
    with first, second:
        urls = [s.url(f"/a/{i}") for s in (first, second) for i in range(N)]
        options = CrawlOptions(fetch=FetchOptions(allow_private=True), delay=0, per_host=2,
                               concurrency=16, jobs=1, learn_templates=False)
        parts = domain_partitions(urls, 8)
        assert len(parts) == 2  # 127.0.0.1 and 127.0.0.2: two registered "domains"
        out = tmp_path / "parts"
        results = list(run_crawl_partitions(parts, options, str(out), dask_cluster))
        # never over --per-host (how close to it a loaded machine gets is not this test's business)
        assert 1 <= first.max_in_flight <= 2 and 1 <= second.max_in_flight <= 2
    assert sum((c for _, c in results), Counter()) == {"cleaned": 2 * N}
    assert sources(out) == {url: 1 for url in urls}
    for part in parts:  # a host's URLs all went to one partition, one worker
        assert len({u.split("/a/")[0] for u in part.urls}) == 1


def test_the_cli_merges_one_summary_and_a_rerun_resumes_each_part(tmp_path: Path) -> None:
    first, second = sites(latency=0.0)
    with first, second:
        first.add_page("/gone", b"<html></html>", status=404)
        urls = [s.url(f"/a/{i}") for s in (first, second) for i in range(3)] + [first.url("/gone")]
        listing = tmp_path / "urls.txt"
        listing.write_text("\n".join(urls) + "\n")
        out = tmp_path / "parts"
        command = ["crawl", str(listing), "--dask", "local:1", "-o", str(out), "-q", "--allow-private",
                   "--delay", "0", "--no-learn", "--retries", "0"]
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1, result.output
        assert "partitions by registered domain" in result.output
        assert "6 cleaned, 1 failed" in result.output
        requests = len(first.log) + len(second.log)
        again = CliRunner().invoke(cli, command)
        assert "6 cleaned, 1 failed" in again.output
        assert len(first.log) + len(second.log) == requests  # every part resumed: nothing fetched again
    assert sources(out) == {url: 1 for url in urls[:-1]}
    assert sources(out, ".failures.jsonl") == {first.url("/gone"): 1}


def test_a_worker_killed_mid_crawl_resumes_its_partition_elsewhere(tmp_path: Path,
                                                                   dask_cluster: DaskExecutor) -> None:
    first, second = sites(latency=0.25)
    with first, second:
        urls = [s.url(f"/a/{i}") for s in (first, second) for i in range(N)]
        options = CrawlOptions(fetch=FetchOptions(allow_private=True), delay=0, per_host=1,
                               concurrency=4, jobs=1, learn_templates=False, sync_every=0.2)
        out = tmp_path / "parts"
        victim = next(iter(dask_cluster.client.run(os.getpid).values()))

        def kill_once_started() -> None:
            while len(first.log) + len(second.log) < 6:  # both partitions are crawling
                time.sleep(0.05)
            os.kill(victim, signal.SIGKILL)

        killer = threading.Thread(target=kill_once_started, daemon=True)
        killer.start()
        results = list(run_crawl_partitions(domain_partitions(urls, 8), options, str(out), dask_cluster))
        killer.join(5)
    assert not killer.is_alive()
    assert sources(out) == {url: 1 for url in urls}
    assert sum((c for _, c in results), Counter()) == {"cleaned": 2 * N}
