"""`scraper clean pages.warc.gz -o out.parquet` against datatrove's pipeline on the same file and
cores, with resiliparse's plain extraction as the speed ceiling; docs/s and word F1 on the truth.

    python benchmarks/make_warc.py ../shared/bench/aeb ../shared/bench/wcxb-dev -o /tmp/pages.warc.gz
    python benchmarks/vs_datatrove.py /tmp/pages.warc.gz ../shared/bench/aeb ../shared/bench/wcxb-dev

Every run is a whole new process (imports, reading the WARC, extraction, writing Parquet/JSONL,
all counted), timed from start to exit, in a rotating order per round. Systems:
- scraper -j N: `scraper clean WARC -o out.parquet -j N -q` (template learning is off for WARC input);
- datatrove N: `WarcReader` -> `Trafilatura(favour_precision=True, timeout=1.0)` -> `ParquetWriter`
  under `LocalPipelineExecutor(tasks=N, workers=N)` on the same file (datatrove shards by file, so
  one file is one task whatever N is); `datatrove 2 shards` runs it on the same pages cut into two
  WARC files, which is how datatrove uses two cores;
- resiliparse: fastwarc + `extract_plain_text(..., main_content=True)` in one process, to JSONL.
The datasets must be the ones (and order) the WARC was built from: the n-th response record is
the n-th page, so each output record is mapped back to its page by its id (WARC-Record-ID).
Word F1 is WCXB's (scraper.evaluation.metrics.word_prf), averaged over all pages; a page with no record
out scores 0. Needs the `bench` extra (`pip install -e '.[bench]'`: datatrove, faust-cchardet,
python-magic, resiliparse). A system that writes no output stops the run with its log.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def run_datatrove(folder: str, out: str, tasks: int) -> None:
    """Child process: datatrove's own WARC -> Trafilatura -> Parquet pipeline."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    LocalPipelineExecutor(
        pipeline=[WarcReader(folder, glob_pattern="*.warc.gz"),
                  Trafilatura(favour_precision=True, timeout=1.0),
                  ParquetWriter(out)],
        tasks=tasks, workers=tasks, logging_dir=out + "-logs").run()


def run_resiliparse(warc: str, out: str) -> None:
    """Child process: fastwarc + resiliparse main-content plain text, one process, to JSONL."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    with open(warc, "rb") as stream, open(out, "w", encoding="utf-8") as sink:
        for record in ArchiveIterator(stream, record_types=WarcRecordType.response):
            body = record.reader.read()
            text = extract_plain_text(bytes_to_str(body, detect_encoding(body)), main_content=True)
            sink.write(json.dumps({"id": record.record_id, "text": text}) + "\n")


def record_ids(warc: str) -> list[str]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with open(warc, "rb") as stream:
        return [_key(r.record_id) for r in ArchiveIterator(stream, record_types=WarcRecordType.response)]


def shard(warc: str, folder: Path, datasets: list[str], parts: int) -> None:
    """The same pages cut into `parts` WARC files (new record ids, read back from the files in
    order, so each record still maps to its page)."""
    import make_warc

    items = [page for d in datasets for page in make_warc.pages(Path(d))]
    size = -(-len(items) // parts)
    for i in range(parts):
        with open(folder / f"part-{i}.warc.gz", "wb") as out:
            make_warc.write(out, items[i * size:(i + 1) * size], 1)


def _key(record_id: str) -> str:
    # datatrove keeps WARC-Record-ID as written (<urn:uuid:...>); scraper drops the angle brackets.
    return record_id.strip().strip("<>")


def outputs(path: Path) -> dict[str, str]:
    """Record id -> text from a Parquet file/folder or a JSONL file."""
    if path.suffix == ".jsonl":
        return {_key(r["id"]): r["text"] or "" for r in map(json.loads, path.open(encoding="utf-8"))}
    import pyarrow.parquet as pq

    files = [path] if path.is_file() else sorted(path.rglob("*.parquet"))
    found: dict[str, str] = {}
    for f in files:
        table = pq.read_table(f, columns=["id", "text"]).to_pylist()
        found.update({_key(r["id"]): r["text"] or "" for r in table})
    return found


def truths(datasets: list[str]) -> list[tuple[str, str, str]]:
    """(dataset name, page id, truth text) in the order make_warc writes the pages."""
    from scraper.evaluation.runner import load_dataset

    rows = []
    for d in datasets:
        found = {s.id: s.truth for s in load_dataset(d)}
        for path in sorted(Path(d, "html").glob("*.html.gz")):
            page_id = path.name.removesuffix(".html.gz")
            rows.append((Path(d).name, page_id, found.get(page_id)))
    return rows


def score(texts: list[str | None], pages: list[tuple[str, str, str]]) -> dict[str, float]:
    from scraper.evaluation import metrics

    by: dict[str, list[float]] = {}
    for text, (name, _, truth) in zip(texts, pages):
        if truth is None:
            continue
        f1 = metrics.word_prf(text or "", truth).f1
        by.setdefault(name, []).append(f1)
        by.setdefault("all", []).append(f1)
    return {k: sum(v) / len(v) for k, v in by.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warc")
    parser.add_argument("datasets", nargs="+", help="the folders the WARC was built from, same order")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/vs-datatrove")
    parser.add_argument("--only", default="", help="comma-separated system names to run")
    args = parser.parse_args()
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    (work / "one").mkdir(parents=True)
    (work / "two").mkdir()
    warc = str(work / "one" / "pages.warc.gz")
    shutil.copyfile(args.warc, warc)
    shard(args.warc, work / "two", args.datasets, 2)
    py, scraper = sys.executable, str(Path(sys.executable).with_name("scraper"))
    me = str(Path(__file__).resolve())
    systems = {
        "scraper -j 2": (lambda o: [scraper, "clean", warc, "-o", o + ".parquet", "-j", "2", "-q"], ".parquet"),
        "scraper -j 1": (lambda o: [scraper, "clean", warc, "-o", o + ".parquet", "-j", "1", "-q"], ".parquet"),
        "datatrove 2": (lambda o: [py, me, "--child-datatrove", str(work / "one"), o, "2"], ""),
        "datatrove 1": (lambda o: [py, me, "--child-datatrove", str(work / "one"), o, "1"], ""),
        "datatrove 2 shards": (lambda o: [py, me, "--child-datatrove", str(work / "two"), o, "2"], ""),
        "resiliparse 1": (lambda o: [py, me, "--child-resiliparse", warc, o + ".jsonl"], ".jsonl"),
    }
    if args.only:
        systems = {k: v for k, v in systems.items() if k in args.only.split(",")}
    ids = record_ids(warc)
    shard_ids = [i for f in sorted((work / "two").glob("*.warc.gz")) for i in record_ids(str(f))]
    print(f"{len(ids)} pages; {os.cpu_count()} cores; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
          flush=True)
    times: dict[str, list[float]] = {k: [] for k in systems}
    last: dict[str, Path] = {}
    names = list(systems)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            make, suffix = systems[name]
            out = str(work / "out" / f"{name.replace(' ', '_')}-{r}")
            Path(out).parent.mkdir(exist_ok=True)
            with open(out + ".log", "w") as log:
                started = time.perf_counter()
                code = subprocess.run(make(out), stdout=log, stderr=log).returncode
                seconds = time.perf_counter() - started
            if not Path(out + suffix).exists():  # a broken system must not pass for a fast one
                tail = Path(out + ".log").read_text(errors="replace").splitlines()[-5:]
                sys.exit(f"{name} wrote no output (exit {code}):\n" + "\n".join(tail))
            times[name].append(seconds)
            last[name] = Path(out + suffix)
            print(f"  round {r + 1}: {name:<19} {seconds:6.1f} s {len(ids) / seconds:6.1f} docs/s  exit {code}  "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
    pages = truths(args.datasets)
    print(f"\nload average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| system | docs/s best | docs/s median | records out | non-empty | word F1 all | aeb | wcxb-dev |")
    print("|---|---|---|---|---|---|---|---|")
    for name in systems:
        found = outputs(last[name])
        order = shard_ids if "shards" in name else ids
        texts = [found.get(i) for i in order]
        f1 = score(texts, pages)
        best, median = len(ids) / min(times[name]), len(ids) / statistics.median(times[name])
        per = " | ".join(f"{f1.get(Path(d).name, 0):.3f}" for d in args.datasets)
        print(f"| {name} | {best:.1f} | {median:.1f} | {len(found)} | {sum(1 for t in found.values() if t.strip())} "
              f"| {f1['all']:.3f} | {per} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-datatrove":
        run_datatrove(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-resiliparse":
        run_resiliparse(sys.argv[2], sys.argv[3])
    else:
        main()
