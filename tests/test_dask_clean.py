"""`clean` on a real Dask `LocalCluster` of worker processes on 127.0.0.1: inputs split into
partitions, each written to its own part with a completion marker; a re-run skips finished
partitions, and a worker killed mid-job costs nothing: each record comes out exactly once."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from faultserver import ARTICLE_HTML
from scraper.cli import cli
from scraper.errors import ClusterError
from scraper.run.batch import BatchOptions
from scraper.run.dask import DaskExecutor, check_address
from scraper.run.partitions import partitions, run_partitions

OPTIONS = BatchOptions(jobs=1, learn_templates=False, page_timeout=30)


@pytest.fixture
def cluster(dask_cluster: DaskExecutor) -> DaskExecutor:
    return dask_cluster


def pages(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        (folder / f"story-{i:03d}.html").write_text(
            ARTICLE_HTML.replace("Rivers return", f"Story {i}: rivers return"))
    (folder / "empty.html").write_text("")  # one failure, recorded like the articles
    return folder


def records(out: Path) -> Counter[str]:
    """How many times each source appears across every finished part."""
    found: Counter[str] = Counter()
    for part in out.glob("part-*.jsonl"):
        for line in part.read_text().splitlines():
            found[json.loads(line)["source"]] += 1
    return found


def test_a_job_writes_each_record_once_in_parts_with_markers(tmp_path: Path, cluster: DaskExecutor) -> None:
    inputs = pages(tmp_path / "in", 10)
    parts = partitions([str(inputs)], 3)
    assert [len(p.items) for p in parts] == [3, 3, 3, 2]
    out = tmp_path / "parts"
    ran = list(run_partitions(parts, OPTIONS, str(out), cluster))
    assert sorted(p.name for p, _, now in ran if now) == sorted(p.name for p in parts)
    total = sum((counts for _, counts, _ in ran), Counter())
    assert total["cleaned"] == 10 and sum(total.values()) == 11
    assert records(out) == {str(p): 1 for p in sorted(inputs.iterdir())}
    assert len(list(out.glob("*.done"))) == 4 and not list(out.glob("*.tmp"))


def test_a_rerun_skips_finished_partitions(tmp_path: Path, cluster: DaskExecutor) -> None:
    inputs = pages(tmp_path / "in", 6)
    parts = partitions([str(inputs)], 2)
    out = tmp_path / "parts"
    list(run_partitions(parts, OPTIONS, str(out), cluster))
    (out / f"{parts[1].name}.done").unlink()  # as if the worker died before its marker
    kept = (out / f"{parts[0].name}.jsonl").stat().st_mtime_ns
    again = list(run_partitions(parts, OPTIONS, str(out), cluster))
    assert [p.name for p, _, now in again if now] == [parts[1].name]
    assert (out / f"{parts[0].name}.jsonl").stat().st_mtime_ns == kept
    assert records(out) == {str(p): 1 for p in sorted(inputs.iterdir())}


def test_the_same_inputs_give_the_same_partitions_and_others_other_names(tmp_path: Path) -> None:
    inputs = pages(tmp_path / "in", 4)
    first = partitions([str(inputs)], 2)
    assert first == partitions([str(inputs)], 2)
    (inputs / "story-000.html").rename(inputs / "story-100.html")
    assert partitions([str(inputs)], 2)[0].name != first[0].name


def test_a_worker_killed_mid_job_costs_nothing(tmp_path: Path, cluster: DaskExecutor) -> None:
    inputs = pages(tmp_path / "in", 24)
    parts = partitions([str(inputs)], 2)
    out = tmp_path / "parts"
    victim = next(iter(cluster.client.run(os.getpid).values()))
    killed_at = None
    results = []
    for item in run_partitions(parts, OPTIONS, str(out), cluster):
        results.append(item)
        if killed_at is None:  # the first partition is done, many are running or waiting
            killed_at = len(list(out.glob("*.done")))
            os.kill(victim, signal.SIGKILL)
    assert killed_at is not None and killed_at < len(parts) // 2
    assert len(results) == len(parts) and all(now for _, _, now in results)
    assert sum((c for _, c, _ in results), Counter())["cleaned"] == 24
    assert records(out) == {str(p): 1 for p in sorted(inputs.iterdir())}
    assert len(list(out.glob("*.done"))) == len(parts)


def test_a_bad_address_is_refused() -> None:
    for address in ("local:0", "local:x", "http://host:80", "tcp://host"):
        with pytest.raises(ClusterError, match="expected local:N"):
            check_address(address)
    check_address("tcp://127.0.0.1:8786")


def test_without_dask_the_error_gives_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ClusterError, match=r"pip install 'scraper\[dask\]'"):
        DaskExecutor("local:1")


def test_the_cli_runs_on_a_local_cluster_and_a_rerun_starts_none(tmp_path: Path) -> None:
    inputs = pages(tmp_path / "in", 5)
    out = tmp_path / "parts"
    first = CliRunner().invoke(cli, ["clean", str(inputs), "--dask", "local:1", "--partition-size", "4",
                                     "-o", str(out), "-q", "--no-learn"])
    assert first.exit_code == 1, first.output  # the empty page failed
    assert "2 partitions: 2 run now, 0 done before" in first.output
    assert "5 cleaned, 1 failed" in first.output
    started = time.monotonic()
    again = CliRunner().invoke(cli, ["clean", str(inputs), "--dask", "local:1", "--partition-size", "4",
                                     "-o", str(out), "-q", "--no-learn"])
    assert "2 partitions: 0 run now, 2 done before" in again.output
    assert "5 cleaned, 1 failed" in again.output
    assert time.monotonic() - started < 5  # no cluster was started for nothing
    assert records(out) == {str(p): 1 for p in sorted(inputs.iterdir())}


@pytest.mark.parametrize("flags, message", [
    (["--dask", "local:0"], "expected local:N"),
    (["--dask", "local:2", "-o", "out.jsonl"], "-o FOLDER"),
])
def test_cluster_usage_errors(tmp_path: Path, flags: list[str], message: str) -> None:
    inputs = pages(tmp_path / "in", 1)
    result = CliRunner().invoke(cli, ["clean", str(inputs), "-o", str(tmp_path / "parts"), *flags])
    assert result.exit_code == 2 and message in result.output


def test_pages_keep_their_time_limit_on_the_cluster(tmp_path: Path, cluster: DaskExecutor) -> None:
    inputs = pages(tmp_path / "in", 2)
    out = tmp_path / "parts"
    hurried = BatchOptions(jobs=1, learn_templates=False, page_timeout=0.001)
    [(_, counts, _)] = run_partitions(partitions([str(inputs)], 5), hurried, str(out), cluster)
    assert counts == {"failed: timed out after 0.001 s": 3}  # the page processes ran, and were held to it


def test_an_argument_every_task_shares_reaches_each_worker_process_once(cluster: DaskExecutor) -> None:
    shared = {"rules": list(range(1000))}
    seen = [r for _, r in cluster.map(lambda obj, i: (os.getpid(), id(obj)), range(12),
                                      lambda i: (shared, i), lambda i, why: why)]
    by_process: dict[int, set[int]] = {}
    for pid, ident in seen:
        by_process.setdefault(pid, set()).add(ident)
    assert len(seen) == 12 and all(len(ids) == 1 for ids in by_process.values())


def test_a_cluster_worker_keeps_its_page_workers_from_one_partition_to_the_next(tmp_path: Path) -> None:
    from scraper.clean.cleaner import Cleaner
    from scraper.run import partitions as module
    inputs = pages(tmp_path / "in", 4)
    parts, cleaner = partitions([str(inputs)], 2), Cleaner()
    for folder in ("parts", "other"):
        (tmp_path / folder).mkdir()
    pids = []
    for part in parts:  # as a cluster worker runs them: in a process other than the job's
        module.clean_partition(part, OPTIONS, str(tmp_path / "parts"), cleaner, origin=os.getpid() + 1)
        pids.append([w.process.pid for w in module._KEPT._executor._kept._workers])
    assert len(pids) == 3 and pids[0] == pids[1] == pids[2] and len(pids[0]) == 1
    module.clean_partition(parts[0], OPTIONS, str(tmp_path / "other"), Cleaner(), origin=os.getpid() + 1)
    assert [w.process.pid for w in module._KEPT._executor._kept._workers] != pids[0]  # another job's
    module._KEPT._executor.close()


def test_kept_page_workers_stop_once_no_partition_comes_for_a_while(tmp_path: Path) -> None:
    from scraper.clean.cleaner import Cleaner
    from scraper.run.batch import Input, run_batch
    from scraper.run.partitions import _KeptWorkers
    inputs = pages(tmp_path / "in", 1)
    kept, cleaner = _KeptWorkers(idle=0.3), Cleaner()
    with kept.executor(cleaner, OPTIONS) as executor:
        assert len(list(run_batch([Input(str(inputs / "story-000.html"))], OPTIONS, cleaner=cleaner,
                                  executor=executor))) == 1
        [worker] = executor._kept._workers
    assert worker.process.is_alive()
    deadline = time.monotonic() + 10
    while worker.process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not worker.process.is_alive()


def test_a_parts_folder_of_another_input_list_is_refused_not_read_twice(tmp_path: Path,
                                                                        cluster: DaskExecutor) -> None:
    from scraper.errors import OutputError
    inputs = pages(tmp_path / "in", 3)
    out = tmp_path / "parts"
    list(run_partitions(partitions([str(inputs)], 2), OPTIONS, str(out), cluster))
    (inputs / "a-new-story.html").write_text(ARTICLE_HTML)  # shifts every partition
    with pytest.raises(OutputError) as info:
        list(run_partitions(partitions([str(inputs)], 2), OPTIONS, str(out), cluster))
    assert "another input list" in info.value.reason
    assert records(out) == {str(p): 1 for p in sorted(inputs.iterdir()) if p.name != "a-new-story.html"}
