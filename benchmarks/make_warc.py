"""Build a WARC.gz from saved benchmark pages, as a crawler would have written it.

Each page becomes a request record, a response record (HTTP headers with `text/html; charset=`
as the page was served) and a metadata record, after one warcinfo record, so a reader meets the
record types of a Common Crawl file (responses carry `WARC-Identified-Payload-Type: text/html`,
as Common Crawl's do). The data is not part of the repository; rebuild it with:

    python benchmarks/make_warc.py ../shared/bench/aeb ../shared/bench/wcxb-dev -o pages.warc.gz

`--repeat N` writes every page N times (new record ids) for a larger file.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


def _urls(dataset: Path) -> dict[str, str]:
    """Page id -> URL from a dataset's ground truth (aeb: one JSON file; wcxb: one per page)."""
    single = dataset / "ground-truth.json"
    if single.is_file():
        return {k: v.get("url") or "" for k, v in json.loads(single.read_text()).items()}
    urls = {}
    for path in sorted((dataset / "ground-truth").glob("*.json")):
        urls[path.stem] = json.loads(path.read_text()).get("url") or ""
    return urls


def pages(dataset: Path) -> list[tuple[str, bytes]]:
    """(url, html bytes) of every page of a dataset, in id order."""
    urls = _urls(dataset)
    found = []
    for path in sorted((dataset / "html").glob("*.html.gz")):
        page_id = path.name.removesuffix(".html.gz")
        found.append((urls.get(page_id) or f"https://bench.invalid/{page_id}", gzip.decompress(path.read_bytes())))
    return found


def write(out: io.BufferedIOBase, items: list[tuple[str, bytes]], repeat: int) -> int:
    writer = WARCWriter(out, gzip=True)
    writer.write_record(writer.create_warcinfo_record("pages.warc.gz", {"software": "scraper benchmarks/make_warc.py"}))
    count = 0
    for _ in range(repeat):
        for url, html in items:
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", url.split("/")[2] if "//" in url else "x")],
                                       protocol="HTTP/1.1", is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=request))
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                  ("Content-Length", str(len(html)))], protocol="HTTP/1.1")
            # Common Crawl files carry the sniffed type; datatrove's WarcReader reads it (else libmagic).
            response = writer.create_warc_record(url, "response", payload=io.BytesIO(html),
                                                 length=len(html), http_headers=headers)
            response.rec_headers.add_header("WARC-Identified-Payload-Type", "text/html")
            writer.write_record(response)
            meta = b"fetchTimeMs: 120\n"
            writer.write_record(writer.create_warc_record(url, "metadata", payload=io.BytesIO(meta),
                                                          length=len(meta), warc_content_type="application/warc-fields"))
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="+", type=Path, help="benchmark folders (aeb, wcxb-dev layouts)")
    parser.add_argument("-o", "--output", default="pages.warc.gz", help="WARC.gz to write")
    parser.add_argument("--repeat", type=int, default=1, help="write every page this many times")
    args = parser.parse_args(argv)
    items = [page for dataset in args.datasets for page in pages(dataset)]
    with open(args.output, "wb") as out:
        count = write(out, items, args.repeat)
    print(f"wrote {count} responses ({len(items)} pages x {args.repeat}) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
