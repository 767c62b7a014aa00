"""Per-study agreement of peerstats' RevMan reader with RevMan's own numbers, over the Pairwise70 corpus.

Pairwise70 (GitHub mahmood789/Pairwise70, MIT licence) holds 501 Cochrane reviews' analysis data as R data files,
one frame per review, with RevMan's columns (dots for spaces and hyphens). For every review, every analysis and every
study row, :func:`peerstats.revman.read_revman` infers the measure and CI level and computes the per-study estimate
and confidence interval with RevMan's rules; the row agrees when estimate, lower and upper limit all equal the file's
``Mean``, ``CI start``, ``CI end`` to the file's rounding (half a unit in the 6th decimal). Every miss is listed with
its probable cause.

Usage (from the repository root; needs Rscript only to convert the .rda files once)::

    git clone https://github.com/mahmood789/Pairwise70 /tmp/Pairwise70
    python validation/revman_pairwise70.py /tmp/Pairwise70 [--limit N] [--json out.json]

Takes about a minute for all 501 reviews (86,000 rows) on one core. Not a test: the figures go to docs/revman.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from peerstats import pool, pool_mh, pool_peto  # noqa: E402
from peerstats.escalc import effect_sizes  # noqa: E402
from peerstats.revman import MEASURES, _natural, read_revman  # noqa: E402

CONVERT = r"""
args <- commandArgs(TRUE)
fs <- list.files(file.path(args[1], "data"), pattern = "rda$", full.names = TRUE)
for (f in fs) { e <- new.env(); load(f, envir = e); x <- get(ls(e)[1], envir = e)
  write.csv(x, file.path(args[2], sub("_data.rda$", ".csv", basename(f))), row.names = FALSE, na = "") }
"""


def convert(repo: Path, out: Path) -> None:
    script = out / "convert.R"
    script.write_text(CONVERT)
    subprocess.run(["Rscript", str(script), str(repo), str(out)], check=True)


def cause(row: pd.Series, measure: str, level: float) -> str:
    """Why a row's computed estimate differs from RevMan's: the alternatives that would reproduce it."""
    fm, fl, fh = row["file_mean"], row["file_ci_low"], row["file_ci_high"]

    def hits(m, yi, vi, lev):
        e, lo, hi = _natural(m, np.atleast_1d(yi), np.atleast_1d(vi), lev)
        return bool(np.allclose([e[0], lo[0], hi[0]], [fm, fl, fh], rtol=1e-5, atol=1e-6))

    if not np.isfinite(row["yi"]):
        return "computed not estimable (e.g. an empty arm), RevMan gives an estimate"
    if "ai" in row and np.isfinite(row.get("ai", np.nan)):
        a, n1, c, n2 = row["ai"], row["n1i"], row["ci"], row["n2i"]
        for m in ("RR", "OR", "RD", "PETO"):
            for lev in (0.95, 0.99, 0.9):
                yi, vi = effect_sizes(m, ai=n1 - a, n1i=n1, ci=n2 - c, n2i=n2, convention="revman")
                if hits(m, yi, vi, lev):
                    return f"RevMan shows the {m} of non-events (the review analysed the complementary outcome)"
                yi, vi = effect_sizes(m, ai=c, n1i=n2, ci=a, n2i=n1, convention="revman")
                if hits(m, yi, vi, lev):
                    return f"arms swapped in the data ({m})"
                yi, vi = effect_sizes(m, ai=a, n1i=n1, ci=c, n2i=n2, convention="revman")
                if (m, lev) != (measure, level) and hits(m, yi, vi, lev):
                    return f"this row matches {m} at {lev:.0%} while the analysis is {measure} at {level:.0%}"
    return "unexplained"


def weight_model(a) -> str:
    """Which pooling reproduces RevMan's Weight column of an analysis without subgroups (to 1e-4 percent points).

    Candidates: inverse variance fixed effect (``pool(method="FE")``), DerSimonian-Laird (``pool(method="DL")``),
    Mantel-Haenszel fixed effect (``pool_mh``), Peto (``pool_peto``), and RevMan's Mantel-Haenszel random effects
    (DerSimonian-Laird with Q taken about the MH estimate: tau2 = max(0, (Q - df) / (sum w - sum w^2 / sum w)),
    weights 1 / (vi + tau2)). Returns "" when no model is checkable (k < 2, subgroups, no weights).
    """
    st = a.studies[a.studies["estimable"]]
    w = st["file_weight"].to_numpy(dtype=float)
    if len(st) < 2 or a.subgroups() or not np.all(np.isfinite(w)) or abs(w.sum() - 100) > 0.01:
        return ""
    yi, vi = st["yi"].to_numpy(), st["vi"].to_numpy()
    cands = {}
    for name, fn in (("IV fixed", lambda: pool(yi, vi, "FE").weights),
                     ("IV random (DL)", lambda: pool(yi, vi, "DL").weights),
                     ("MH fixed", lambda: pool_mh(st["ai"], st["n1i"], st["ci"], st["n2i"], a.measure).weights),
                     ("Peto", lambda: pool_peto(st["ai"], st["n1i"], st["ci"], st["n2i"]).weights)):
        try:
            cands[name] = fn()
        except Exception:  # noqa: BLE001 - a model that does not apply to this analysis
            pass
    try:
        mh = pool_mh(st["ai"], st["n1i"], st["ci"], st["n2i"], a.measure).estimate
        wi = 1 / vi
        q = float(np.sum(wi * (yi - mh) ** 2))
        t2 = max(0.0, (q - (len(yi) - 1)) / (wi.sum() - (wi**2).sum() / wi.sum()))
        cands["MH random (DL about MH)"] = 100 * (1 / (vi + t2)) / np.sum(1 / (vi + t2))
    except Exception:  # noqa: BLE001
        pass
    hits = [k for k, v in cands.items() if np.allclose(v, w, atol=1e-4, rtol=0)]
    return hits[0] if hits else "none"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", type=Path, help="a Pairwise70 checkout (with data/*.rda), or a folder of converted CSVs")
    ap.add_argument("--limit", type=int, default=0, help="only the first N reviews")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    tmp = None
    csvs = sorted(args.repo.glob("CD*.csv"))
    if not csvs:
        if not list((args.repo / "data").glob("*.rda")):
            ap.error(f"no data/*.rda and no *.csv under {args.repo}")
        tmp = Path(tempfile.mkdtemp(prefix="pairwise70-"))
        convert(args.repo, tmp)
        csvs = sorted(tmp.glob("CD*.csv"))
    if args.limit:
        csvs = csvs[: args.limit]
    t0 = time.perf_counter()
    rows, misses, left_out, n_rows = [], [], {}, 0
    slowest = (0.0, "")
    for f in csvs:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        n_rows += len(df)
        t = time.perf_counter()
        data = read_revman(df, f.stem)
        dt = time.perf_counter() - t
        slowest = max(slowest, (dt, f"{f.stem} ({len(df)} rows, {len(data.analyses)} analyses)"))
        for p in data.problems:
            if "left out" in p.message and p.row is None:
                why = p.message.split(": ", 1)[1] if ": " in p.message else p.message
                why = "no events in any study" if "no study has an event" in why else (
                    "measure cannot be inferred (no Mean/CI in the file)" if "cannot be inferred" in why else why)
                left_out[why] = left_out.get(why, 0) + 1
        for a in data.analyses:
            st = a.studies
            for _, r in st.iterrows() if a.disagree_rows else ():
                if r["agrees"] is False:
                    misses.append({"review": f.stem, "analysis": a.label, "row": int(r["row"]), "study": r["study"],
                                   "measure": a.measure, "level": a.level, "cause": cause(r, a.measure, a.level)})
            has = st["agrees"].notna()
            rows.append({"measure": a.measure, "level": a.level, "rows": int(has.sum()),
                         "agree": int(st.loc[has, "agrees"].astype(bool).sum()), "weights": weight_model(a)})
    elapsed = time.perf_counter() - t0
    r = pd.DataFrame(rows)
    by = r.groupby("measure")[["rows", "agree"]].sum().reindex([m for m in MEASURES if m in set(r.measure)])
    by["analyses"] = r.groupby("measure").size()
    by["share"] = by["agree"] / by["rows"]
    total = by[["rows", "agree"]].sum()
    print(f"{len(csvs)} reviews, {n_rows} file rows, {len(r)} analyses read in {elapsed:.1f} s "
          f"(slowest file {slowest[0]:.2f} s: {slowest[1]})")
    print(f"levels: {r.groupby('level').size().to_dict()}")
    print("\nper-study rows with a RevMan estimate whose computed estimate and CI equal the file's, by measure:")
    print(by[["analyses", "rows", "agree", "share"]].to_string(float_format=lambda x: f"{100 * x:.3f} %"))
    print(f"all: {total['agree']} / {total['rows']} = {100 * total['agree'] / total['rows']:.3f} %")
    wm = r[r["weights"] != ""]
    print(f"\nRevMan's Weight column reproduced ({len(wm)} analyses with k >= 2 and no subgroups), by the model that "
          "reproduces it:")
    print(wm.groupby(["measure", "weights"]).size().to_string())
    print("\nanalyses left out:", json.dumps(left_out, indent=1))
    print(f"\n{len(misses)} rows differ:")
    for m in misses:
        print(f"  {m['review']} {m['analysis']} row {m['row']} {m['study']} ({m['measure']}): {m['cause']}")
    if args.json:
        args.json.write_text(json.dumps({
            "reviews": len(csvs), "file_rows": n_rows, "analyses": len(r), "seconds": round(elapsed, 1),
            "by_measure": {m: {"analyses": int(x.analyses), "rows": int(x.rows), "agree": int(x.agree)}
                           for m, x in by.iterrows()},
            "weights": {f"{m} / {k}": int(n) for (m, k), n in wm.groupby(["measure", "weights"]).size().items()},
            "left_out": left_out, "misses": misses}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
