"""Build data/trials.csv, data/effects.csv and data/published.csv from data/build/sources/. Deterministic.

Run from the repository root:  python data/build/build.py

Steps: trials (trials.py) -> published cells with this project's reading of the paper's trial lists ->
reported/derived rows (real_effects.py) -> reconstructed rows for the published cells (reconstruct.py) -> check
every published cell with peerstats.meta.pool -> write the three CSV files and data/build/reconstruction_fit.csv.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# peerstats comes from the installed package (pip install -e .); the sibling scripts from this folder, which Python
# puts first on the path when it runs `python data/build/build.py`.
from peerstats.data import OUTCOMES  # noqa: E402
from peerstats.meta import pool  # noqa: E402
from real_effects import real_rows  # noqa: E402
from reconstruct import Cell, Problem, assign_sizes, own_arms, solve, target_cells  # noqa: E402
from trials import build_trials  # noqa: E402

DATA = ROOT / "data"
SOURCES = HERE / "sources"

# This project's reading of the paper's trial lists where they contradict each other (see the codebook).
READINGS = {
    ("all", "personal_recovery"): (
        "30 32 41 50 53 57 58 67 68 77 82 34 39 52 63 64 72 73 74 81",
        "Reading: ref 41 (Muralidharan 2019) added. The text says '11 trials of poor quality' but lists 10 refs; "
        "41 is in the hospital personal-recovery list, and the 10 hospital + 2 online + 5 independent trials make "
        "the published k = 17 only with it. Ref 81 (Hensel 2019b) is the same trial as 80 (Hensel 2019).",
    ),
    ("hospital_added", "hope"): (
        "30 48 58 miller 51 45",
        "Reading: ref 45 (Pfeiffer 2018), not 57 (Druss 2018). The hospital list names 57, the 'all' list names "
        "45 instead; the nested cells must hold the same six hospital trials, and the text calls the sixth trial "
        "'fair quality', which Figure 1 gives to 45 (Pfeiffer: fair) and not to 57 (Druss 2018: poor).",
    ),
    ("all", "hope"): (
        "30 45 48 51 58 63 64 72 73 74 miller",
        "As listed (the hospital list is read to agree with it, see hospital_added:hope).",
    ),
    ("all", "anxiety"): (
        "64 80 81 78 79",
        "Reading: ref 73 read as 64, the Cook 2012 WRAP trial (refs 63, 64, 72), not BRIDGES (73, 74). The list "
        "gives 73 (Cook et al., Schizophr Res 2012, BRIDGES), but no BRIDGES report measured anxiety: its abstract "
        "names the RAS (primary), the State Hope Scale (secondary) and depressive symptoms (exploratory) "
        "(https://read.qxmd.com/read/22130108, abstract, Method), and Cochrane CD010880's characteristics table for "
        "it (Cook 2012a) lists hope and recovery, with 'depression - BSI, personal empowerment, self-advocacy and "
        "coping style' unusable (https://pmc.ncbi.nlm.nih.gov/articles/PMC6448529/table/CD010880-tblf-0021). Ref 64 "
        "is the WRAP paper 'A randomized controlled trial of effects of Wellness Recovery Action Planning on "
        "depression, anxiety, and recovery' (Psychiatr Serv 2012;63:541-547), whose abstract reports 'significantly "
        "greater reduction over time in Brief Symptom Inventory depression and anxiety subscales' "
        "(https://psychiatryonline.org/doi/abs/10.1176/appi.ps.201100125). Both Cook trials are fair in Figure 1, "
        "so the text's 'two trials of fair quality (73, 80, 81)' does not tell them apart, nor does the cell's N. "
        "Refs 80 and 81 are one trial (Hensel 2019).",
    ),
    ("hospital_added", "overall_symptoms"): (
        "52 41",
        "As listed; the text swaps the qualities ('poor (52) or fair (41)'): Figure 1 rates 52 (Castelein/Stant) "
        "fair and 41 (Muralidharan) poor.",
    ),
    ("online", "depression"): ("80 81 87", "Refs 80 and 81 are one trial (Hensel 2019): k = 2."),
}


def ref_map(trials: pd.DataFrame) -> dict[str, str]:
    out = {}
    for _, t in trials.iterrows():
        for r in str(t["refs"]).split():
            out[r] = t["trial_id"]
    return out


def build_published(trials: pd.DataFrame) -> pd.DataFrame:
    res = pd.read_csv(SOURCES / "published_results.csv", dtype=str, keep_default_na=False)
    status = pd.read_csv(SOURCES / "published_status.csv", dtype=str, keep_default_na=False)
    refs = ref_map(trials)
    rows = []
    for _, r in res.iterrows():
        key = (r["category"], r["outcome"])
        trial_refs, reading = READINGS.get(key, (r["trial_refs"], ""))
        ids = []
        for ref in trial_refs.split():
            tid = refs[ref]
            if tid not in ids:
                ids.append(tid)
        assert len(ids) == int(r["k"]), (key, ids)
        p = r["p"]
        rows.append(dict(
            category=r["category"], outcome=r["outcome"], domain=r["domain"], status="reported", k=int(r["k"]),
            n=int(r["n"]), smd=float(r["smd"]), ci_low=float(r["ci_low"]), ci_high=float(r["ci_high"]), p=p,
            i2=float(r["i2_percent"]), p_heterogeneity=float(r["p_heterogeneity"]),
            trial_refs=r["trial_refs"], trial_ids=" ".join(ids),
            notes=" ".join(x for x in (r["notes"], reading) if x),
        ))
    have = {(r["category"], r["outcome"]) for r in rows}
    status_map = {"not_applicable_insufficient_data": "not_applicable"}
    for _, s in status.iterrows():
        outs = list(OUTCOMES) if s["outcome"] == "*" else [s["outcome"]]
        for o in outs:
            if (s["category"], o) in have:
                continue
            rows.append(dict(category=s["category"], outcome=o, domain=OUTCOMES[o][0],
                             status=status_map.get(s["status"], s["status"]), notes=""))
            have.add((s["category"], o))
    for cat in ("all", "hospital_added", "established_roles", "independent", "online"):
        for o in OUTCOMES:
            if (cat, o) not in have:
                rows.append(dict(category=cat, outcome=o, domain=OUTCOMES[o][0], status="not_mentioned",
                                 notes="The paper's text says nothing about this cell."))
    cols = ["category", "outcome", "domain", "status", "k", "n", "smd", "ci_low", "ci_high", "p", "i2",
            "p_heterogeneity", "trial_refs", "trial_ids", "notes"]
    out = pd.DataFrame(rows, columns=cols)
    cat_order = {c: i for i, c in enumerate(["all", "hospital_added", "established_roles", "independent", "online"])}
    out_order = {o: i for i, o in enumerate(OUTCOMES)}
    out = out.sort_values(["category", "outcome"], key=lambda s: s.map(cat_order if s.name == "category" else
                                                                           out_order), kind="stable")
    out["k"] = out["k"].astype("Int64")
    out["n"] = out["n"].astype("Int64")
    return out.reset_index(drop=True)


def _row_n(r, randomised) -> int:
    """N of a real row (arm sizes), or the trial's randomised N where the source gives no arm sizes."""
    n = float(r.n_peer) + float(r.n_control)
    if np.isfinite(n):
        return int(n)
    return int(randomised.get(r.trial_id) or 0)


def plausible_bounds(real: pd.DataFrame, outcome: str, cells: list, fixed: dict) -> dict:
    """Per target cell: (low, high, reason), the plausible range of its reconstructed values.

    The span of the real effects pooled in the outcome's published cells, each widened by its 95% CI
    (``yi -/+ 1.96 sqrt(vi)``); where no published cell of the outcome holds a real row, the same span over every real
    primary row of the outcome (any trial); where there is none, [-1, 1] (no psychosocial peer-support effect here
    exceeds 1 in absolute value). One range per outcome, so every target cell of the outcome gets the same one.
    """
    z = 1.959963984540054
    ys = [(y - z * np.sqrt(v), y + z * np.sqrt(v)) for y, v, _n in fixed.values()]
    why = "span of the real rows pooled in this outcome's cells, widened by their 95% CIs"
    if not ys:
        prim = real[(real.outcome == outcome) & real.primary]
        ys = [(y - z * np.sqrt(v), y + z * np.sqrt(v)) for y, v in zip(prim.yi, prim.vi)]
        why = "no real row in this outcome's cells: span of every real primary row of the outcome, widened by its 95% CI"
    if ys:
        lo, hi = min(a for a, _ in ys), max(b for _, b in ys)
    else:
        lo, hi, why = -1.0, 1.0, "no real row of this outcome anywhere: [-1, 1]"
    return {c.name: (float(lo), float(hi), why) for c in cells}


def _binds(y: float, bounds) -> str:
    """'lower' / 'upper' when a bounded value sits at a bound (within 0.1% of the range), else ''."""
    lo, hi = bounds
    tol = 1e-3 * (hi - lo)
    return "lower" if y - lo <= tol else "upper" if hi - y <= tol else ""


def build_effects(trials: pd.DataFrame, published: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    real = real_rows()
    real["domain"] = real["outcome"].map(lambda o: OUTCOMES[o][0])
    cells_pub = published[published.status == "reported"]
    randomised = {t: (float(n) if str(n) not in ("", "nan") else None)
                  for t, n in zip(trials.trial_id, trials.n_randomized)}
    control = dict(zip(trials.trial_id, trials.control))

    # paper_cells of real primary rows
    real["paper_cells"] = ""
    for _, c in cells_pub.iterrows():
        name = f"{c['category']}:{c['outcome']}"
        for tid in c["trial_ids"].split():
            m = (real.trial_id == tid) & (real.outcome == c["outcome"]) & real.primary
            real.loc[m, "paper_cells"] = real.loc[m, "paper_cells"].map(lambda s: f"{s};{name}" if s else name)

    # The arms of each trial's own reported/derived rows (primary rows; the pair with the largest total, the first
    # such row on a tie): the sizes a reconstructed row of that trial gets (see reconstruct.own_arms).
    real_arms: dict[str, tuple[int, int]] = {}
    for r in real[real.primary].itertuples():
        n1, n2 = float(r.n_peer), float(r.n_control)
        if np.isfinite(n1) and np.isfinite(n2) and (r.trial_id not in real_arms
                                                    or n1 + n2 > sum(real_arms[r.trial_id])):
            real_arms[r.trial_id] = (int(n1), int(n2))

    recon_rows = []
    fits = []
    for outcome, grp in cells_pub.groupby("outcome", sort=False):
        cells = []
        for _, c in grp.iterrows():
            # A category cell identical to "all" (self-advocacy) is one set of constraints: keep both, they agree.
            cells.append(Cell(name=f"{c['category']}:{outcome}", members=c["trial_ids"].split(),
                              target=np.array([c["smd"], c["ci_low"], c["ci_high"], c["i2"]], dtype=float),
                              n=int(c["n"])))
        members = sorted({t for c in cells for t in c.members})
        prim = real[(real.outcome == outcome) & real.primary]
        fixed = {}
        for _, r in prim[prim.trial_id.isin(members)].iterrows():
            fixed[r.trial_id] = (float(r.yi), float(r.vi), _row_n(r, randomised))
        # A pair with a real row that is not pooled (its doubt decision is "not pooled") is neither fixed nor
        # reconstructed: it leaves the cell (a gap, reported), and its N is not handed to reconstructed trials.
        has_real = set(real.loc[real.outcome == outcome, "trial_id"])
        set_aside = {t: _row_n(real[(real.trial_id == t) & (real.outcome == outcome)].iloc[0], randomised)
                     for t in members if t in has_real and t not in fixed}
        recon_trials = [t for t in members if t not in has_real]
        own = {t: own_arms(t, real_arms, randomised) for t in recon_trials}
        sizes, warnings = assign_sizes(cells, {**{t: v[2] for t, v in fixed.items()}, **set_aside}, recon_trials,
                                       own)
        for w in warnings:
            print("NOTE", w)

        listed = {c.name: list(c.members) for c in cells}
        cells = [Cell(name=c.name, members=[t for t in c.members if t not in set_aside], target=c.target, n=c.n)
                 for c in cells]
        tcell = target_cells(cells)
        problem = Problem(outcome=outcome, cells=cells, fixed=fixed)
        cell_bounds = plausible_bounds(real, outcome, cells, fixed)
        for t in recon_trials:
            n1, n2, how = sizes[t]
            problem.recon[t] = {"n1": n1, "n2": n2, "how": how, "cell": tcell[t],
                                "bounds": cell_bounds[tcell[t]][:2]}
        sol = solve(problem)
        for t in recon_trials:
            in_cells = [c.name for c in cells if t in c.members]
            r = problem.recon[t]
            recon_rows.append(dict(
                trial_id=t, outcome=outcome, domain=OUTCOMES[outcome][0],
                instrument="(none: reconstructed value)", higher_score_means_more=True,
                timepoint="end of intervention (as pooled by the paper)", timepoint_months=np.nan,
                comparison=control[t], n_peer=r["n1"], n_control=r["n2"],
                yi=float(sol["yi"][t]), vi=float(sol["vi"][t]), provenance="reconstructed",
                formula="reconstruct (data/build/reconstruct.py): DL joint fit to the published cells",
                source_url="", source_locator="", source_quote="", primary=True,
                paper_cells=";".join(in_cells), target_cell=r["cell"],
                note=(f"NOT TRIAL DATA. Reconstructed so that DerSimonian-Laird pooling reproduces the paper's "
                      f"published result for {r['cell']}"
                      + (f" (also pooled in {', '.join(c for c in in_cells if c != r['cell'])})"
                         if len(in_cells) > 1 else "")
                      + f". Only yi is imputed: n_peer/n_control are the trial's own sizes ({r['how']}) and vi "
                        "is the SMD variance they give (1/n1 + 1/n2 + yi^2/(2(n1 + n2)), as for real rows). "
                        "Plausible range "
                        f"[{r['bounds'][0]:.3f}, {r['bounds'][1]:.3f}] ({cell_bounds[r['cell']][2]})"
                      + (f"; the value sits at its {_binds(sol['yi'][t], r['bounds'])} bound, so the cell is not "
                         "forced to the paper's numbers (gap reported)." if _binds(sol["yi"][t], r["bounds"])
                         else ".")),
            ))
        for c in cells:
            binding = [t for t in recon_trials if t in c.members and _binds(sol["yi"][t], problem.recon[t]["bounds"])]
            fits.append(dict(cell=c.name, target=c.target.tolist(), fit=sol["fit"][c.name].tolist(),
                             bounds_bind=" ".join(binding), set_aside=" ".join(t for t in set_aside if t in listed[c.name])))
    recon = pd.DataFrame(recon_rows)
    eff = pd.concat([real, recon], ignore_index=True)
    eff["yi"] = eff["yi"].map(lambda v: 0.0 if v == 0 else v)  # no negative zero
    eff = eff.sort_values(["trial_id", "outcome", "primary", "timepoint_months"],
                          ascending=[True, True, False, True], kind="stable").reset_index(drop=True)
    counter: dict[tuple, int] = {}
    ids = []
    for t, o in zip(eff.trial_id, eff.outcome):
        counter[(t, o)] = counter.get((t, o), 0) + 1
        ids.append(f"{t}:{o}:{counter[(t, o)]}")
    eff["effect_id"] = ids
    cols = ["effect_id", "trial_id", "outcome", "domain", "instrument", "higher_score_means_more", "timepoint",
            "timepoint_months", "comparison", "n_peer", "mean_peer", "sd_peer", "n_control", "mean_control",
            "sd_control", "md", "md_ci_low", "md_ci_high", "smd_reported", "smd_ci_low", "smd_ci_high", "yi", "vi",
            "provenance", "formula", "source_url", "source_locator", "source_quote", "primary", "paper_cells",
            "target_cell", "doubt", "note"]
    eff["doubt"] = eff["doubt"].fillna("")
    eff = eff[cols]
    for c in ("n_peer", "n_control"):
        eff[c] = eff[c].astype("Int64")
    return eff, pd.DataFrame(fits)


def check(eff: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Pool every published cell from the rows as written, with the engine's pool().

    Besides the recomputed and published numbers: ``d_*`` (recomputed minus published), ``reconstructed_weight``
    (percent of the DL weight on reconstructed rows) and ``gap``, the misses beyond the paper's rounding in words
    (empty when the cell agrees).
    """
    out = []
    for _, c in published[published.status == "reported"].iterrows():
        name = f"{c['category']}:{c['outcome']}"
        rows = eff[eff.primary & eff.paper_cells.fillna("").str.split(";").map(lambda xs: name in xs)]
        res = pool(rows.yi.to_numpy(float), rows.vi.to_numpy(float), method="DL")
        n = int((rows.n_peer.astype(float) + rows.n_control.astype(float)).sum())
        rec_w = float(np.sum(np.asarray(res.weights)[(rows.provenance == "reconstructed").to_numpy()]))
        i2 = res.i2 if np.isfinite(res.i2) else 0.0
        d = dict(d_smd=res.estimate - c["smd"], d_lo=res.ci_low - c["ci_low"], d_hi=res.ci_high - c["ci_high"],
                 d_i2=i2 - c["i2"])
        ok = bool(max(abs(d["d_smd"]), abs(d["d_lo"]), abs(d["d_hi"])) <= 0.005 and abs(d["d_i2"]) <= 0.5)
        misses = [f"{lab} {d[key]:+.3f}" for lab, key in (("SMD", "d_smd"), ("CI low", "d_lo"), ("CI high", "d_hi"))
                  if abs(d[key]) > 0.005]
        if abs(d["d_i2"]) > 0.5:
            misses.append(f"I2 {d['d_i2']:+.1f} points")
        gap = ""
        if not ok:
            width, width_pub = res.ci_high - res.ci_low, c["ci_high"] - c["ci_low"]
            gap = "missed beyond the paper's rounding: " + ", ".join(misses)
            gap += (f"; CI width {width:.3f} vs the paper's {width_pub:.3f}"
                    if abs(width - width_pub) > 0.01 else "")
        if n != c["n"]:
            gap = (gap + "; " if gap else "") + f"N of the rows {n} vs the paper's {c['n']}"
        out.append(dict(cell=name, k=res.k, k_pub=c["k"], n=n, n_pub=c["n"], smd=round(res.estimate, 4),
                        smd_pub=c["smd"], lo=round(res.ci_low, 4), lo_pub=c["ci_low"], hi=round(res.ci_high, 4),
                        hi_pub=c["ci_high"], i2=round(i2, 2), i2_pub=c["i2"], ok=ok,
                        **{k: round(v, 4) for k, v in d.items()}, reconstructed_weight=round(rec_w, 1), gap=gap))
    return pd.DataFrame(out)


def build_all() -> dict[str, pd.DataFrame]:
    """Every output frame, without writing anything (the tests compare them with the committed files)."""
    trials = build_trials()
    published = build_published(trials)
    eff, fits = build_effects(trials, published)
    table = check(eff, published).merge(fits[["cell", "bounds_bind", "set_aside"]], on="cell", how="left")
    # Notes that quote a cell's recomputed result (Salzer 2016's RAS read as standard errors): filled in from the
    # final pooling, so the note says what the committed rows give.
    pr = table.set_index("cell").loc["all:personal_recovery"]
    eff["note"] = eff["note"].map(lambda t: t.replace(
        "{cell}", f"{pr.smd:.3f} ({pr.lo:.3f}, {pr.hi:.3f}), I2 {pr.i2:.0f}%") if isinstance(t, str) else t)
    return {"trials": trials, "effects": eff, "published": published, "fit": table}


def to_csv_text(name: str, df: pd.DataFrame) -> str:
    """The exact text written for one output file."""
    if name == "effects":
        return df.to_csv(index=False, lineterminator="\n", float_format="%.10g")
    return df.to_csv(index=False, lineterminator="\n")


def main() -> None:
    frames = build_all()
    table = frames["fit"]
    eff = frames["effects"]
    pd.set_option("display.width", 250)
    print(table.to_string())
    print(eff.provenance.value_counts().to_string())
    for name in ("trials", "effects", "published"):
        (DATA / f"{name}.csv").write_text(to_csv_text(name, frames[name]), encoding="utf-8")
    (HERE / "reconstruction_fit.csv").write_text(to_csv_text("fit", table), encoding="utf-8")


if __name__ == "__main__":
    main()
