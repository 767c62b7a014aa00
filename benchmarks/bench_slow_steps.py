"""Which steps of a page take more than 1 s on the bundled data (issue 22: progress feedback on anything over 1 s).
A script, not a test: prints figures and exits 0.

    python -m benchmarks.bench_slow_steps [--pages explore,summary,...] [--outcomes]

1. Each page opened once through Streamlit's AppTest on an empty process-wide memo (:func:`dashboard.memo.clear`
   first: what the first visitor of a view waits for): the page's script time, and every step it computes through
   :mod:`dashboard.memo` (``memo.call`` analyses, ``memo.chart`` chart builds, selections, outcome tables), slowest
   first. Steps of 1 s or more are marked ``>1s``.
2. With ``--outcomes``: the selection model, PET-PEESE and trim-and-fill of every bundled outcome (real rows, as the
   Small-study effects page by default), and the Summary page's two slow calls.

Wall-clock times (``time.perf_counter``) of one run on a machine that may be shared: orders of magnitude.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["explore", "subgroups", "sensitivity", "small-study-effects", "risk-of-bias", "multiverse", "reproduce",
         "data", "about", "summary"]


def _timed_memo(records: list):
    """Wrap dashboard.memo._cached so every miss records (step name, seconds)."""
    from dashboard import memo

    original = memo._cached

    def timed(cache, fn, *args, **kwargs):
        name = fn.__qualname__
        if fn is memo._built and args:  # a chart: name it by its builder
            name = f"chart {getattr(args[0], '__qualname__', args[0])}"
        elif args and callable(args[0]) and fn.__qualname__ == "call":
            name = args[0].__qualname__

        def run(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                records.append((name, time.perf_counter() - t))

        run.__module__, run.__qualname__ = fn.__module__, fn.__qualname__  # the same cache key
        return original(cache, run, *args, **kwargs)

    memo._cached = timed


def pages(names: list[str]) -> None:
    from streamlit.testing.v1 import AppTest

    from dashboard import memo

    records: list = []
    _timed_memo(records)
    print("page (cold memo)          script   steps of 100 ms or more (slowest first)")
    for page in names:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()  # the app's first run: Explore (data loading, the sidebar)
        memo.clear()
        records.clear()
        t = time.perf_counter()
        if page == "explore":
            at.run()
        else:
            at.switch_page(str(ROOT / "pages" / f"{page}.py")).run()
        total = time.perf_counter() - t
        bad = " EXCEPTION" if at.exception else ""
        steps = sorted(records, key=lambda r: -r[1])
        shown = ", ".join(f"{n} {s:.2f} s{' >1s' if s >= 1 else ''}" for n, s in steps if s >= 0.1) or "-"
        print(f"{page:24s} {total:6.2f} s   {shown}{bad}")


def outcomes() -> None:
    from peerstats.data import load_evidence
    from peerstats.meta import trim_and_fill
    from peerstats.select import Filters, select
    from peerstats.selmodel import pet_peese, selection_model
    from peerstats.sof import credible_splits, summary_of_findings

    ev = load_evidence()
    print("\noutcome (real rows)              k   selection model   PET-PEESE   trim-and-fill")
    for outcome in ev.effects["outcome"].astype(str).unique():
        sel = select(ev, Filters(), outcome)
        real = sel.effects["provenance"].astype(str).ne("reconstructed").to_numpy()
        yi, vi = sel.yi[real], sel.vi[real]
        if len(yi) < 3:
            print(f"{outcome:32s} {len(yi):2d}   (fewer than 3 rows)")
            continue
        cells = []
        for fn in (lambda: selection_model(yi, vi, steps=(0.025,)), lambda: pet_peese(yi, vi),
                   lambda: trim_and_fill(yi, vi, method="DL")):
            t = time.perf_counter()
            try:
                fn()
                cells.append(f"{time.perf_counter() - t:8.3f} s")
            except ValueError:
                cells.append("  not fitted")
        print(f"{outcome:32s} {len(yi):2d}   {cells[0]:>15s}   {cells[1]:>9s}   {cells[2]:>11s}")
    t = time.perf_counter()
    credible_splits(ev, Filters(), "quality", None, "DL", "z", examined=("quality",), answers={})
    t1 = time.perf_counter()
    summary_of_findings(ev, Filters(), "DL", "z", imputation=True)
    t2 = time.perf_counter()
    print(f"\nSummary: credible_splits {t1 - t:.2f} s; summary_of_findings (with the imputation ranges) {t2 - t1:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--outcomes", action="store_true")
    args = ap.parse_args()
    os.chdir(ROOT)
    pages([p for p in args.pages.split(",") if p])
    if args.outcomes:
        outcomes()


if __name__ == "__main__":
    main()
