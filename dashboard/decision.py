"""The "what it means" card: the pooled SMD of the current outcome as an NNT (control-rate slider), U3, the share of
settings with an effect above the MID, and the Bayesian probability of a meaningful benefit (MID slider).

Thin: reads two sliders, calls ``peerstats.translate`` and ``peerstats.benefit``, renders. Numbers are in the
outcome's beneficial direction.
"""

from __future__ import annotations

import math

import streamlit as st

from dashboard import text
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
        post = prob_benefit(b * sel.yi, sel.vi, mid, tau_prior=PRIORS[prior_name])
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
