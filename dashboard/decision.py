"""The "what it means" card: the pooled SMD of the current outcome as an NNT (control-rate slider), U3, the share of
settings with an effect above the MID, and the Bayesian probability of a meaningful benefit (MID slider).

Every slider here and on the Summary page has a number box bound to the same value (:func:`slider_with_box`).

Thin: reads two sliders, calls ``peerstats.translate`` and ``peerstats.benefit``, renders. Numbers are in the
outcome's beneficial direction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import memo, text
from dashboard import state as S
from peerstats import translate
from peerstats.benefit import HALF_NORMAL_05, RHODES_MENTAL_HEALTH_NONPHARM, prob_benefit
from peerstats.grade import NOT_ASSESSABLE_IMPUTED, threshold_words
from peerstats.sof import sof_caveats

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


def box_key(key: str) -> str:
    """The session key of the number box that goes with the slider ``key`` (:func:`slider_with_box`)."""
    return f"{key}_box"


def _copy(src: str, dst: str, lo: float, hi: float) -> None:
    st.session_state[dst] = round(min(hi, max(lo, float(st.session_state[src]))), 2)


def slider_with_box(label: str, lo: float, hi: float, default: float, step: float, *, key: str,
                    help: str | None = None) -> float:
    """A slider and, under it, a number box bound to the same value (WCAG 2.2 2.5.7: what a drag does, a typed
    number does too), in the current container; returns the value.

    One source of truth: ``st.session_state[key]``, the slider's state (``default`` until it is set). Each widget's
    ``on_change`` copies its value into the other's key (clipped to ``lo``-``hi``, rounded to 0.01), so the one used
    last wins and both show it. The box steps by 0.01 (its +/- buttons; typed values need no drag) and the slider by
    ``step``. Both keep their state across reruns; a page left and opened again starts at ``default``.
    """
    box = box_key(key)
    if key not in st.session_state:
        st.session_state[key] = float(default)
    if st.session_state.get(box) != st.session_state[key]:
        st.session_state[box] = float(st.session_state[key])
    value = st.slider(label, lo, hi, step=step, key=key, help=help, on_change=_copy, args=(key, box, lo, hi))
    st.number_input(f"{label}, as a number", lo, hi, step=0.01, format="%.2f", key=box, on_change=_copy,
                    args=(box, key, lo, hi), help="Type a value instead of dragging the slider above.")
    return float(value)


def what_it_means(ctx) -> None:
    """Render the card for ``ctx.pooled`` (nothing when no trial is selected or pooling failed)."""
    res, sel = ctx.pooled, ctx.selection
    if res is None or not sel.k:
        return
    if ctx.scale.measure in translate.NATURAL_NNT_MEASURES:
        with st.expander("What it means for patients", expanded=False):
            natural_nnt_card(ctx)
            st.info(not_for_measure(ctx.scale, "U3 and the probability of an important effect"))
        return
    if not ctx.scale.is_smd or not ctx.scale.direction_known:
        with st.expander("What it means for patients", expanded=False):
            st.info(not_for_measure(ctx.scale, "The number needed to treat, U3 and the probability of an important "
                                                "effect"))
        return
    b = 1 if ctx.beneficial >= 0 else -1
    est = b * res.estimate
    lo, hi = sorted((b * res.ci_low, b * res.ci_high))
    from dashboard.byor import intervention

    iv = intervention(ctx)  # None: the bundled data's words (dashboard.text.for_data)
    with st.expander("What it means for patients", expanded=False):
        _card(ctx, b, est, lo, hi, iv)


@st.fragment
def _card(ctx, b: int, est: float, lo: float, hi: float, iv) -> None:
    """The card's controls and figures: a fragment (issue 22), so moving its sliders, typing in their boxes or
    choosing a prior reruns this card only, not the page, the sidebar and every chart: its widgets change nothing
    else (they are in no link, no other page reads them). ``est``, ``lo``, ``hi``: the pooled SMD and its CI with
    "more is better" signs (``b``: the outcome's beneficial direction); ``iv``: the intervention in words. Its own
    reruns are outside the page's ``guard``, so it has one of its own: a failure is said in words, never a traceback."""
    from dashboard.components import guard

    with guard("the 'what it means' card"):
        _card_figures(ctx, b, est, lo, hi, iv)


def _card_figures(ctx, b: int, est: float, lo: float, hi: float, iv) -> None:
    res, sel = ctx.pooled, ctx.selection
    c = st.columns(3)
    with c[0]:
        cer = slider_with_box("Control response rate", 0.05, 0.95, 0.30, 0.05, key="wim_cer",
                              help=text.for_data("Share of people who improve without peer support (for the "
                                                 "NNT).", iv))
    with c[1]:
        mid = slider_with_box("Minimal important difference (SMD)", 0.05, 0.5, S.grade_threshold()[1], 0.05,
                              key="wim_mid", help="Starts at the Summary page's MID (the certainty's threshold).")
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
    st.markdown(text.for_data(
        f"- Treating people with peer support: {_nnt_words(nn)}, if {cer:.0%} improve without it.\n"
        f"- A person under peer support does better than a random control person with probability "
        f"{translate.cles(est):.0%} (common-language effect size).\n"
        f"- Share of settings whose true effect exceeds the MID ({text.fmt(mid)}): "
        f"{translate.prop_above(est, tau2, mid):.0%} (Mathur & VanderWeele 2019, from the pooled mean and tau²).",
        iv))


def _natural_nnt_words(r, iv: str) -> str:
    """ "treating 25 people with the intervention instead of control means one fewer event (95% CI ...)"."""
    def one(x):
        if not math.isfinite(x):
            return "no difference in events (NNT ∞)"
        return f"one {'fewer' if x > 0 else 'more'} event for every {math.ceil(abs(x))} people treated with {iv}"

    if r.crosses_null:
        b = f"one fewer event per {math.ceil(r.nntb_low)} at best" if math.isfinite(r.nntb_low) else ""
        h = f"one more event per {math.ceil(r.nnth_low)} at worst" if math.isfinite(r.nnth_low) else ""
        return f"{one(r.nnt)}; the CI includes no difference ({'; '.join(x for x in (b, h) if x)})"
    hi, lo = r.bounds
    return f"{one(r.nnt)} (95% CI {math.ceil(min(abs(hi), abs(lo)))} to {math.ceil(max(abs(hi), abs(lo)))})"


def natural_nnt_card(ctx) -> None:
    """The NNT of a binary analysis from its pooled ratio and the control group's risk in the selected studies
    (``peerstats.translate.natural_nnt``; Cochrane Handbook 15.4.4)."""
    res, sc, eff = ctx.pooled, ctx.scale, ctx.selection.effects
    if not {"events_control", "n_control"} <= set(eff.columns):
        st.info("The number needed to treat needs the control groups' events and sizes; these rows do not give "
                "them.")
        return
    events = eff["events_control"].astype(float)
    size = eff["n_control"].astype(float)
    try:
        cer = translate.control_risk(events, size)
        if not 0 < cer < 1:
            raise ValueError(f"the control groups' risk is {cer:.0%}, so no intervention can change it")
        nn = translate.natural_nnt(sc.measure, res.estimate, res.ci_low, res.ci_high, cer)
    except ValueError as exc:
        st.info(f"The number needed to treat cannot be computed here: {exc}.")
        return
    known = events.notna() & size.notna()
    m = st.columns(2)
    m[0].metric("Number needed to treat", "∞" if not math.isfinite(nn.nnt) else f"{math.ceil(abs(nn.nnt))}",
                help=f"From the pooled {sc.name} and the control group's risk (Cochrane Handbook 15.4.4): "
                     + ("1 / (CER − CER × RR)." if sc.measure == "RR" else
                        "(1 − CER (1 − OR)) / ((1 − CER) CER (1 − OR))." if sc.measure != "RD" else "1 / |RD|."))
    m[1].metric("Control group's risk", f"{cer:.1%}",
                help=f"{int(events[known].sum())} events among {int(size[known].sum())} control participants")
    iv = sc.intervention
    st.markdown(
        f"- At the control groups' risk in these data ({int(events[known].sum())} events among "
        f"{int(size[known].sum())} participants, {cer:.1%}): {_natural_nnt_words(nn, iv)}.\n"
        f"- Whether fewer events is better depends on the outcome ({text.lower_first(ctx.outcome_label)}); the file "
        "does not say. The NNT assumes the pooled ratio holds at this risk; at another control risk it differs.")


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
    # its text alternative (issue 22): the numbers in words, and its bubbles as a table one click away
    y_name = ctx.scale.short if not ctx.scale.ratio else f"log {ctx.scale.short}"
    st.caption(text.bubble_caption(studies["x"], studies["yi"], CONTINUOUS[mod], ctx.scale))
    ui.chart_data(pd.DataFrame({"Trial": studies["label"].astype(str).to_numpy(), CONTINUOUS[mod]: studies["x"],
                                y_name: studies["yi"], "Weight (%)": studies["weight"]}), key=f"{key}_data",
                  column_config={y_name: st.column_config.NumberColumn(format="%.3f"),
                                 "Weight (%)": st.column_config.NumberColumn(format="%.1f")})
    dropped = int((~ok).sum())
    per = "per 100 participants" if mod == "n" else "per year"
    scale = 100.0 if mod == "n" else 1.0
    unit = ctx.scale.short if not ctx.scale.ratio else f"log {ctx.scale.short}"
    words = (f"Slope {text.fmt(res.coef[1] * scale, 3)} {unit} {per} (95% CI "
             f"{text.fmt_ci(res.ci_low[1] * scale, res.ci_high[1] * scale, 3)}, {text.p_phrase(res.pval[1])}); "
             f"residual τ² = {text.fmt(res.tau2, 3)}, I² = {text.fmt_pct(res.i2)}, R² = {text.fmt_pct(res.r2)} "
             f"(metafor `rma(yi, vi, mods = ~ {mod}, method = \"{method}\")`)."
             + (f" {dropped} trial{'s' if dropped != 1 else ''} without a value left out." if dropped else ""))
    if res.ci_low[1] <= 0 <= res.ci_high[1]:
        words += " The CI of the slope includes 0: no clear trend."
    st.markdown(words)
    return [export.Section(f"{ctx.outcome_label} by {CONTINUOUS[mod].lower()}", chart=fig.chart, text=words)]


@dataclass(frozen=True)
class SofExports:
    """Everything the Summary of findings exports, built once so that each carries the caveats.

    Attributes
    ----------
    shown : DataFrame
        The page's table and the CSV: per row the certainty in words ("Not assessable: mostly imputed values"), the
        SMD marked "(mostly imputed)" where it is, the reasons and the row's caveat.
    picture : DataFrame
        The columns of the image for slides (certainty in words).
    widths : dict
        Column widths of the image (characters).
    note : str
        The image's note: filters, model, threshold, then every caveat.
    caveats : list of str
        :func:`peerstats.sof.sof_caveats`: shown on the page and in the HTML report.
    report_text : list of str
        The HTML report's paragraphs: the threshold, then the caveats.
    """

    shown: pd.DataFrame
    picture: pd.DataFrame
    widths: dict
    note: str
    caveats: list
    report_text: list


def _participants(tab: pd.DataFrame) -> list:
    """Participants per row in words: "4,084"; "at least 1,200" when some trials' sizes are unknown; "unknown" when
    none is known (unknown is not zero)."""
    unknown = tab["n_unknown"].fillna(0).astype(int) if "n_unknown" in tab else pd.Series(0, index=tab.index)
    out = []
    for n, nu, k in zip(tab["n"], unknown, tab["k"]):
        if not k:
            out.append(None)
        elif nu >= k:
            out.append("unknown")
        else:
            out.append(f"at least {text.fmt_int(n)}" if nu else text.fmt_int(n))
    return out


def sof_exports(tab: pd.DataFrame, *, cer: float, threshold: str, mid: float, filters_words: str,
                model_words: str) -> SofExports:
    """The Summary-of-findings exports of ``tab`` (:func:`peerstats.sof.summary_of_findings`)."""
    imputed = tab["not_assessable"].eq(NOT_ASSESSABLE_IMPUTED)
    marked = [" (mostly imputed)" if m else "" for m in imputed]
    nnt = f"NNT at {cer:.0%} control rate"
    in_words = [(na[:1].upper() + na[1:] if na else lab.capitalize()) if lab else None
                for lab, na in zip(tab["certainty_label"], tab["not_assessable"])]
    shown = pd.DataFrame({
        "Outcome": tab["label"],
        **({"Subgroup": tab["subgroup"]} if tab["subgroup"].astype(bool).any() else {}),
        "Trials (k)": tab["k"].astype(int),
        "Participants": _participants(tab),
        # certainty beside the outcome (GRADE SoF order), on screen at 1024 px with the sidebar open (issue 21)
        "Certainty": [f"{s} {lab}" if s else w for s, lab, w in zip(tab["symbols"], tab["certainty_label"], in_words)],
        "SMD (95% CI)": [f"{text.fmt(e)} ({text.fmt_ci(lo, hi)}){m}" if k else None for e, lo, hi, k, m in
                         zip(tab["estimate"], tab["ci_low"], tab["ci_high"], tab["k"], marked)],
        **({"If imputed values were assigned otherwise": [
            f"{text.fmt(lo)} to {text.fmt(hi)}" if np.isfinite(lo) and np.isfinite(hi) else None
            for lo, hi in zip(tab["imputation_low"].astype(float), tab["imputation_high"].astype(float))]}
           if "imputation_low" in tab and tab["imputation_low"].notna().any() else {}),
        "Prediction interval": [text.fmt_ci(lo, hi) if k > 1 else None for lo, hi, k in
                                zip(tab["pi_low"], tab["pi_high"], tab["k"])],
        "I² (%)": tab["i2"],
        "What it means": tab["statement"],
        nnt: tab["nnt_text"],
        "Why rated down": tab["reasons"],
        "Caveat": tab["caveat"],
        "Note": tab["note"],
    })
    picture = shown[[c for c in ("Outcome", "Subgroup", "Trials (k)", "Participants", "SMD (95% CI)",
                                 "What it means", nnt) if c in shown]].copy()
    picture.insert(picture.columns.get_loc("SMD (95% CI)") + 1, "Certainty", in_words)
    caveats = sof_caveats(tab)
    note = " ".join([f"Trials: {filters_words}. Model: {model_words}. Certainty: suggested GRADE rating about "
                     f"{threshold_words(threshold, mid)}.", *caveats, "Made with peerstats."])
    widths = {"Outcome": 24, "What it means": 44, "SMD (95% CI)": 20, "Certainty": 22, nnt: 22}
    report_text = [f"Certainty: suggested GRADE rating about {threshold_words(threshold, mid)}.", *caveats]
    return SofExports(shown=shown, picture=picture, widths=widths, note=note, caveats=caveats,
                      report_text=report_text)


def not_for_measure(scale, what: str) -> str:
    """Why an SMD-based figure is not shown for another measure, in words ("... are not available for a risk
    ratio ...")."""
    if scale.is_smd:
        return (f"{what} need the outcome's beneficial direction, which this file does not give (it does not say "
                "whether a higher value is good or bad), so they are not shown.")
    return (f"{what} are computed here from a standardised mean difference (the SMD, a control response rate and an "
            f"SMD-sized minimal important difference), so they are not available for a {scale.name}. Its pooled "
            "estimate and interval above are on its own scale"
            + (" (exponentiated: 1 is no difference)." if scale.ratio else "."))


def gradable(evidence) -> bool:
    """Whether the Summary's GRADE rules apply to the evidence's outcomes: SMDs with a known beneficial direction
    (the bundled review, a generic upload). A RevMan file's analyses carry their own measures and no direction."""
    return "measure" not in evidence.effects


def measure_table(tab: pd.DataFrame, scales: dict) -> pd.DataFrame:
    """The Summary's table for outcomes the GRADE rules do not rate (:func:`gradable`): one row per outcome of
    :func:`peerstats.select.outcome_table` ``tab``, its estimate on the measure's natural scale (``scales``: outcome
    -> :class:`dashboard.text.Scale`), and in words why no certainty is suggested."""
    rows = []
    for r in tab.itertuples():
        sc = scales[r.outcome]
        est, lo, hi, pi_lo, pi_hi = sc.natural(r.estimate, r.ci_low, r.ci_high,
                                               getattr(r, "pi_low", float("nan")), getattr(r, "pi_high", float("nan")))
        k = int(r.k)
        rows.append({
            "Outcome": r.label, "Measure": sc.name, "Studies (k)": k,
            "Participants": (text.fmt_int(r.n) if r.n else "unknown") if k else None,
            "Estimate (95% CI)": f"{sc.short} {text.fmt(est)} ({text.fmt_ci(lo, hi)})" if k else None,
            "p": text.fmt_p(r.pval) if k else None,
            "I² (%)": r.i2 if k > 1 else None,
            "Certainty (GRADE)": ("not suggested: the rules' thresholds are SMDs and the file does not say which "
                                  "direction is beneficial (rate it by hand)") if k else None,
            "Note": r.note,
        })
    return pd.DataFrame(rows)


def certainty(ctx):
    """The Summary page's suggested GRADE certainty of ``ctx``'s outcome under the same filters, threshold and
    overrides (a :class:`peerstats.grade.Grade`), for the sentence under the headline (Explore, the presentation
    slide); ``None`` when nothing is pooled."""
    from peerstats.grade import decode_overrides, grade_outcome

    sel, res = ctx.selection, ctx.pooled
    if res is None or not sel.k or not ctx.scale.is_smd:  # the rules' thresholds are SMDs (Summary says so)
        return None
    threshold, mid = S.grade_threshold()
    try:
        return grade_outcome(sel.effects, res, outcome=text.lower_first(ctx.outcome_label), beneficial=ctx.beneficial,
                             mid=mid, threshold=threshold,
                             overrides=decode_overrides(S.grade_overrides()).get(ctx.view.outcome))
    except ValueError:
        return None
