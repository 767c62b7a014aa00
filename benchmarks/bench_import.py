"""Benchmark of bring your own review at scale. Prints figures; asserts nothing.

1. ``import_studies`` on generated arm-data files of 100, 1,000, 5,000 (and 20,000) studies, as CSV (comma, UTF-8),
   semicolon + decimal comma (cp1252) and .xlsx: median of a few runs.
2. Server-side rerun time of every page (Streamlit AppTest, the whole script) with the import in use, for 100, 1,000
   and 5,000 studies: median of N reruns after one warm-up. Target: < 2 s per page at 5,000 studies.

Usage::

    python -m benchmarks.bench_import            # everything
    python -m benchmarks.bench_import --n 3 --sizes 100 1000 5000 --no-pages

The generated studies are random numbers, not trials. The machine matters: the figures of the closing note came from
a 2-core container shared with other jobs.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)

from peerstats.importer import import_studies  # noqa: E402
from tests.upload_files import text_bytes, xlsx_bytes  # noqa: E402 - the synthetic files the importer tests use

PAGES = [
    ("Explore", "pages/explore.py"), ("Subgroups", "pages/subgroups.py"), ("Sensitivity", "pages/sensitivity.py"),
    ("Small-study effects", "pages/small-study-effects.py"), ("Risk of bias", "pages/risk-of-bias.py"),
    ("Reproduce the paper", "pages/reproduce.py"), ("Data", "pages/data.py"), ("About", "pages/about.py"),
]
PAGE_TARGET_S = 2.0


def studies(k: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "study": [f"Study {i:05d}" for i in range(k)], "year": rng.integers(1990, 2024, k),
        "m1i": np.round(rng.normal(20, 3, k), 2), "sd1i": np.round(rng.uniform(3, 7, k), 2),
        "n1i": rng.integers(10, 200, k),
        "m2i": np.round(rng.normal(19, 3, k), 2), "sd2i": np.round(rng.uniform(3, 7, k), 2),
        "n2i": rng.integers(10, 200, k),
        "setting": rng.choice(["clinic", "online", "community"], k), "dose_weeks": rng.integers(4, 52, k),
    })


def as_csv(df: pd.DataFrame) -> bytes:
    return text_bytes(df)


def as_semicolon(df: pd.DataFrame) -> bytes:
    return text_bytes(df, sep=";", decimal=",", encoding="cp1252")


def as_xlsx(df: pd.DataFrame) -> bytes:
    return xlsx_bytes(df, sheet="studies")


def _med(xs):
    return statistics.median(xs)


def bench_import(sizes, n: int) -> None:
    print("import_studies (median of %d runs)" % n)
    for k in sizes:
        df = studies(k)
        for name, make in (("csv", as_csv), ("semicolon cp1252", as_semicolon), ("xlsx", as_xlsx)):
            raw = make(df)
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                res = import_studies(raw, f"s.{name}")
                times.append(time.perf_counter() - t0)
            ok = res.evidence is not None and len(res.evidence.effects) == k
            print(f"  k = {k:>6,}  {name:<17} {1000 * _med(times):8.1f} ms   ({len(raw) / 1e6:.2f} MB)"
                  f"{'' if ok else '  FAILED'}")


def bench_pages(sizes, n: int) -> None:
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    print("page rerun with the import in use (AppTest, median of %d reruns after a warm-up; target < %.0f s)"
          % (n, PAGE_TARGET_S))
    for k in sizes:
        res = import_studies(as_csv(studies(k)), "bench.csv")
        for title, path in PAGES:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
            at.session_state["upload_evidence"] = res.evidence
            at.session_state["data_source"] = "upload"
            at.session_state["byor_result"] = res
            at.run()
            at.switch_page(path).run()
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - t0)
            bad = [e.value for e in at.exception] + [e.value for e in at.error]
            verdict = "ok" if _med(times) < PAGE_TARGET_S else "OVER"
            print(f"  k = {k:>6,}  {title:<22} {_med(times):7.2f} s  {verdict}{'  ERROR ' + str(bad)[:80] if bad else ''}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--import-sizes", type=int, nargs="+", default=[100, 1000, 5000, 20000])
    ap.add_argument("--no-pages", action="store_true")
    ap.add_argument("--no-import", action="store_true")
    args = ap.parse_args()
    if not args.no_import:
        bench_import(args.import_sizes, args.n)
    if not args.no_pages:
        bench_pages(args.sizes, args.n)


if __name__ == "__main__":
    main()
