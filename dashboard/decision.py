"""The "what it means" card: the pooled SMD of the current outcome as an NNT (control-rate slider), U3, the share of
settings with an effect above the MID, and the Bayesian probability of a meaningful benefit (MID slider).

Thin: reads two sliders, calls ``peerstats.translate`` and ``peerstats.benefit``, renders. Numbers are in the
outcome's beneficial direction.
"""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from dashboard import memo, text
from peerstats import translate
from peerstats.benefit import HALF_NORMAL_05, RHODES_MENTAL_HEALTH_NONPHARM, prob_benefit

PRIORS = {"Half-normal(0.5) on tau (weakly informative)": HALF_NORMAL_05,
          "Rhodes et al. 2015, mental health, non-drug vs control": RHODES_MENTAL_HEALTH_NONPHARM}


def _nnt_words(r) -> str:
    def one(x):
        if not math.isfinite(x):
            return "no difference (∞)"
        return f"{math.ceil(x)} to benefit one more" if x > 0 else f"{math.ceil(-x)} to harm one more"

    if r.crosses_null:
        b = f"benefit at best 1 in {math.ceil(r.nntb_low)}" if math.isfinite(r.nntb_low) else ""
        h = f"harm at worst 1 in {math.ceil(r.nnth_low)}" if math.isfinite(r.nnth_low) else ""
        span = "; ".join(s for s in (b, h) if s)
        return f"{one(r.nnt)}; the CI includes no effect ({span})"
    hi, lo = r.bounds
    return f"{one(r.nnt)} (95% CI {math.ceil(abs(hi))} to {math.ceil(abs(lo))})"


def what_it_means(ctx) -> None:
    """Render the card for ``ctx.pooled`` (nothing when no trial is selected or pooling failed)."""
    res, sel = ctx.pooled, ctx.selection
    if res is None or not sel.k:
        return
    b = 1 if ctx.beneficial >= 0 else -1
    est = b * res.estimate
    lo, hi = sorted((b * res.ci_low, b * res.ci_high))
    with st.expander("What it means for patients", expanded=False):
        c = st.columns(3)
        cer = c[0].slider("Control response rate", 0.05, 0.95, 0.30, 0.05, key="wim_cer",
                          help="Share of people who improve without peer support (for the NNT).")
        mid = c[1].slider("Minimal important difference (SMD)", 0.05, 0.5, 0.2, 0.05, key="wim_mid")
        prior_name = c[2].selectbox("Prior for heterogeneity", list(PRIORS), key="wim_prior")
        nn = translate.nnt_interval(est, lo, hi, cer)
        post = memo.call(prob_benefit, b * sel.yi, sel.vi, mid, tau_prior=PRIORS[prior_name])
        tau2 = res.tau2 if math.isfinite(res.tau2) else 0.0
        m = st.columns(4)
        m[0].metric("Number needed to treat", "∞" if not math.isfinite(nn.nnt) else f"{math.ceil(abs(nn.nnt))}",
                    help="Furukawa & Leucht 2011, from the SMD and the control rate.")
        m[1].metric("Above the control average (U3)", f"{translate.u3(est):.0%}",
                    help=f"95% CI {translate.u3(lo):.0%} to {translate.u3(hi):.0%}; 50% = no effect.")
        m[2].metric("P(average effect > MID)", f"{post.p_mean_above:.0%}",
                    help="Bayesian random-effects model, normal prior N(0, 1) for the mean, chosen prior for tau.")
        m[3].metric("P(effect in a new setting > MID)", f"{post.p_new_above:.0%}")
        st.markdown(
            f"- Treating people with peer support: {_nnt_words(nn)}, if {cer:.0%} improve without it.\n"
            f"- A person under peer support does better than a random control person with probability "
            f"{translate.cles(est):.0%} (common-language effect size).\n"
            f"- Share of settings whose true effect exceeds the MID ({text.fmt(mid)}): "
            f"{translate.prop_above(est, tau2, mid):.0%} (Mathur & VanderWeele 2019, from the pooled mean and tau²).")


CONTINUOUS = {"year": "Publication year", "n": "Randomised participants (N)"}


def regression_section(ctx, key: str = "subgroups_bubble") -> list:
    """Meta-regression of the current outcome on one continuous moderator: bubble plot, coefficients, R².

    Returns report sections (empty when nothing is drawn).
    """
    from dashboard import charts, export, memo
    from dashboard import components as ui
    from peerstats.regression import fitted_line, meta_regression

    sel, view = ctx.selection, ctx.view
    st.header("Meta-regression on a continuous moderator")
    mod = st.radio("Moderator", list(CONTINUOUS), format_func=CONTINUOUS.get, horizontal=True, key="v_regmod")
    eff = sel.effects
    x = eff[mod].astype(float).to_numpy() if mod in eff else np.full(sel.k, np.nan)
    ok = np.isfinite(x)
    if ok.sum() < 3 or np.unique(x[ok]).size < 2:
        st.info(f"A meta-regression needs at least three trials with different values of "
                f"{CONTINUOUS[mod].lower()}; the current filters leave {int(ok.sum())}.")
        return []
    method = view.method
    res = meta_regression(sel.yi[ok], sel.vi[ok], x[ok], method=method, test=view.test)
    w = 1.0 / (sel.vi[ok] + res.tau2)
    studies = eff.loc[ok].assign(x=x[ok], yi=sel.yi[ok], weight=100 * w / w.sum())
    fig = memo.chart(charts.bubble, studies, fitted_line(res, x[ok]), x_title=CONTINUOUS[mod],
                        title=f"{ctx.outcome_label} by {CONTINUOUS[mod].lower()}")
    ui.chart(fig, f"bubble_{view.outcome}_{mod}", key=key)
    dropped = int((~ok).sum())
    per = "per 100 participants" if mod == "n" else "per year"
    scale = 100.0 if mod == "n" else 1.0
    words = (f"Slope {text.fmt(res.coef[1] * scale, 3)} SMD {per} (95% CI "
             f"{text.fmt_ci(res.ci_low[1] * scale, res.ci_high[1] * scale, 3)}, {text.p_phrase(res.pval[1])}); "
             f"residual τ² = {text.fmt(res.tau2, 3)}, I² = {text.fmt_pct(res.i2)}, R² = {text.fmt_pct(res.r2)} "
             f"(metafor `rma(yi, vi, mods = ~ {mod}, method = \"{method}\")`)."
             + (f" {dropped} trial{'s' if dropped != 1 else ''} without a value left out." if dropped else ""))
    if res.ci_low[1] <= 0 <= res.ci_high[1]:
        words += " The CI of the slope includes 0: no clear trend."
    st.markdown(words)
    return [export.Section(f"{ctx.outcome_label} by {CONTINUOUS[mod].lower()}", chart=fig.chart, text=words)]
