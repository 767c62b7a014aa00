"""Reproduce the paper: each pooled result the paper reports, recomputed from the bundled rows, with the
differences highlighted and the provenance mix of every cell."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import export, memo
from dashboard import text
from dashboard.context import current
from peerstats.data import DATA_DIR
from peerstats.reproduce import TOLERANCE, reproduction_table
from peerstats.select import CATEGORIES

ctx = current()
view = ctx.view

st.title("Reproduce the paper")
if ctx.source == "upload" and len(ctx.evidence.published) == 0:
    st.info("This page recomputes the pooled results published in Egmose et al. (2023) from the bundled evidence "
            "base. Your upload carries no published results to compare with; switch *Data source* in the sidebar to "
            "the bundled data to see the reproduction.")
    st.stop()
st.markdown(
    "The paper (Egmose et al. 2023) reports twelve pooled results with numbers. Each row below recomputes one of them "
    "from the rows of the evidence base tagged for that cell, with the estimator chosen in the sidebar "
    f"(now {ui.method_in_words(view.method, 'z')}; the paper used DerSimonian-Laird in Comprehensive Meta-Analysis). "
    "Agreement means within the paper's rounding: "
    f"±{TOLERANCE['smd']} for the SMD and CI bounds, ±{TOLERANCE['i2']} points for I², and the same k and N.")
st.warning(
    "Most per-trial effects are not published anywhere we could read (the paper's supplement is unavailable), so many "
    "rows are **reconstructed** to be consistent with the paper's pooled results. A cell whose weight rests mostly on "
    "reconstructed rows agrees **by construction**: that is a consistency check, not independent evidence. The "
    "*Verdict* and *Rows* columns say which cells are which; where real rows fix a cell and the paper's numbers do "
    "not come out, the gap is shown, never forced away.", icon="⚠️")

with ui.guard("the reproduction table"):
    with st.spinner("Pooling every published cell of the paper again to compare with its numbers..."):  # ~0.5-2 s
        tab = memo.call(reproduction_table, ctx.evidence, method=view.method)
    if tab.empty:
        st.info("This evidence base has no published results to reproduce.")
    else:
        agree = tab["agrees"].astype(bool)
        ev_basis = tab["basis"] == "evidence"
        c = st.columns(3)
        c[0].metric("Cells reproduced within rounding", f"{int(agree.sum())} of {len(tab)}")
        c[1].metric("Cells resting mainly on real rows", f"{int(ev_basis.sum())} of {len(tab)}")
        c[2].metric("…of which agree", f"{int((agree & ev_basis).sum())} of {int(ev_basis.sum())}")

        def cell(row) -> str:
            cat = "All trials" if row["category"] == "all" else CATEGORIES.get(row["category"], row["category"])
            return f"{cat}: {ctx.outcomes.get(row['outcome'], ('', row['outcome'], 1))[1]}"

        shown = pd.DataFrame({
            "Cell": [cell(r) for r in tab.to_dict("records")],
            "Agrees": ["✓ yes" if a else "✗ no" for a in agree],
            "k (paper / here)": [f"{a} / {b}" for a, b in zip(tab["k_published"], tab["k"])],
            "N (paper / here)": [f"{text.fmt_int(a)} / {text.fmt_int(b)}" for a, b in zip(tab["n_published"],
                                                                                         tab["n"])],
            "SMD paper": tab["smd_published"], "SMD here": tab["estimate"], "Δ SMD": tab["diff_smd"],
            "CI paper": [text.fmt_ci(lo, hi) for lo, hi in zip(tab["ci_low_published"], tab["ci_high_published"])],
            "CI here": [text.fmt_ci(lo, hi, 3) for lo, hi in zip(tab["ci_low"], tab["ci_high"])],
            "Δ CI low": tab["diff_ci_low"], "Δ CI high": tab["diff_ci_high"],
            "I² paper": tab["i2_published"], "I² here": tab["i2"], "Δ I²": tab["diff_i2"],
            "Rows": [text.provenance_mix(r, unit="trial") for r in
                     tab[["reported", "derived", "reconstructed"]].to_dict("records")],
            "SMD real rows only": tab["estimate_real"],
            "CI real rows only": [text.fmt_ci(lo, hi, 3) if pd.notna(lo) else "no real rows"
                                  for lo, hi in zip(tab["ci_low_real"], tab["ci_high_real"])],
            "Real weight (%)": tab["real_weight"],
            "Verdict": tab["basis"],
            "Note": tab["note"],
        })
        # The build's own account of each cell (data/build/reconstruction_fit.csv): what the reconstruction, which
        # imputes effects but never precision, could not meet, and which values sit at their plausible-range bound.
        fit_file = DATA_DIR / "build" / "reconstruction_fit.csv"
        if ctx.source != "upload" and fit_file.exists():
            fit = pd.read_csv(fit_file, dtype=str, keep_default_na=False).set_index("cell")

            def gap(name: str) -> str:
                if name not in fit.index:
                    return ui.EMPTY
                r = fit.loc[name]
                text = r["gap"] or "met within the paper's rounding"
                if r["bounds_bind"]:
                    text += f"; at a plausible-range bound: {r['bounds_bind']}"
                return text + f" (reconstructed weight {float(r['reconstructed_weight']):.0f}%)"

            shown.insert(shown.columns.get_loc("Note"), "Reconstruction gap (build, DL)", [gap(c) for c in tab["cell"]])
        limits = {"Δ SMD": TOLERANCE["smd"], "Δ CI low": TOLERANCE["ci"], "Δ CI high": TOLERANCE["ci"],
                  "Δ I²": TOLERANCE["i2"]}

        def highlight(col: pd.Series) -> list[str]:
            lim = limits.get(col.name)
            if lim is None:
                return [""] * len(col)
            return ["background-color: #F5C2A8; font-weight: bold" if pd.notna(v) and abs(v) > lim + 1e-9 else ""
                    for v in col]

        styled = (shown.style.apply(highlight)
                  .apply(lambda c: ["" if a else "background-color: #F5C2A8" for a in agree]
                         if c.name == "Agrees" else [""] * len(c))
                  .format({"SMD paper": "{:.2f}", "SMD here": "{:.3f}", "Δ SMD": "{:+.3f}", "Δ CI low": "{:+.3f}",
                           "Δ CI high": "{:+.3f}", "I² paper": "{:.0f}", "I² here": "{:.1f}", "Δ I²": "{:+.1f}",
                           "SMD real rows only": "{:.3f}", "Real weight (%)": "{:.0f}"}, na_rep=ui.EMPTY))
        st.dataframe(styled, hide_index=True, key="reproduce_table", width="stretch", placeholder=ui.EMPTY)
        st.caption("Differences beyond the paper's rounding are shaded and bold; *Agrees* says it in words. "
                   "*Real rows only*: the cell pooled from its reported and derived rows alone. Real weight: the "
                   "share of the pooled weight carried by reported or derived rows. Verdict: **evidence** when real "
                   "rows carry at least half the weight, **by construction** otherwise. *Reconstruction gap*: what "
                   "the build could not meet with reconstructed rows that carry only their trials' own participants "
                   "(precision is never imputed), from `data/build/reconstruction_fit.csv`.")
        ui.csv_button(shown, f"reproduction_{view.method}", key="reproduce_csv")  # what the table shows
        ui.csv_button(tab, f"reproduction_{view.method}_all_columns", key="reproduce_full_csv",
                      label="Download CSV (all columns)")
        ui.report_button(ctx, "Reproduce the paper", [export.Section("Published and recomputed results", table=shown)],
                         key="reproduce_report",
                         headline_text=f"{int(agree.sum())} of {len(tab)} published cells reproduced within rounding; "
                                       f"{int(ev_basis.sum())} rest mainly on reported or derived rows.")
