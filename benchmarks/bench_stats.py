"""Benchmark of the statistics engine (a script, not a test): prints a table of median timings and exits 0.

    python -m benchmarks.bench_stats            # full run (~2 min, mostly metafor; R part only when Rscript exists)
    python -m benchmarks.bench_stats --quick    # fewer repetitions
    python -m benchmarks.bench_stats --no-r     # skip the R metafor comparison

What is measured (issue 2's targets in brackets):
1. One full analysis of 49 studies: ``pool`` with FE, DL, REML and PM, ``leave_one_out`` (DL), ``egger_test`` and
   ``trim_and_fill`` (DL)  [< 5 ms].
2. ``pool`` with DL and REML at k = 2,000 and k = 100,000  [DL < 50 ms and REML < 500 ms at 100,000], and the peak
   memory of one such call (tracemalloc, which sees numpy's buffers), per study  [linear in k: the same bytes per
   study at both sizes].
3. The same k = 2,000 data pooled by R metafor's ``rma()`` (DL, REML) in the same run, timed inside R  [engine at
   least 20 times faster].

Each ``pool`` call does everything ``PoolResult`` holds: estimate, tests, Q, I2/H2, prediction interval and the
Q-profile confidence interval of tau2 (two root searches); metafor's ``rma()`` alone computes less (no ``confint``),
so the speed-up against it is conservative. A second R row adds ``predict()`` and ``confint()`` for a like-for-like
comparison. Timings are medians over repetitions of wall-clock time (``time.perf_counter`` / R's ``Sys.time``) on a
machine that may be shared: read them as orders of magnitude.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from peerstats import egger_test, leave_one_out, pool, trim_and_fill

SEED = 20231124


def simulate(k: int, tau2: float = 0.05, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """k studies like the review's: vi log-uniform in [0.01, 0.2], yi = 0.3 + N(0, tau2) + N(0, vi)."""
    rng = np.random.default_rng(seed + k)
    vi = np.exp(rng.uniform(np.log(0.01), np.log(0.2), k))
    yi = 0.3 + rng.normal(0, np.sqrt(tau2), k) + rng.normal(0, np.sqrt(vi))
    return yi, vi


class Timing:
    """Median wall-clock and CPU seconds of repeated calls; the CPU time (``time.process_time``) excludes the time
    the process waits for a core, so it is the steadier figure on a shared machine."""

    def __init__(self, wall: list[float], cpu: list[float]):
        self.wall = statistics.median(wall)
        self.cpu = statistics.median(cpu)
        self.best = min(wall)


def measure(fn, repeat: int, warmup: int = 2) -> Timing:
    """Time ``fn()`` ``repeat`` times after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return Timing(wall, cpu)


def peak_memory(fn) -> int:
    """Peak bytes allocated (Python objects and numpy buffers) during one call of ``fn``."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def full_analysis(yi: np.ndarray, vi: np.ndarray) -> None:
    for method in ("FE", "DL", "REML", "PM"):
        pool(yi, vi, method=method)
    leave_one_out(yi, vi, method="DL")
    egger_test(yi, vi)
    trim_and_fill(yi, vi, method="DL")


R_SCRIPT = r"""
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
n <- as.integer(args[2])
invisible(rma(d$yi, d$vi, method = "DL"))  # warm-up (loads and byte-compiles what rma needs)
timeit <- function(fun, n) {
  t <- numeric(n)
  for (i in seq_len(n)) {
    t0 <- Sys.time(); fun(); t[i] <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
  }
  median(t)
}
for (m in c("DL", "REML")) {
  cat(sprintf("rma %s %.9f\n", m, timeit(function() rma(d$yi, d$vi, method = m), n)))
  cat(sprintf("full %s %.9f\n", m, timeit(function() {
    r <- rma(d$yi, d$vi, method = m); predict(r); confint(r)
  }, n)))
}
cat(sprintf("version %s %s\n", packageVersion("metafor"), getRversion()))
"""


def time_in_r(yi: np.ndarray, vi: np.ndarray, repeat: int) -> dict | None:
    """Median seconds of metafor on the same data, measured inside R; None when R/metafor is unavailable."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.csv"
        script = Path(tmp) / "bench.R"
        np.savetxt(data, np.column_stack([yi, vi]), delimiter=",", header="yi,vi", comments="", fmt="%.17g")
        script.write_text(R_SCRIPT)
        proc = subprocess.run([rscript, str(script), str(data), str(repeat)], capture_output=True, text=True,
                              timeout=1800)
    if proc.returncode != 0:
        print(f"  (R metafor comparison failed: {proc.stderr.strip()[:300]})")
        return None
    out = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if parts[0] == "version":
            out["version"] = f"metafor {parts[1]}, R {parts[2]}"
        else:
            out[(parts[0], parts[1])] = float(parts[2])
    return out


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:10.3f} ms"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--no-r", action="store_true", help="skip the R metafor comparison")
    args = parser.parse_args()
    q = 0.25 if args.quick else 1.0

    def reps(n: int) -> int:
        return max(3, int(n * q))

    print("peerstats statistics benchmark")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} cpu(s) (possibly shared); times are medians over repetitions")
    print()
    rows = []
    missed = []

    yi49, vi49 = simulate(49)
    t49 = measure(lambda: full_analysis(yi49, vi49), reps(200))
    rows.append(("full analysis, k = 49 (pool x4, leave-one-out, Egger, trim-and-fill)", t49, 5e-3))

    results = {}
    for k, rep in ((2_000, 100), (100_000, 21)):
        yi, vi = simulate(k)
        for method, target in (("DL", 50e-3), ("REML", 500e-3)):
            t = measure(lambda: pool(yi, vi, method=method), reps(rep))
            mem = peak_memory(lambda: pool(yi, vi, method=method))
            results[(k, method)] = (t, mem)
            rows.append((f"pool {method:<4}, k = {k:>7,}", t, target if k == 100_000 else None))

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'wall median':>13}  {'CPU median':>13}  {'wall best':>13}  {'target':<9}")
    for name, t, target in rows:
        goal = verdict_txt = ""
        if target is not None:
            goal = f"< {target * 1e3:.0f} ms"
            ok_wall, ok_cpu = t.wall < target, t.cpu < target
            if ok_wall:
                verdict_txt = "met"
            elif ok_cpu:
                verdict_txt = "met in CPU time, MISSED in wall time (machine busy?)"
            else:
                verdict_txt = "MISSED"
            if not ok_wall:
                missed.append(f"{name.strip()} ({t.wall * 1e3:.1f} ms wall, {t.cpu * 1e3:.1f} ms CPU)")
        print(f"{name:<{width}}  {fmt_ms(t.wall):>13}  {fmt_ms(t.cpu):>13}  {fmt_ms(t.best):>13}  {goal:<9} "
              f"{verdict_txt}")

    print()
    print("peak memory of one pool() call (tracemalloc)")
    print(f"{'method':<6} {'k':>8} {'peak':>12} {'bytes/study':>12}")
    for (k, method), (_, mem) in results.items():
        print(f"{method:<6} {k:>8,} {mem / 2**20:>9.2f} MiB {mem / k:>12.0f}")
    for method in ("DL", "REML"):
        small, large = results[(2_000, method)][1] / 2_000, results[(100_000, method)][1] / 100_000
        ratio = large / small
        # Linear memory: bytes per study roughly constant (fixed overheads make the small k look a little worse).
        ok = ratio < 2.0
        print(f"{method}: bytes/study at k = 100,000 vs 2,000: x{ratio:.2f} -> memory linear in k: {verdict(ok)}"
              f" (a k-by-k matrix at k = 100,000 would need {100_000**2 * 8 / 2**30:.0f} GiB)")
        missed += [] if ok else [f"{method} memory linear in k"]

    print()
    if args.no_r:
        print("R metafor comparison skipped (--no-r)")
    elif shutil.which("Rscript") is None:
        print("R metafor comparison skipped: Rscript not found (apt-get install r-cran-metafor)")
    else:
        yi, vi = simulate(2_000)
        r = time_in_r(yi, vi, 1 if args.quick else 3)  # metafor's REML takes seconds at k = 2,000
        if r is not None:
            print(f"k = 2,000, same data in R ({r.get('version', 'metafor')}), timed inside R:")
            print(f"{'method':<6} {'peerstats pool':>15} {'metafor rma':>13} {'speed-up':>9} {'target':>7}  "
                  f"{'rma+predict+confint':>20} {'speed-up':>9}")
            for method in ("DL", "REML"):
                ours = results[(2_000, method)][0].wall
                rma_t, full_t = r[("rma", method)], r[("full", method)]
                ok = rma_t / ours >= 20
                missed += [] if ok else [f"{method} speed-up vs metafor at k = 2,000"]
                print(f"{method:<6} {fmt_ms(ours):>15} {fmt_ms(rma_t):>13} {rma_t / ours:>8.0f}x {'>= 20x':>7}  "
                      f"{fmt_ms(full_t):>20} {full_t / ours:>8.0f}x  {verdict(ok)}")
    print()
    print("all targets met" if not missed else "targets MISSED: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
