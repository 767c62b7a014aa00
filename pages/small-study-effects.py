"""Small-study effects: the funnel plot with pseudo-95% limits, Egger's regression test and trim-and-fill."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, export, memo
from dashboard import components as ui
from dashboard import text
from dashboard.context import current
from peerstats.meta import BINARY_BIAS_TESTS, binary_bias_test, egger_test, funnel_limits, pool, trim_and_fill
from peerstats.selmodel import pet_peese, selection_model

ctx = current()
sel = ctx.selection
view = ctx.view
sc = ctx.scale  # the outcome's measure: estimates below are shown on its natural scale (ratios exponentiated)


def nat(x) -> str:
    return text.fmt(sc.natural(x)[0])


def nat_ci(lo, hi) -> str:
    return text.fmt_ci(*sc.natural(lo, hi))


_WHY = {
    "Harbord": ("For an odds ratio Egger's test is not the right one: a log odds ratio and its standard error are "
                "computed from the same 2x2 cells, so they are correlated even when there are no small-study effects, "
                "and Egger's test then finds asymmetry too often. Harbord's test regresses the efficient score "
                "Z/√V on √V (score and variance under no effect, which do not depend on the estimate) and reads the "
                "asymmetry from the intercept (Harbord, Egger & Sterne 2006; Cochrane Handbook 13.3.5.4)."),
    "Peters": ("For a risk ratio Egger's test is not the right one: a log risk ratio and its standard error are "
               "computed from the same 2x2 cells, so they are correlated even when there are no small-study effects. "
               "Harbord's score test is built on the odds ratio, so Peters' test is used: the log risk ratio regressed "
               "on 1/N, the inverse of the total sample size, weighted by the events and non-events, which does not "
               "depend on the estimate (Peters et al. 2006; Cochrane Handbook 13.3.5.4)."),
}
_ARMS = ["events_peer", "n_peer", "events_control", "n_control"]


def binary_small_study(rows) -> list[str]:
    """Harbord's or Peters' test for a binary analysis, drawn under Egger's; its sentences for the report."""
    if sc.measure not in BINARY_BIAS_TESTS:
        return []
    name = BINARY_BIAS_TESTS[sc.measure]
    st.markdown(f"**{name}'s test (for binary outcomes)**")
    if not set(_ARMS) <= set(rows.columns):
        st.info(f"{name}'s test needs each study's events and participants per arm; these rows do not give them.")
        return []
    cells = rows[_ARMS].apply(lambda c: c.astype(float))
    known = cells.notna().all(axis=1)
    res = memo.call(binary_bias_test, *(cells.loc[known, c].to_numpy() for c in _ARMS), measure=sc.measure)
    unknown = int((~known).sum())
    left_out = [f"{text.count(res.k_excluded, 'trial')} with no events or only events (no information)"
                if res.k_excluded else "",
                f"{text.count(unknown, 'row')} without arm counts" if unknown else ""]
    left_out = "; left out: " + ", ".join(w for w in left_out if w) if any(left_out) else ""
    if res.reason:
        st.info(f"{name}'s test is not defined here: {res.reason}{left_out}.")
        st.caption(_WHY[name])
        return [f"{name}'s test: not defined ({res.reason})."]
    c = st.columns(3)
    c[0].metric("Asymmetry coefficient", text.fmt(res.bias),
                help="Harbord: the intercept of Z/√V on √V." if name == "Harbord" else "Peters: the slope on 1/N.")
    c[1].metric(f"t ({res.df} df)", text.fmt(res.statistic))
    c[2].metric("p (asymmetry)", text.fmt_p(res.pval))
    verdict = ("the funnel is asymmetric beyond chance (p < 0.10)" if res.pval < 0.10
               else "no clear evidence of asymmetry (p ≥ 0.10)")
    limit = "odds ratio" if name == "Harbord" else sc.name
    st.markdown(f"{name}'s test on {text.count(res.k, 'trial')}{left_out}: {verdict}. The {limit} expected in a "
                f"very large trial is {nat(res.limit_estimate)} "
                f"(95% CI {nat_ci(res.limit_ci_low, res.limit_ci_high)}).")
    st.caption(_WHY[name])
    return [f"{name}'s test ({res.predictor} as predictor): coefficient {text.fmt(res.bias)}, t = "
            f"{text.fmt(res.statistic)} on {res.df} df, {text.p_phrase(res.pval)}: {verdict}."]


def funnel_text(rows, center: float, tf) -> None:
    """The funnel plot's text alternative (issue 22): a caption with the numbers it shows and, one click away, its
    points as a table (the trials, and the trials trim-and-fill imputed)."""
    import numpy as np
    import pandas as pd

    se = np.sqrt(rows["vi"].to_numpy(dtype=float))
    x = rows["yi"].to_numpy(dtype=float)
    words = (f"{text.count(len(rows), 'trial')}: {sc.short} from {nat(x.min())} to {nat(x.max())} (across), standard "
             f"error from {text.fmt(se.min(), 3)} to {text.fmt(se.max(), 3)} (down: larger trials are higher up"
             f"{', on the log scale' if sc.ratio else ''}); the vertical line is the pooled {sc.short}, "
             f"{nat(center)}, with its pseudo 95% limits as a funnel.")
    if tf.k0:
        words += (f" {text.count(tf.k0, 'trial')} imputed by trim-and-fill (hollow, grey; not data) on the "
                  f"{tf.side} side.")
    st.caption(words)
    est = f"{sc.short}{' (log scale)' if sc.ratio else ''}"
    labels = rows["label"].astype(str) if "label" in rows else pd.Series([f"Row {i + 1}" for i in range(len(rows))])
    kind = (rows["provenance"].astype(str) if "provenance" in rows else pd.Series(["trial data"] * len(rows)))
    table = pd.DataFrame({"Trial": labels.to_numpy(), est: x, "Standard error": se, "Row": kind.to_numpy()})
    if len(tf.filled):
        table = pd.concat([table, pd.DataFrame({
            "Trial": [f"Imputed {i + 1}" for i in range(len(tf.filled))], est: tf.filled["yi"].to_numpy(dtype=float),
            "Standard error": np.sqrt(tf.filled["vi"].to_numpy(dtype=float)),
            "Row": "imputed by trim-and-fill (not data)"})], ignore_index=True)
    ui.chart_data(table, key="sse_funnel_data", column_config={
        est: st.column_config.NumberColumn(format="%.3f"),
        "Standard error": st.column_config.NumberColumn(format="%.3f")})


st.title(f"Small-study effects: {ctx.outcome_label}")
st.caption("Do smaller trials report larger effects? Asymmetry in the funnel can mean publication bias, but also "
           "true differences between small and large trials, or chance. With fewer than 10 trials these tools have "
           "little power (Cochrane Handbook 13.3.5.4): read them as a prompt, not a verdict.")
ui.headline(ctx, key="sse_headline")
if sc.ratio:
    st.caption(f"For a {sc.name} the tests below run on the log scale (the funnel's x axis is logarithmic) and "
               "estimates are shown exponentiated."
               + (f" Besides Egger's test, {BINARY_BIAS_TESTS[sc.measure]}'s test, made for binary outcomes, is shown "
                  "below with the reason." if sc.measure in BINARY_BIAS_TESTS else ""))
report: list = []

include_recon = st.checkbox(
    "Include reconstructed rows (not recommended)", **ui.kept("sse_include_reconstructed", False, (False, True)),
    help="Reconstructed rows are not trial data: they were fitted to the paper's pooled results, with sizes "
         "scaled to the cell's N, so a funnel or a bias test on them measures the reconstruction, not the trials.")
is_real = sel.effects["provenance"].astype(str).ne("reconstructed").to_numpy()
n_recon = int((~is_real).sum())
if include_recon:
    rows, yi, vi = sel.effects, sel.yi, sel.vi
    if n_recon:
        st.warning(f"{text.count(n_recon, 'reconstructed row')} included: these values were imputed to reproduce "
                   "the paper's pooled results, so the tests below partly describe the reconstruction, not the "
                   "trials.")
else:
    rows, yi, vi = sel.effects[is_real].reset_index(drop=True), sel.yi[is_real], sel.vi[is_real]
    if n_recon:
        st.info(f"Run on the {text.count(int(is_real.sum()), 'real row')} (reported or derived) only: the "
                f"{text.count(n_recon, 'reconstructed row')} of this selection {'is' if n_recon == 1 else 'are'} "
                "left out, because a value imputed to reproduce the paper's pooled result says nothing about "
                "whether small trials report larger effects. Tick the box above to include them anyway.")
k = len(yi)

if k < 3 or ctx.pooled is None:
    st.info(f"A funnel plot, Egger's test and trim-and-fill need at least three trials; there "
            f"{'is' if k == 1 else 'are'} {k} here for {text.lower_first(ctx.outcome_label)}.")
else:
    with ui.guard("the small-study analysis"):
        center = memo.call(pool, yi, vi, method=view.method).estimate
        tf = memo.call(trim_and_fill, yi, vi, method=view.method)
        egger = memo.call(egger_test, yi, vi)
        se_max = float(max(vi.max(), tf.filled["vi"].max() if len(tf.filled) else 0.0) ** 0.5) * 1.05
        limits = funnel_limits(center, se_max)
        fig = memo.chart(charts.funnel, ui.chart_frame(rows), center, limits, tf.filled if tf.k0 else None,
                            adjusted_estimate=tf.estimate if tf.k0 else None,
                            title=f"Funnel plot: {ctx.outcome_label}", effect=ctx.scale)
        ui.chart(fig, f"funnel_{view.outcome}", key="sse_funnel")
        funnel_text(rows, center, tf)  # its text alternative: its numbers, and its points as a table
        report.append(export.Section("Funnel plot", chart=fig.chart))

        left, right = st.columns(2)
        with left:
            st.markdown("**Egger's regression test**")
            c = st.columns(3)
            c[0].metric("Bias coefficient", text.fmt(egger.intercept))
            c[1].metric(f"t ({egger.df} df)", text.fmt(egger.statistic))
            c[2].metric("p (asymmetry)", text.fmt_p(egger.pval))
            verdict = ("the funnel is asymmetric beyond chance (p < 0.10, the usual threshold for this test)"
                       if egger.pval < 0.10 else "no clear evidence of asymmetry (p ≥ 0.10)")
            st.markdown(f"Egger's test (metafor `regtest`, predictor SE): {verdict}. The effect expected in a very "
                        f"large trial is {nat(egger.limit_estimate)} "
                        f"(95% CI {nat_ci(egger.limit_ci_low, egger.limit_ci_high)}).")
            binary_words = binary_small_study(rows)
        with right:
            st.markdown("**Trim-and-fill (Duval & Tweedie, L0)**")
            c = st.columns([1, 1, 2])
            c[0].metric("Imputed trials", str(tf.k0))
            c[1].metric(f"Adjusted {sc.short}", nat(tf.estimate))
            c[2].metric("Adjusted 95% CI", nat_ci(tf.ci_low, tf.ci_high))
            if tf.k0:
                st.markdown(f"Trim-and-fill imputes {text.count(tf.k0, 'trial')} on the {tf.side} side "
                            "(drawn hollow and grey, "
                            f"not data); the adjusted {sc.short} is {nat(tf.estimate)} against "
                            f"{nat(tf.observed_estimate)} observed.")
            else:
                st.markdown("Trim-and-fill finds no missing trials: the adjusted estimate equals the observed one.")
        report.append(export.Section("Egger's test and trim-and-fill", text=[
            f"Egger's test: bias coefficient {text.fmt(egger.intercept)}, t = {text.fmt(egger.statistic)} on "
            f"{egger.df} df, {text.p_phrase(egger.pval)}: {verdict}.", *binary_words,
            f"Trim-and-fill: {text.count(tf.k0, 'imputed trial')}; adjusted {sc.short} {nat(tf.estimate)} "
            f"(95% CI {nat_ci(tf.ci_low, tf.ci_high)}) against {nat(tf.observed_estimate)} observed."]))
        if len(tf.filled):
            ui.table(ui.readable(tf.filled[["yi", "vi"]].assign(kind="imputed by trim-and-fill (not data)"),
                                 {"yi": f"Imputed {sc.short} (yi{', log scale' if sc.ratio else ''})"}), f"trimfill_{view.outcome}", key="sse_filled",
                     column_config={f"Imputed {sc.short} (yi{', log scale' if sc.ratio else ''})": st.column_config.NumberColumn(format="%.3f"),
                                    "Variance (vi)": st.column_config.NumberColumn(format="%.4f")})

# --- publication-bias adjustments (issue 11): contour-enhanced funnel, PET-PEESE, selection model ------------------
st.header("Publication-bias adjustments")
real_only = not include_recon  # the page's switch above: real rows only unless reconstructed rows are included
yi_b, vi_b = yi, vi
if len(rows) < 3:
    st.info(f"These adjustments need at least three trials; {text.count(len(rows), 'row')} "
            f"{'of trial data ' if real_only else ''}remain. "
            + ("Tick the box above to include reconstructed rows." if real_only else ""))
else:
    with ui.guard("the publication-bias adjustments"):
        cf = memo.chart(charts.contour_funnel, ui.chart_frame(rows), estimate=ctx.pooled.estimate if ctx.pooled else None,
                                   title=f"Contour-enhanced funnel: {ctx.outcome_label}")
        ui.chart(cf, f"contour_funnel_{view.outcome}", key="sse_contour")
        st.caption(f"The same {text.count(len(rows), 'trial')} as the funnel plot above (their numbers are in its "
                   "*Data of this chart*), on shaded regions of two-sided p: darkest p < 0.01, then 0.01 to 0.05, "
                   "0.05 to 0.10, and white p ≥ 0.10."
                   + (f" The vertical line is the pooled {sc.short}, {nat(ctx.pooled.estimate)}."
                      if ctx.pooled else ""))
        st.caption("Trials in the white region are not significant (two-sided p ≥ 0.10). If trials seem to be "
                   "missing from the white region only, publication bias is a likely cause of asymmetry; if they "
                   "are missing from the shaded regions too, other causes are more likely (Peters et al. 2008).")
        pp = memo.call(pet_peese, yi_b, vi_b)
        left, right = st.columns(2)
        with left:
            st.markdown("**PET-PEESE** (Stanley & Doucouliagos 2014)")
            if pp.reason:
                st.info(f"PET-PEESE is not defined here: {pp.reason}.")
            else:
                c = st.columns(2)
                c[0].metric("PET (SE as predictor)", nat(pp.pet),
                            help=f"95% CI {nat_ci(pp.pet_ci_low, pp.pet_ci_high)}")
                c[1].metric("PEESE (variance)", nat(pp.peese),
                            help=f"95% CI {nat_ci(pp.peese_ci_low, pp.peese_ci_high)}")
                st.markdown(f"PET's limit estimate is {nat(pp.pet)} "
                            f"(95% CI {nat_ci(pp.pet_ci_low, pp.pet_ci_high)}, {text.p_phrase(pp.pet_pval)}); "
                            f"the conditional rule picks **{pp.choice}**: {nat(pp.estimate)} "
                            f"(95% CI {nat_ci(pp.ci_low, pp.ci_high)}). With few trials these limit estimates "
                            "are very imprecise.")
        with right:
            st.markdown("**Selection model** (Vevea & Hedges, step at one-sided p = .025)")
            try:
                with st.spinner("Fitting the selection model: maximum likelihood of the pooled effect, the "
                                "heterogeneity and the publication of non-significant trials..."):
                    sm = memo.call(selection_model, yi_b, vi_b, steps=(0.025,))
            except ValueError as exc:
                sm = None
                st.info(f"The selection model cannot be fitted here: {exc}.")
            if sm is not None:
                c = st.columns(2)
                c[0].metric(f"Selection-model {sc.short}", nat(sm.estimate),
                            help=f"95% CI {nat_ci(sm.ci_low, sm.ci_high)}")
                c[1].metric("Relative publication of non-significant trials", text.fmt(sm.delta[1]))
                st.markdown(f"Adjusted for selection on significance, the {sc.short} is {nat(sm.estimate)} "
                            f"(95% CI {nat_ci(sm.ci_low, sm.ci_high)}) against {nat(sm.unadjusted)} "
                            f"unadjusted (ML); likelihood-ratio test of no selection: {text.p_phrase(sm.lrt_pval)}.")
                if sm.warning:
                    st.warning(sm.warning)
        report.append(export.Section("Publication-bias adjustments", chart=cf.chart, text=[
            f"Rows: {'real rows only' if real_only else 'all rows'} (k = {len(rows)}).",
            (f"PET {nat(pp.pet)} (95% CI {nat_ci(pp.pet_ci_low, pp.pet_ci_high)}); PEESE "
             f"{nat(pp.peese)} (95% CI {nat_ci(pp.peese_ci_low, pp.peese_ci_high)}); chosen: {pp.choice}."
             if not pp.reason else f"PET-PEESE not defined: {pp.reason}."),
            (f"Selection model: adjusted {sc.short} {nat(sm.estimate)} (95% CI {nat_ci(sm.ci_low, sm.ci_high)}),"
             f" LRT {text.p_phrase(sm.lrt_pval)}." if sm is not None else "Selection model: not fitted.")]))

ui.report_button(ctx, f"Small-study effects: {ctx.outcome_label}", report, key="sse_report")
