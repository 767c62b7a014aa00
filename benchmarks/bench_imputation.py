"""Benchmark of the imputation range (a script, not a test): prints median milliseconds per view and exits 0.

    python benchmarks/bench_imputation.py            # 7 repetitions per row
    python benchmarks/bench_imputation.py --quick    # 3

What is measured: :func:`peerstats.imputation.for_view` (select the view, enumerate or sample the assignments of each
cell's imputed values, pool every assignment) on the bundled data, computed afresh each time (no memo), for

* the default view (every trial, personal recovery): 7 reconstructed rows of one cell, all in view, 7! = 5,040
  assignments pooled, under each estimator (DL is the app's default; REML and PM solve tau2 for every assignment);
* fair/good quality only (the issue's example: 2 of the cell's 7 trials in view, 42 assignments);
* every outcome of the default view in turn (what a Summary-of-findings table would ask for);
* a synthetic cell of 9 reconstructed trials (9! > 5,040: the fixed-seed sample of 1,000).

And the cost once memoised (``dashboard.context.imputation_for`` through ``dashboard.memo``), which is what a rerun of a
view anyone has seen pays. Wall-clock medians (``time.perf_counter``) on a machine that may be shared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _ms(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - t))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    reps = 3 if parser.parse_args().quick else 7

    from peerstats.data import load_evidence
    from peerstats.imputation import for_view, imputation_range
    from peerstats.select import Filters, outcome_labels

    ev = load_evidence()
    rows = []
    for method in ("DL", "FE", "REML", "PM"):
        res = for_view(ev, Filters(), "personal_recovery", method=method)
        rows.append((f"default view, personal recovery, {method}", res.n_assignments,
                     _ms(lambda m=method: for_view(ev, Filters(), "personal_recovery", method=m), reps)))
    fair = Filters(quality=("good", "fair"))
    res = for_view(ev, fair, "personal_recovery")
    rows.append(("fair/good quality, personal recovery, DL", res.n_assignments,
                 _ms(lambda: for_view(ev, fair, "personal_recovery"), reps)))
    outcomes = list(outcome_labels(ev.effects))
    rows.append((f"every outcome of the default view ({len(outcomes)}), DL", None,
                 _ms(lambda: [for_view(ev, Filters(), o) for o in outcomes], reps)))

    rng = np.random.default_rng(5)
    synth = pd.DataFrame({"trial_id": [f"t{i}" for i in range(15)], "yi": rng.normal(0.2, 0.3, 15),
                          "n_peer": rng.integers(20, 200, 15), "n_control": rng.integers(20, 200, 15),
                          "provenance": ["reported"] * 6 + ["reconstructed"] * 9,
                          "target_cell": [None] * 6 + ["all:x"] * 9})
    synth["vi"] = 1 / synth.n_peer + 1 / synth.n_control + synth.yi**2 / (2 * (synth.n_peer + synth.n_control))
    res = imputation_range(synth)
    rows.append(("synthetic cell of 9 (sample), DL", res.n_assignments, _ms(lambda: imputation_range(synth), reps)))

    from dashboard import memo
    from dashboard.context import imputation_for

    memo.clear()
    imputation_for(ev, Filters(), "personal_recovery", "DL", "z")
    rows.append(("memoised default view (a rerun), DL", None,
                 _ms(lambda: imputation_for(ev, Filters(), "personal_recovery", "DL", "z"), max(reps, 20))))

    width = max(len(r[0]) for r in rows)
    print(f"{'view':<{width}}  {'assignments':>11}  {'median ms':>9}")
    for name, n, ms in rows:
        print(f"{name:<{width}}  {'' if n is None else f'{n:,}':>11}  {ms:9.1f}")


if __name__ == "__main__":
    main()
