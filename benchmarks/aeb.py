"""Score `scraper` against plain trafilatura (defaults and precision mode) on a saved benchmark.

    python benchmarks/aeb.py ../shared/bench/aeb [--limit N] [--per-page out.jsonl]

Works on both dataset layouts (aeb and wcxb); see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Let the script run from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scraper.evaluation.runner import EvalOptions, default_systems, evaluate, render_markdown  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Run the side-by-side evaluation and print the table, F1 summary and speed ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="benchmark folder, e.g. ../shared/bench/aeb")
    parser.add_argument("--limit", type=int, help="only the first N pages (in id order)")
    parser.add_argument("--per-page", type=Path, help="write per-page rows (.jsonl or .csv)")
    parser.add_argument("--worst", type=int, default=10,
                        help="list the N pages where scraper trails trafilatura most")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    args = parser.parse_args(argv)

    systems = default_systems()
    if "scraper" not in systems:
        print("note: scraper.clean_html is not importable; running trafilatura only",
              file=sys.stderr)

    def progress(index: int, sample: object) -> None:
        if (index + 1) % 25 == 0:
            print(f"  {index + 1} pages", file=sys.stderr, flush=True)

    options = EvalOptions(limit=args.limit, bootstrap=args.bootstrap,
                          per_page_path=args.per_page)
    report = evaluate(args.dataset, systems, options, on_page=progress)
    compare = ("scraper", "trafilatura") if "scraper" in systems else None
    print(render_markdown(report, compare=compare, worst=args.worst))
    for s in report.systems:
        accuracy = f"  accuracy {s.accuracy:.3f}" if s.accuracy is not None else ""
        print(f"{s.name:<22} F1 {s.f1:.3f} ± {s.f1_std:.3f}{accuracy}"
              f"  {s.ms_mean:.1f} ms/page (median {s.ms_median:.1f})  failures {s.failures}")
    if compare:
        ratio = report.summary("scraper").ms_mean / report.summary("trafilatura").ms_mean
        print(f"scraper / trafilatura ms/page: {ratio:.2f}×")
    if args.per_page:
        print(f"per-page rows written to {args.per_page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
