"""Benchmark of the decision layer (a script, not a test): prints median timings and exits 0.

    python -m benchmarks.bench_decision            # ~1 min
    python -m benchmarks.bench_decision --quick    # fewer repetitions

What is measured (issue 10's target in brackets):
1. ``summary_of_findings`` on the bundled data, default filters and "exclude poor quality": everything the Summary of
   findings page computes per rerun (filter, pool 20 outcomes, grade each, NNT) [page rerun < 150 ms].
2. A full AppTest rerun of the Summary of findings page after changing the MID slider (Streamlit's script run,
   sidebar, table and downloads; the cached data loader is warm).
3. ``prob_benefit`` (Bayesian quadrature, both priors), ``meta_regression`` (REML, k = 17) and ``grade_outcome``.

Medians of wall-clock time (``time.perf_counter``) on a machine that may be shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from peerstats import meta_regression, pool
from peerstats.benefit import HALF_NORMAL_05, RHODES_MENTAL_HEALTH_NONPHARM, prob_benefit
from peerstats.data import load_evidence
from peerstats.grade import grade_outcome
from peerstats.select import Filters, exclude_poor, select
from peerstats.sof import summary_of_findings


def median_ms(fn, reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    reps = 5 if ap.parse_args().quick else 25
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ev = load_evidence()
    rows = [
        ("summary_of_findings, default filters", lambda: summary_of_findings(ev, Filters())),
        ("summary_of_findings, exclude poor", lambda: summary_of_findings(ev, exclude_poor(Filters()))),
    ]
    sel = select(ev, Filters(), "personal_recovery")
    res = pool(sel.yi, sel.vi)
    rows += [
        ("prob_benefit, half-normal prior (k = 17)", lambda: prob_benefit(sel.yi, sel.vi, 0.2)),
        ("prob_benefit, Rhodes log-t prior (k = 17)",
         lambda: prob_benefit(sel.yi, sel.vi, 0.2, tau_prior=RHODES_MENTAL_HEALTH_NONPHARM)),
        ("meta_regression REML, year (k = 17)",
         lambda: meta_regression(sel.yi, sel.vi, sel.effects["year"].to_numpy(float), method="REML")),
        ("grade_outcome (k = 17)", lambda: grade_outcome(sel.effects, res, outcome="personal recovery")),
    ]
    assert HALF_NORMAL_05  # the default prior, named for the reader
    for name, fn in rows:
        print(f"{name:<48} {median_ms(fn, reps):8.1f} ms")

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/summary.py").run()
    values = [0.2, 0.3]

    def rerun():
        values.reverse()
        at.slider(key="sof_mid").set_value(values[0]).run()

    print(f"{'Summary of findings page rerun (AppTest, MID slider)':<48} {median_ms(rerun, max(3, reps // 5)):8.1f} ms")


if __name__ == "__main__":
    main()
