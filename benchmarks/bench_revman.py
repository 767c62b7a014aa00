"""How long import_studies takes to open a large RevMan data file (issue 19: under 2 s for 2,000+ rows).

The file is built from the six Pairwise70 fixtures (tests/fixtures/revman), repeated with their analysis groups
renumbered until it has at least ``--rows`` rows: a review with dozens of analyses of every kind. Prints the median
of ``--repeat`` runs of :func:`peerstats.import_studies` on its bytes (CSV parsing, measure inference per analysis,
the evidence frame), and the time to read one analysis' studies from the result (what switching analysis costs
server-side before any pooling).

    python benchmarks/bench_revman.py [--rows 2400] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from peerstats import import_studies, pool  # noqa: E402


def big_file(rows: int) -> bytes:
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False)
              for p in sorted((ROOT / "tests" / "fixtures" / "revman").glob("CD*.csv"))]
    cols = list(dict.fromkeys(c for f in frames for c in f.columns))
    out, offset = [], 0
    while sum(len(f) for f in out) < rows:
        for f in frames:
            g = f.reindex(columns=cols, fill_value="")
            g["Analysis group"] = (g["Analysis group"].astype(int) + offset).astype(str)
            out.append(g)
        offset += 100
    return pd.concat(out, ignore_index=True).to_csv(index=False).encode()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2400)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    raw = big_file(args.rows)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        res = import_studies(raw, "big_revman.csv")
        times.append(time.perf_counter() - t)
    data = res.detected["revman"]
    n_rows = res.n_rows
    print(f"RevMan file: {n_rows} rows, {len(data.analyses)} analyses, {len(raw) / 1e6:.1f} MB")
    print(f"import_studies: median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}) "
          f"over {args.repeat} runs; target < 2 s")
    eff = res.evidence.effects
    switch = []
    for code in list(res.outcomes)[:50]:
        t = time.perf_counter()
        rows = eff[eff["outcome"] == code]
        if len(rows) >= 1:
            pool(rows["yi"].to_numpy(), rows["vi"].to_numpy(), "DL")
        switch.append(time.perf_counter() - t)
    print(f"one analysis: select its rows and pool (DL): median {1000 * statistics.median(switch):.2f} ms, "
          f"max {1000 * max(switch):.2f} ms over {len(switch)} analyses")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
