"""Benchmark of the robustness lab (a script, not a test): prints figures and exits 0.

    python -m benchmarks.bench_robustness [--quick]

1. The multiverse of personal recovery on the bundled data: ``specifications(evidence, "personal_recovery")``,
   specifications per second, and the cost per specification against one ``select()`` + ``pool()`` call on a sample
   of the same specifications  [batch cost per specification <= 1/5 of one select + pool, i.e. ratio >= 5].
2. The next-trial power: the FE closed form, and the seeded DL (vectorised) and REML (refit per draw) simulations
   with 2,000 draws on the bundled personal-recovery rows.
3. influence (DL, REML), pet_peese and selection_model (3PSM) on the same rows.

Timings are medians of wall-clock time (``time.perf_counter``) on a machine that may be shared: orders of magnitude.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from peerstats import (
    influence,
    pet_peese,
    pool,
    power_next_trial,
    selection_model,
    specifications,
)
from peerstats.data import load_evidence
from peerstats.select import Filters, select


def median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    reps = 3 if ap.parse_args().quick else 7
    ev = load_evidence()
    out = "personal_recovery"

    t_batch = median_time(lambda: specifications(ev, out), reps)
    specs = specifications(ev, out)
    n = len(specs)
    rng = np.random.default_rng(0)
    sample = specs.iloc[rng.choice(n, size=min(200, n), replace=False)]

    def one_by_one():
        for row in sample.itertuples(index=False):
            s = select(ev, row.filters, out)
            pool(s.yi, s.vi, method=row.method, test=row.test)

    t_single = median_time(one_by_one, max(1, reps // 2)) / len(sample)
    per_spec = t_batch / n
    print(f"multiverse ({out}): {n} specifications in {t_batch * 1e3:.1f} ms = {n / t_batch:,.0f} specs/s "
          f"({per_spec * 1e6:.1f} us per spec)")
    print(f"one select() + pool(): {t_single * 1e6:.1f} us per spec (median over {len(sample)} sampled specs)")
    print(f"ratio (select+pool per spec / batch per spec): {t_single / per_spec:.1f}x  [target >= 5x]")

    sel = select(ev, Filters(), out)
    est = pool(sel.yi, sel.vi).estimate
    for method, label in (("FE", "closed form"), ("DL", "2,000 draws, vectorised"), ("REML", "2,000 draws, refit")):
        r = max(1, reps // (3 if method == "REML" else 1))
        t = median_time(lambda m=method: power_next_trial(sel.yi, sel.vi, 100, est, method=m, n_sim=2000), r)
        p = power_next_trial(sel.yi, sel.vi, 100, est, method=method, n_sim=2000)
        print(f"power_next_trial {method:4s} ({label}): {t * 1e3:8.2f} ms   power {p.power:.3f} +/- {p.mc_se:.3f}")

    for name, fn in (("influence DL", lambda: influence(sel.yi, sel.vi, "DL")),
                     ("influence REML", lambda: influence(sel.yi, sel.vi, "REML")),
                     ("pet_peese", lambda: pet_peese(sel.yi, sel.vi)),
                     ("selection_model 3PSM", lambda: selection_model(sel.yi, sel.vi))):
        print(f"{name:22s} k = {sel.k}: {median_time(fn, reps) * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
