"""Per-page cost of `scraper` against trafilatura defaults, paired in one process.

    python benchmarks/per_page.py ../shared/bench/aeb --rounds 5
    python benchmarks/per_page.py ../shared/bench/wcxb-dev --rounds 3 --profile prof.out

Both systems are called exactly as `scraper eval` calls them (`scraper.evaluation.runner.default_systems`:
`clean_html(bytes, url)` and `trafilatura.extract(bytes, url=url)`), on the same gunzipped
bytes, alternating on every page (the order flips each page and each round) so that load on a
shared machine falls on both alike. Each call is timed in CPU time (`time.process_time`, what
this process itself spent: steadier than wall time on a shared machine) and in wall time. Each
page's time is the median over rounds; the headline ratio is scraper's sum of per-page medians
over trafilatura's (the per-round ratios of sums and the median of per-page ratios are shown
too). `--profile` then runs scraper alone once more
over the pages under cProfile and prints where its time goes, by stage.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraper.evaluation.runner import default_systems, load_dataset  # noqa: E402

# Functions whose cumulative time is a stage of `clean_html` (file suffix, function name).
_STAGES = (
    ("parse (ours)", "scraper/clean/parse.py", "parse_html"),
    ("metadata", "scraper/clean/metadata.py", "extract_metadata"),
    ("pruning", "scraper/clean/prune.py", "prune"),
    ("extraction (trafilatura)", "scraper/clean/extract.py", "_run"),
    ("never-lose guard", "scraper/clean/cleaner.py", "_never_lose"),
    ("text filters", "scraper/clean/filters.py", "filter_lines"),
    ("paragraph_chars", "scraper/clean/extract.py", "paragraph_chars"),
    ("decode", "scraper/clean/decode.py", "decode_bytes"),
)


def _timed(call, html: bytes, url: str) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        call(html, url)
    except Exception:  # a page either system refuses still costs what it cost
        pass
    return time.process_time() - cpu, time.perf_counter() - wall


def _stages(stats: pstats.Stats) -> list[tuple[str, float, int]]:
    found = []
    for label, suffix, name in _STAGES:
        cum, calls = 0.0, 0
        for (path, _, func), (_, ncalls, _, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
            if func == name and path.endswith(suffix):
                cum, calls = cum + ct, calls + ncalls
        found.append((label, cum, calls))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--profile", metavar="PATH", help="profile scraper alone afterwards; save the stats here")
    parser.add_argument("--top", type=int, default=25, help="functions listed by own time in the profile")
    args = parser.parse_args()

    pages = [(s.html, s.url) for s in load_dataset(args.dataset) if s.error is None]
    if args.limit is not None:
        pages = pages[: args.limit]
    systems = default_systems()
    ours, theirs = systems["scraper"].extract, systems["trafilatura"].extract
    for call in (ours, theirs):  # warm-up: imports, compiled rules, trafilatura's caches
        _timed(call, *pages[0])

    # times[clock][system][page] = one time per round; clock 0 is CPU time, 1 wall time.
    times = [{n: [[] for _ in pages] for n in ("scraper", "trafilatura")} for _ in range(2)]
    rounds: list[tuple[float, float]] = []
    for r in range(args.rounds):
        sums = [{"scraper": 0.0, "trafilatura": 0.0} for _ in range(2)]
        for i, (html, url) in enumerate(pages):
            order = [("scraper", ours), ("trafilatura", theirs)]
            if (i + r) % 2:
                order.reverse()
            for name, call in order:
                for clock, t in enumerate(_timed(call, html, url)):
                    times[clock][name][i].append(t)
                    sums[clock][name] += t
        rounds.append(tuple(s["scraper"] / s["trafilatura"] for s in sums))  # type: ignore[arg-type]
        print(f"round {r + 1}: CPU scraper {sums[0]['scraper']:.2f} s, trafilatura {sums[0]['trafilatura']:.2f} s, "
              f"ratio {rounds[-1][0]:.3f} (wall {rounds[-1][1]:.3f})", flush=True)

    print(f"\n{args.dataset}: {len(pages)} pages, {args.rounds} rounds, one process")
    for clock, label in enumerate(("CPU", "wall")):
        med = {n: [statistics.median(t) for t in ts] for n, ts in times[clock].items()}
        total = {n: sum(v) for n, v in med.items()}
        per_page = [a / b for a, b in zip(med["scraper"], med["trafilatura"]) if b > 0]
        print(f"{label:4s} ms/page (sum of per-page medians / pages): scraper "
              f"{1000 * total['scraper'] / len(pages):.1f}, trafilatura {1000 * total['trafilatura'] / len(pages):.1f}; "
              f"ratio of sums {total['scraper'] / total['trafilatura']:.3f}, "
              f"median of per-page ratios {statistics.median(per_page):.3f}, "
              f"per round {' '.join(f'{x[clock]:.3f}' for x in rounds)}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for html, url in pages:
            _timed(ours, html, url)
        profiler.disable()
        profiler.dump_stats(args.profile)
        stats = pstats.Stats(profiler)
        whole = sum(ct for (path, _, func), (_, _, _, ct, _) in stats.stats.items()  # type: ignore[attr-defined]
                    if func == "_scraper")
        print(f"\nprofile of scraper alone ({whole:.2f} s under cProfile):")
        for label, cum, calls in _stages(stats):
            print(f"  {label:28s} {cum:7.2f} s  {100 * cum / whole:5.1f} %  ({calls} calls)")
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
