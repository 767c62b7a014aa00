"""Multiverse and next trial: every reasonable analysis of the outcome at once, and what one more trial would do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, export
from dashboard import components as ui
from dashboard import state as S
from dashboard import text
from dashboard.context import current
from peerstats import pool, power_curve, power_next_trial, specifications
from peerstats.planning import new_trial_variance

ctx = current()
sel = ctx.selection
view = ctx.view

st.title(f"Multiverse and next trial: {ctx.outcome_label}")
ui.headline(ctx, key="mv_headline")
report: list = []

# --- 1. the multiverse -----------------------------------------------------------------------------------------------
st.subheader("The multiverse of analysis choices")
st.caption("Every combination of category subset, quality set, control condition, leadership, all or real rows only, "
           "estimator and test that leaves at least two trials; each point is one complete meta-analysis.")
with ui.guard("the multiverse"):
    cache = st.session_state.setdefault("_mv_cache", {})
    key = (id(ctx.evidence), view.outcome)
    if key not in cache:
        with st.spinner("Pooling every specification ..."):
            cache.clear()
            cache[key] = specifications(ctx.evidence, view.outcome)
    specs = cache[key]
    if len(specs) == 0:
        st.info("No specification leaves two or more trials for this outcome.")
    else:
        est = specs["estimate"].to_numpy(dtype=float)
        finite = np.isfinite(est)
        excl = ((specs["ci_low"] > 0) | (specs["ci_high"] < 0)).to_numpy()[finite]
        c = st.columns(3)
        c[0].metric("Specifications", f"{int(finite.sum()):,}")
        c[1].metric("CI excludes zero", text.fmt_pct(100 * excl.mean()) if excl.size else "–")
        cur = ctx.pooled.estimate if ctx.pooled is not None else None
        pct = 100 * float(np.mean(est[finite] <= cur)) if cur is not None and finite.any() else float("nan")
        c[2].metric("Current view's percentile", "–" if not np.isfinite(pct) else f"{pct:.0f}",
                    help="Share of specifications with an estimate at or below the current view's.")
        fig = charts.specification_curve(specs, current=cur, title=f"Specification curve: {ctx.outcome_label}")
        ui.chart(fig, f"specification_curve_{view.outcome}", key="mv_curve")
        st.markdown(f"Median SMD over the specifications {text.fmt(float(np.median(est[finite])))} "
                    f"(range {text.fmt_ci(float(est[finite].min()), float(est[finite].max()))}); "
                    f"{text.fmt_pct(100 * excl.mean())} of the intervals exclude zero.")
        ranked = specs[finite].sort_values("estimate", kind="stable").reset_index(drop=True)
        options = list(range(len(ranked)))

        def _label(i: int) -> str:
            r = ranked.iloc[i]
            return (f"#{i + 1}: SMD {text.fmt(r['estimate'])} (k = {r['k']}) · {r['categories']} · {r['quality']} · "
                    f"{r['control']} · {r['leadership']} · {r['rows']} · {r['method']}/{r['test']}")

        pick = st.selectbox("Open one specification as the current view", options, format_func=_label,
                            key="mv_pick")
        chosen = ranked.iloc[int(pick)]
        link = S.view_url(S.ViewState(page="explore", filters=chosen["filters"], outcome=view.outcome,
                                      method=chosen["method"], test=chosen["test"], moderator=view.moderator))
        st.link_button("Open this specification", link)
        shown = ranked.drop(columns=["filters"])
        ui.table(shown, f"multiverse_{view.outcome}", key="mv_table",
                 column_config={"estimate": st.column_config.NumberColumn("SMD", format="%.3f"),
                                "ci_low": st.column_config.NumberColumn("CI low", format="%.3f"),
                                "ci_high": st.column_config.NumberColumn("CI high", format="%.3f"),
                                "pval": st.column_config.NumberColumn("p", format="%.3g"),
                                "tau2": st.column_config.NumberColumn("τ²", format="%.4f")})
        report.append(export.Section("Multiverse", chart=fig, text=[
            f"{int(finite.sum())} specifications; {text.fmt_pct(100 * excl.mean())} of the CIs exclude zero; the "
            f"current view is at percentile {pct:.0f}." if np.isfinite(pct) else
            f"{int(finite.sum())} specifications; {text.fmt_pct(100 * excl.mean())} of the CIs exclude zero."]))

# --- 2. the next trial ----------------------------------------------------------------------------------------------
st.subheader("Designing the next trial")
if sel.k == 0 or ctx.pooled is None:
    st.info("The next-trial designer needs at least one trial in the current view.")
else:
    with ui.guard("the next-trial designer"):
        c = st.columns(3)
        n = c[0].number_input("Participants per arm", min_value=2, max_value=100_000, value=100, step=10,
                              key="mv_n")
        as_pooled = c[1].toggle("Expected SMD = pooled estimate", value=True, key="mv_as_pooled")
        smd = ctx.pooled.estimate if as_pooled else c[1].number_input("Expected SMD", value=0.2, step=0.05,
                                                                      key="mv_smd")
        method = c[2].selectbox("Model", ["FE", "DL", "REML", "PM"], index=1, key="mv_method",
                                format_func=lambda m: S.METHODS.get(m, m))
        v_new = float(new_trial_variance(n, smd))
        after = pool(np.append(sel.yi, smd), np.append(sel.vi, v_new), method=method)
        before = pool(sel.yi, sel.vi, method=method)
        frame = pd.DataFrame({
            "": ["now", "with the new trial (at its expected SMD)"],
            "k": [before.k, after.k], "SMD": [before.estimate, after.estimate],
            "95% CI": [text.fmt_ci(before.ci_low, before.ci_high), text.fmt_ci(after.ci_low, after.ci_high)],
            "95% PI": [text.fmt_ci(before.pi_low, before.pi_high), text.fmt_ci(after.pi_low, after.pi_high)],
            "I² (%)": [before.i2, after.i2]})
        st.dataframe(frame, hide_index=True, width="stretch",
                     column_config={"SMD": st.column_config.NumberColumn(format="%.3f"),
                                    "I² (%)": st.column_config.NumberColumn(format="%.0f")})
        pw = power_next_trial(sel.yi, sel.vi, n, smd, method=method, n_sim=2000)
        err = f" ± {text.fmt(pw.mc_se, 3)} (Monte Carlo, {pw.n_sim:,} draws)" if pw.n_sim else " (closed form)"
        st.markdown(f"A trial with {n:,} per arm and a true SMD of {text.fmt(smd)} makes the updated "
                    f"{S.METHODS.get(method, method)} 95% CI exclude zero with probability "
                    f"**{text.fmt(pw.power, 3)}**{err}. The current CI "
                    f"{'already excludes' if pw.current_excludes_zero else 'includes'} zero.")
        grid = np.unique(np.round(np.geomspace(10, max(20, 20 * n), 12)).astype(int))
        curve = power_curve(sel.yi, sel.vi, grid, smd, method=method, n_sim=500)
        st.line_chart(curve.set_index("n_per_arm")["power"], x_label="Participants per arm", y_label="Power")
        report.append(export.Section("Next trial", table=frame, text=[
            f"n = {n} per arm, SMD {text.fmt(smd)}, {method}: power {text.fmt(pw.power, 3)}{err}."]))

ui.report_button(ctx, f"Multiverse and next trial: {ctx.outcome_label}", report, key="mv_report")
