"""Time the two WARC readers on the same WARC.gz: every response record's id, URI, date,
Content-Type and payload read, as `scraper.sources.warc` needs them.

    python benchmarks/make_warc.py ../shared/bench/aeb ../shared/bench/wcxb-dev -o pages.warc.gz
    python benchmarks/warc_readers.py pages.warc.gz --reps 3

Also reads a copy cut off in the middle of a record, and a small uncompressed WARC with a
garbled record between good ones, to show what each reader does there.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def with_warcio(path: Path) -> tuple[int, int]:
    from warcio.archiveiterator import ArchiveIterator
    records = size = 0
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                continue
            headers = record.rec_headers
            _ = (headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Target-URI"),
                 headers.get_header("WARC-Date"), record.http_headers.get_header("Content-Type"))
            size += len(record.content_stream().read())
            records += 1
    return records, size


def with_fastwarc(path: Path) -> tuple[int, int]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType
    records = size = 0
    # fastwarc 2 detects the gzip framing itself (stream_detect).
    for record in ArchiveIterator(open(path, "rb"), record_types=WarcRecordType.response, parse_http=True):
        headers = record.headers
        _ = (headers.get("WARC-Record-ID"), headers.get("WARC-Target-URI"), headers.get("WARC-Date"),
             record.http_headers.get("Content-Type"))
        size += len(record.reader.read())
        records += 1
    return records, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warc", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    for name, read in (("warcio", with_warcio), ("fastwarc", with_fastwarc)):
        times = []
        for _ in range(args.reps):
            start = time.perf_counter()
            records, size = read(args.warc)
            times.append(time.perf_counter() - start)
        best = min(times)
        print(f"{name:9s} {records} responses, {size / 2**20:.1f} MB payload: best {best:.3f} s "
              f"({records / best:.0f} records/s, {size / 2**20 / best:.0f} MB/s)")
    cut = args.warc.with_name("truncated-" + args.warc.name)
    data = args.warc.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    for name, read in (("warcio", with_warcio), ("fastwarc", with_fastwarc)):
        try:
            records, _ = read(cut)
            print(f"{name:9s} truncated copy: {records} responses, then stopped without an error")
        except Exception as exc:  # noqa: BLE001  (what each reader raises is the finding)
            print(f"{name:9s} truncated copy: {type(exc).__name__}: {exc}")
    cut.unlink()
    # A garbled record between good ones, in an uncompressed WARC: who reads on past it?
    garbled = args.warc.with_name("garbled-" + args.warc.name.removesuffix(".gz"))
    garbled.write_bytes(_records(3, b"") + b"WARC/1.0\r\nbroken header\r\n\r\n" + _records(3, b"after-"))
    for name, read in (("warcio", with_warcio), ("fastwarc", with_fastwarc)):
        try:
            records, _ = read(garbled)
            print(f"{name:9s} garbled record between 3 and 3 good responses: read {records}")
        except Exception as exc:  # noqa: BLE001
            print(f"{name:9s} garbled record: {type(exc).__name__}: {exc}")
    garbled.unlink()
    return 0


def _records(n: int, prefix: bytes) -> bytes:
    import io
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    for i in range(n):
        body = b"<p>page %d</p>" % i
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"https://x.invalid/{prefix.decode()}{i}", "response",
                                                      payload=io.BytesIO(body), length=len(body), http_headers=headers))
    return out.getvalue()


if __name__ == "__main__":
    raise SystemExit(main())
