"""Benchmark of the data-in path and the multiverse on a big file (issue 22: progress feedback on anything over 1 s).
Prints figures; asserts nothing.

1. A large upload through the Data page (Streamlit AppTest, the whole script): choose the file, then "Use these
   data" (the import, cached on the bytes, plus the page): 3,000 generated studies as CSV and as .xlsx; and the
   bundled data's two files through the bundled-schema tab (the importer's bundled-format kind).
2. The multiverse of that file (its own categorical columns x 4 estimators x 2 tests): ``dashboard.memo.multiverse``
   cold (computed, one estimator at a time with progress) and warm (a lookup), and the Multiverse page's first view in
   a first session (computes, shows the progress bar) and in a second session on the same view (memo hit).

Usage::

    python -m benchmarks.bench_datain            # k = 3,000
    python -m benchmarks.bench_datain --k 5000

The generated studies are random numbers, not trials; timings depend on the machine (2 shared cores here).
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.chdir(ROOT)

from benchmarks.bench_import import as_csv, as_xlsx, studies  # noqa: E402
from dashboard import memo  # noqa: E402
from peerstats.importer import import_studies  # noqa: E402


def big_file(k: int):
    df = studies(k)
    rng = np.random.default_rng(3)
    df["format"] = rng.choice(["group", "individual"], k)
    df["risk"] = rng.choice(["low", "some concerns", "high"], k)
    return df


def _t(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench_upload(k: int) -> None:
    from streamlit.testing.v1 import AppTest

    print(f"upload through the Data page (AppTest, whole script), k = {k:,}")
    df = big_file(k)
    for name, raw in ((f"studies_{k}.csv", as_csv(df)), (f"studies_{k}.xlsx", as_xlsx(df))):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.switch_page("pages/data.py").run()
        t_choose, _ = _t(lambda: at.file_uploader(key="byor_file").set_value((name, raw, "text/csv")).run())
        t_use, _ = _t(lambda: at.button(key="byor_use").click().run())
        ok = at.sidebar.radio(key="data_source").value == "upload" and not at.exception
        t_explore, _ = _t(lambda: at.switch_page("pages/explore.py").run())
        print(f"  {name:<22} {len(raw) / 1e6:5.2f} MB  choose file (read + preview) {t_choose:5.2f} s, "
              f"'Use these data' {t_use:5.2f} s, first Explore view {t_explore:5.2f} s{'' if ok else '  FAILED'}")
    bundled = ROOT / "data"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="upload_trials").set_value(("trials.csv", (bundled / "trials.csv").read_bytes(), "text/csv"))
    at.file_uploader(key="upload_effects").set_value(("effects.csv", (bundled / "effects.csv").read_bytes(),
                                                      "text/csv"))
    t_check, _ = _t(lambda: at.button(key="upload_check").click().run())
    ok = at.sidebar.radio(key="data_source").value == "upload" and not at.exception
    print(f"  bundled-schema tab, data/trials.csv + data/effects.csv: 'Check and use' {t_check:5.2f} s"
          f"{'' if ok else '  FAILED'}")


def bench_multiverse(k: int) -> None:
    from streamlit.testing.v1 import AppTest

    from peerstats.multiverse import column_choices

    print(f"multiverse of the k = {k:,} file (its own columns x 4 estimators x 2 tests)")
    res = import_studies(as_csv(big_file(k)), "bench.csv")
    own = {c: res.moderator_names[c] for c, kind in res.moderators.items() if kind == "categorical"}
    dims = column_choices(res.evidence.trials, own)
    outcome = next(iter(res.outcomes))
    memo.clear()
    steps = []
    cold, specs = _t(lambda: memo.multiverse(res.evidence, outcome, dims,
                                             progress=lambda d, n, w: steps.append((time.perf_counter(), w))))
    warm, _ = _t(lambda: memo.multiverse(res.evidence, outcome, dims))
    print(f"  memo.multiverse: {len(specs):,} specifications, cold {cold:5.2f} s ({len(steps)} progress messages), "
          f"warm {1000 * warm:5.2f} ms")
    memo.clear()
    times = []
    for session in range(2):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state["upload_evidence"] = res.evidence
        at.session_state["data_source"] = "upload"
        at.session_state["byor_result"] = res
        at.run()
        t, _ = _t(lambda: at.switch_page("pages/multiverse.py").run())
        bad = [e.value for e in at.exception] + [e.value for e in at.error]
        times.append(t)
        print(f"  Multiverse page, session {session + 1}: first view {t:5.2f} s"
              f"{' (computes; progress bar)' if session == 0 else ' (same view: memo hit)'}"
              f"{'  ERROR ' + str(bad)[:80] if bad else ''}")


def bench_bundled_multiverse() -> None:
    from streamlit.testing.v1 import AppTest

    print("multiverse of the bundled data (personal recovery: 3,280 specifications), Multiverse page")
    memo.clear()
    for session in range(2):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        t, _ = _t(lambda: at.switch_page("pages/multiverse.py").run())
        bad = [e.value for e in at.exception] + [e.value for e in at.error]
        print(f"  session {session + 1}: first view {t:5.2f} s"
              f"{' (computes the multiverse and draws the curve)' if session == 0 else ' (same view: memo hits)'}"
              f"{'  ERROR ' + str(bad)[:80] if bad else ''}")


def main() -> None:
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, default=3000)
    args = ap.parse_args()
    bench_upload(args.k)
    bench_multiverse(args.k)
    bench_bundled_multiverse()


if __name__ == "__main__":
    main()
