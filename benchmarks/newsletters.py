"""Build a WCXB-layout dataset from the newsletter fixtures, for `scraper eval`.

Each message of fixtures/newsletters/ that has keep/drop phrases in fixtures/expectations.toml
becomes `html/<id>.eml` (the message as stored) and `ground-truth/<id>.json`: the keep phrases
are the main content and the `with` snippets, the drop phrases the `without` snippets, and the
title/author come from the test's expectations where known. Usage, from the repository root:

    python benchmarks/newsletters.py /tmp/newsletter-bench && scraper eval /tmp/newsletter-bench
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

from scraper.run.batch import find_inputs, read_input

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def build(out: Path) -> int:
    """Write the dataset into `out`; return the number of messages."""
    expectations = tomllib.loads((FIXTURES / "expectations.toml").read_text(encoding="utf-8"))
    (out / "html").mkdir(parents=True, exist_ok=True)
    (out / "ground-truth").mkdir(parents=True, exist_ok=True)
    count = 0
    for item in find_inputs([str(FIXTURES / "newsletters")]):
        name = str(Path(item.source).relative_to(FIXTURES))
        spec = expectations.get(name)
        if spec is None:
            continue  # the broken message of inbox.mbox
        page_id = re.sub(r"[^A-Za-z0-9]+", "-", name.removeprefix("newsletters/")).strip("-")
        (out / "html" / f"{page_id}.eml").write_bytes(read_input(item, 20 * 2**20))
        truth = {"main_content": "\n\n".join(spec["keep"]), "with": spec["keep"], "without": spec["drop"]}
        (out / "ground-truth" / f"{page_id}.json").write_text(
            json.dumps({"url": spec.get("url", ""), "ground_truth": truth}, ensure_ascii=False), encoding="utf-8")
        count += 1
    return count


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/newsletters.py OUTPUT_FOLDER")
    print(f"{build(Path(sys.argv[1]))} messages written to {sys.argv[1]}", file=sys.stderr)
