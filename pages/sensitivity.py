"""Sensitivity: what happens without poor-quality trials, under other estimators, without each trial in turn, and
as the trials accumulate over the years."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, export, memo, paging
from dashboard import components as ui
from dashboard import view as V
from dashboard import text
from dashboard.context import current, estimator_table, pooled_view
from peerstats.influence import baujat, influence
from peerstats.meta import cumulative, leave_one_out
from peerstats.planning import decisive_trials, s_value, s_value_rows, shift_to_null
from peerstats.risk_of_bias import high_risk
from peerstats.select import exclude_poor

ctx = current()
sel = ctx.selection
view = ctx.view
sc = ctx.scale  # the outcome's measure: estimates in words and tables on its natural scale (ratios exponentiated)


def nat(x) -> str:
    return text.fmt(sc.natural(x)[0])


def nat_ci(lo, hi) -> str:
    return text.fmt_ci(*sc.natural(lo, hi))


#: The leave-one-out and cumulative plots' estimate on its analysis scale, for their data tables (issue 22).
AXIS_LABEL = {"estimate": sc.short if not sc.ratio else f"log {sc.short}",
              "ci_low": "95% CI low" if not sc.ratio else f"95% CI low (log {sc.short})",
              "ci_high": "95% CI high" if not sc.ratio else f"95% CI high (log {sc.short})"}
DATA_FORMATS = {c: st.column_config.NumberColumn(format="%.3f") for c in (*AXIS_LABEL.values(), "τ²")} | {
    "I² (%)": st.column_config.NumberColumn(format="%.0f"), "Year": st.column_config.NumberColumn(format="%d")}

st.title(f"Sensitivity: {ctx.outcome_label}")
report: list = []

# --- 1. exclude poor-quality trials ---------------------------------------------------------------------------------
st.header("Without poor-quality trials")
has_quality = "quality" in ctx.evidence.trials and ctx.evidence.trials["quality"].isin(["good", "fair", "poor"]).any()
if not has_quality:
    st.info("These data have no AHRQ quality column (good / fair / poor), so there is no poor-quality comparison.")
compare = has_quality and st.toggle("Compare with poor-quality trials excluded", **ui.kept("sens_compare_poor", True),
                    help="Before: the current filters. After: the same filters without AHRQ poor-quality trials.")
if compare:
    after_filters = exclude_poor(view.filters)
    after_sel, after, after_err = pooled_view(ctx.evidence, after_filters, view.outcome, view.method, view.test)
    left, right = st.columns(2)
    with left:
        st.markdown("**Before: current filters**")
        ui.headline(ctx, key="sens_before", compact=True)
    with right:
        st.markdown("**After: poor-quality trials excluded**")
        ui.headline(ctx, after_sel, after, after_err, key="sens_after", compact=True,
                    filters=after_filters)
    if ctx.pooled is not None and after is not None:
        diff = after.estimate - ctx.pooled.estimate
        st.metric("Change in pooled SMD (after − before)", text.fmt(diff),
                  help="A large change means the result leans on poor-quality trials.")
        st.markdown(f"Leaving out {text.count(sel.k - after_sel.k, 'poor-quality trial')} moves the pooled SMD from "
                    f"{text.fmt(ctx.pooled.estimate)} to {text.fmt(after.estimate)} (change {text.fmt(diff)}); "
                    f"the {int(round(100 * after.level))}% CI is now {text.fmt_ci(after.ci_low, after.ci_high)}.")
        report.append(export.Section("Without poor-quality trials", text=[
            "Before: " + " ".join(ui.headline_paragraphs(ctx)),
            "After: " + " ".join(ui.headline_paragraphs(ctx, after_sel, after, filters=after_filters)),
            f"Change in pooled SMD: {text.fmt(diff)}."]))
    elif ctx.pooled is not None and after_sel.k == 0:
        st.info("Every trial in the current selection is of poor quality: nothing is left after excluding them.")

# --- 1b. imputed values (issue 17) ----------------------------------------------------------------------------------
st.subheader("Imputed rows: does it matter which trial got which value?")
with ui.guard("the imputation range"):
    rng = ctx.imputation
    st.caption("Reconstructed rows carry values imputed per cell of the paper; which of the cell's trials received "
               "which value is arbitrary. Pooling this view again under every re-assignment shows how much that "
               "choice matters here.")
    if rng is None:
        st.info(text.imputation_detail(None))
    else:
        c = st.columns(3)
        c[0].metric("Pooled SMD, this assignment", text.fmt(rng.estimate))
        c[1].metric("Range over assignments", text.fmt_ci(rng.estimate_low, rng.estimate_high))
        c[2].metric("Assignments pooled", f"{rng.n_assignments:,}" + ("" if rng.exhaustive else " (sample)"))
        st.markdown(text.imputation_detail(rng))
    imputation_lines = [text.imputation_detail(rng)]
    if compare and after_sel.k and after is not None:
        after_rng = ui.view_imputation(ctx, after_sel, after, after_filters)
        after_words = text.imputation_detail(after_rng)
        st.markdown(f"**Poor-quality trials excluded:** {after_words}")
        imputation_lines.append(f"Poor-quality trials excluded: {after_words}")
    report.append(export.Section("Imputed rows: does it matter which trial got which value?",
                                 text=imputation_lines))

# --- 2. estimators -------------------------------------------------------------------------------------------------
st.header("Every estimator")
st.caption(f"The estimator of the whole app is set in the sidebar (now: {ui.method_in_words(view.method, view.test)}). "
           "This table pools the current selection under each one at once.")
if sel.k == 0:
    st.info("No trials match the current filters.")
else:
    with ui.guard("the estimator comparison"):
        est = memo.call(estimator_table, sel)  # shared result: read only
        shown = pd.DataFrame({
            "Estimator": est["method"].map(ui.method_name),
            "Test": est["test"].map(lambda t: V.TESTS.get(t, t)),
            sc.short: [sc.natural(e)[0] for e in est["estimate"]],
            "95% CI": [nat_ci(lo, hi) for lo, hi in zip(est["ci_low"], est["ci_high"])],
            "p": ui.p_cells(est["pval"]),
            "τ²": est["tau2"],
            "I² (%)": est["i2"],
            "Note": est["note"] if "note" in est else None,
        })
        ui.table(shown, f"estimators_{view.outcome}", key="sens_estimators",
                 column_config={sc.short: st.column_config.NumberColumn(format="%.3f"),
                                "τ²": st.column_config.NumberColumn(format="%.4f"),
                                "I² (%)": st.column_config.NumberColumn(format="%.0f")})
        report.append(export.Section("Every estimator", table=shown))

# --- 3. leave one out ----------------------------------------------------------------------------------------------
st.header("Leave one out")
if sel.k > paging.SEQUENTIAL_MAX:
    st.info(f"Leaving each row out in turn is computed for up to {paging.SEQUENTIAL_MAX} rows (it is {sel.k:,} "
            "pooled analyses); narrow the selection with the filters to see it.")
elif sel.k < 3:
    st.info(f"Leaving one trial out needs at least three trials (so that two remain to pool); the current filters "
            f"leave {sel.k}.")
else:
    with ui.guard("the leave-one-out analysis"):
        loo = memo.call(leave_one_out, sel.yi, sel.vi, method=view.method, test=view.test).copy()
        labels = ui.marked_labels(sel.effects).to_numpy()
        loo.insert(0, "label", labels[loo["omitted"].to_numpy()])
        fig = memo.chart(charts.leave_one_out_plot, loo, overall=ctx.pooled.estimate if ctx.pooled else None)
        ui.chart(fig, f"leave_one_out_{view.outcome}", key="sens_loo")
        # its text alternative (issue 22): the numbers in words, and its points as a table one click away
        st.caption(text.leave_one_out_caption(loo["estimate"], ctx.pooled.estimate if ctx.pooled else None, sc))
        ui.chart_data(ui.readable(loo[["label", "estimate", "ci_low", "ci_high", "tau2", "i2"]], AXIS_LABEL),
                      key="sens_loo_data", column_config=DATA_FORMATS)
        ui.csv_button(ui.readable(loo), f"leave_one_out_{view.outcome}", key="sens_loo_csv")  # the plot as numbers
        report.append(export.Section("Leave one out", chart=fig.chart))
        swing = loo.loc[(loo["estimate"] - ctx.pooled.estimate).abs().idxmax()]
        st.markdown(f"The most influential row is **{text.md_escape(swing['label'])}**: without it the pooled "
                    f"{sc.short} is {nat(swing['estimate'])} (95% CI {nat_ci(swing['ci_low'], swing['ci_high'])}) "
                    f"instead of {nat(ctx.pooled.estimate)}.")
        if not sc.is_smd:
            st.caption(f"The leave-one-out and cumulative plots show the {sc.name} on its analysis scale"
                       + (f" (log {sc.short}: 0 is no difference)." if sc.ratio else "."))

# --- 4. cumulative ---------------------------------------------------------------------------------------------------
st.header("Cumulative by year")
if sel.k > paging.SEQUENTIAL_MAX:
    st.info(f"The cumulative analysis is computed for up to {paging.SEQUENTIAL_MAX} rows (it is {sel.k:,} pooled "
            "analyses); narrow the selection with the filters to see it.")
elif sel.k < 2:
    st.info(f"A cumulative analysis needs at least two trials; the current filters leave {sel.k}.")
else:
    with ui.guard("the cumulative analysis"):
        years = (pd.to_numeric(sel.effects["year"], errors="coerce") if "year" in sel.effects
                 else pd.Series(float("nan"), index=sel.effects.index)).to_numpy(dtype=float)
        if np.isnan(years).any():
            st.caption(f"{int(np.isnan(years).sum())} row(s) have no year and are added last.")
        cum = memo.call(cumulative, sel.yi, sel.vi, order=np.where(np.isnan(years), np.inf, years), method=view.method,
                         test=view.test).copy()
        idx = cum["added"].to_numpy()
        cum.insert(0, "label", ui.marked_labels(sel.effects).to_numpy()[idx])
        cum.insert(1, "year", years[idx])
        cum_fig = memo.chart(charts.cumulative_plot, cum)
        ui.chart(cum_fig, f"cumulative_{view.outcome}", key="sens_cumulative")
        st.caption(text.cumulative_caption(cum["year"], cum["estimate"], sc))  # its text alternative (issue 22)
        ui.chart_data(ui.readable(cum[["label", "year", "k", "estimate", "ci_low", "ci_high", "tau2", "i2"]],
                                  AXIS_LABEL | {"label": "Trial added"}),
                      key="sens_cumulative_data", column_config=DATA_FORMATS)
        ui.csv_button(ui.readable(cum), f"cumulative_{view.outcome}", key="sens_cumulative_csv")  # the plot as numbers
        report.append(export.Section("Cumulative by year", chart=cum_fig.chart))

# --- 5. influential trials (issue 11) --------------------------------------------------------------------------------
st.header("Influential trials")
if sel.k < 3:
    st.info(f"Influence diagnostics need at least three trials; the current filters leave {sel.k}.")
else:
    with ui.guard("the influence diagnostics"):
        labels = ui.marked_labels(sel.effects).to_numpy()
        inf = memo.call(influence, sel.yi, sel.vi, method=view.method)
        bj = memo.call(baujat, sel.yi, sel.vi, method=view.method).assign(label=labels, influential=inf["inf"].to_numpy(),
                                                                provenance=sel.effects["provenance"].to_numpy())
        bfig = memo.chart(charts.baujat_plot, bj, title=f"Baujat plot: {ctx.outcome_label}")
        ui.chart(bfig, f"baujat_{view.outcome}", key="sens_baujat")
        st.caption(text.baujat_caption(bj["label"], bj["x"], bj["y"]))  # its text alternative (issue 22)
        ui.chart_data(ui.readable(bj[["label", "x", "y", "influential"]],
                                  {"x": "Contribution to heterogeneity (x)", "y": "Influence on the pooled result (y)",
                                   "influential": "Influential"}),
                      key="sens_baujat_data", column_config={
                          c: st.column_config.NumberColumn(format="%.3f")
                          for c in ("Contribution to heterogeneity (x)", "Influence on the pooled result (y)")})
        st.caption("Right: the trial adds much to the heterogeneity; up: leaving it out moves the pooled result "
                   "much. Orange diamonds are flagged by metafor's criteria (DFFITS, Cook's distance, hat value or "
                   "DFBETAS beyond their cut-offs).")
        tab = inf.assign(label=labels)[["label", "rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del",
                                        "hat", "weight", "inf"]]
        flagged = tab[tab["inf"]]
        shown = ui.readable(tab.sort_values("cook_d", ascending=False), {"rstudent": "Studentised resid.",
                                                                         "cook_d": "Cook's D", "cov_r": "Cov. ratio",
                                                                         "hat": "Hat"})
        st.markdown(f"{text.count(len(flagged), 'trial')} flagged as influential"
                    + (": " + ", ".join(text.md_escape(x) for x in flagged["label"]) + "." if len(flagged) else "."))
        number = st.column_config.NumberColumn
        ui.table(shown, f"influence_{view.outcome}", key="sens_influence",
                 column_config={"Studentised resid.": number(format="%.2f"), "DFFITS": number(format="%.2f"),
                                "Cook's D": number(format="%.3f"), "Cov. ratio": number(format="%.2f"),
                                "τ² without": number(format="%.4f"), "Q without": number(format="%.2f"),
                                "Hat": number(format="%.3f"), "Weight (%)": number(format="%.1f"),
                                "Influential": st.column_config.CheckboxColumn()})
        report.append(export.Section("Influential trials", chart=bfig.chart, table=shown))

# --- 6. what would it take? (issue 11) -----------------------------------------------------------------------------
st.header("What would it take?")
if sel.k < 2 or ctx.pooled is None:
    st.info(f"This needs at least two trials; the current filters leave {sel.k}.")
else:
    with ui.guard("the 'what would it take' panel"):
        include_recon = st.checkbox(
            "S-value and worst case: include reconstructed rows (not recommended)",
            **ui.kept("sens_sv_include_reconstructed", False, (False, True)),
            help="A reconstructed value was imputed to reproduce a published pooled result, never published itself: "
                 "it says nothing about publication bias (as on the Small-study effects page).")
        use = s_value_rows(sel.effects["provenance"], include_recon)
        n_out = int((~use).sum())
        sv = memo.call(s_value, sel.yi[use], sel.vi[use]) if use.any() else None
        sv_rows = (f"S-value and worst case on the {text.count(int(use.sum()), 'real row')} (reported or derived): "
                   f"the {text.count(n_out, 'reconstructed row')} {'is' if n_out == 1 else 'are'} left out."
                   if n_out else "")
        c = st.columns(3)
        if sv is None:
            c[0].metric("S-value (publication bias)", "n/a", help="No real (reported or derived) row in this view.")
            c[1].metric("Worst case (non-significant trials only)", "n/a")
        else:
            c[0].metric("S-value (publication bias)", "∞" if sv.s_value == float("inf") else text.fmt(sv.s_value, 1),
                        help="How many times more likely significant positive trials would have to be published "
                             "than the others to explain the (common-effect) estimate away (Mathur & VanderWeele "
                             "2020).")
            c[1].metric("Worst case (non-significant trials only)", nat(sv.worst_case),
                        help=f"95% CI {nat_ci(sv.worst_case_ci_low, sv.worst_case_ci_high)}")
        decisive = memo.call(decisive_trials, sel.yi, sel.vi, method=view.method, test=view.test)
        c[2].metric("Trials whose removal alone changes the conclusion", str(len(decisive)))
        lines = [sv_rows] if sv_rows else []
        if sv is None:
            lines.append("S-value: no real (reported or derived) row in this view; tick the box above to compute it "
                         "on the reconstructed rows.")
        elif sv.reason:
            lines.append(f"S-value: {sv.reason}.")
        else:
            lines.append(f"Publication bias would have to favour significant positive trials {text.fmt(sv.s_value, 1)}"
                         f"-fold to bring the common-effect estimate ({nat(sv.estimate)}) to "
                         f"{'1' if sc.ratio else 'zero'}.")
        if len(decisive):
            names = ", ".join(text.md_escape(x) for x in ui.marked_labels(sel.effects).to_numpy()[decisive])
            lines.append(f"Leaving out any one of {names} changes whether the 95% CI excludes zero.")
        else:
            lines.append("No single trial's removal changes whether the 95% CI excludes zero.")
        eff = sel.effects
        weak = high_risk(eff).to_numpy()  # the one definition of high risk (peerstats.risk_of_bias)
        if weak.any():
            shift = memo.call(shift_to_null, sel.yi, sel.vi, weak, method=view.method, test=view.test)
            unit = f"log {sc.short}" if sc.ratio else sc.short  # a shift of log ratios: a factor exp(shift)
            null = f"{sc.short} to 1" if sc.ratio else f"{sc.short} to zero"
            lines.append(f"If the {text.count(int(weak.sum()), 'poor-quality or high-risk trial')} had effects "
                         f"{text.fmt(abs(shift))} {unit} {'lower' if shift < 0 else 'higher'} each"
                         + (f" (each ratio {'divided' if shift < 0 else 'multiplied'} by "
                            f"{text.fmt(float(np.exp(abs(shift))))})" if sc.ratio else "")
                         + f", the pooled {sc.short} would be {'1' if sc.ratio else 'zero'}." if np.isfinite(shift) else
                         f"No shift of the poor-quality or high-risk trials alone brings the pooled {null}.")
        else:
            lines.append("No trial in the selection is of poor quality or at high risk of bias in any domain.")
        for line in lines:
            st.markdown(line)
        # the report is plain text: drop the markdown escapes of trial labels
        report.append(export.Section("What would it take?", text=[x.replace("\\", "") for x in lines]))

ui.report_button(ctx, f"Sensitivity: {ctx.outcome_label}", report, key="sens_report")
