"""Summary of findings: one row per outcome under the current filters, with a suggested GRADE certainty, the GRADE
informative statement and the NNT at a chosen control response rate (issue 10)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, downloads, memo
from dashboard import components as ui
from dashboard import export
from dashboard import state as S
from dashboard import text
from dashboard.context import current
from peerstats.grade import DOMAIN_LABELS, DOMAINS, SEVERITY, decode_overrides, optimal_information_size
from peerstats.sof import summary_of_findings

ctx = current()
view = ctx.view

st.title("Summary of findings")
st.caption("One row per outcome under the filters in the sidebar: every number, certainty rating and statement is "
           "recomputed when a filter changes. The certainty is a *suggestion* from explicit rules (below), for a "
           "guideline panel to check, not a verdict.")

c = st.columns(2)
mid = c[0].slider("Minimal important difference (SMD)", 0.05, 0.5, 0.2, 0.05, key="sof_mid",
                  help="The smallest effect that matters to patients. 0.2 is Cohen's 'small' effect.")
cer = c[1].slider("Control response rate for the NNT", 0.05, 0.95, 0.3, 0.05, key="sof_cer",
                  help="The share of people who improve without peer support (Furukawa & Leucht 2011).")

overrides = decode_overrides(S.grade_overrides())  # from the URL on a shared link, then the session
with st.expander(f"Override a GRADE domain ({sum(len(v) for v in overrides.values())} set)"):
    o = st.columns([2, 2, 1])
    ov_outcome = o[0].selectbox("Outcome", list(ctx.outcomes), format_func=lambda k: ctx.outcomes[k][1],
                                key="sof_ov_outcome")
    ov_domain = o[1].selectbox("Domain", list(DOMAINS), format_func=DOMAIN_LABELS.get, key="sof_ov_domain")
    ov_down = o[2].selectbox("Rate down by", [0, 1, 2], format_func=lambda d: f"{d} ({SEVERITY[d]})",
                             key="sof_ov_down")
    ov_reason = st.text_input("Reason (required)", key="sof_ov_reason")
    b = st.columns(2)
    if b[0].button("Apply override", key="sof_ov_apply", disabled=not ov_reason.strip()):
        overrides.setdefault(ov_outcome, {})[ov_domain] = (ov_down, ov_reason.strip())
        S.set_grade_overrides(overrides)
        S.write_url(view)  # the link now carries the override
    if b[1].button("Clear all overrides", key="sof_ov_clear"):
        overrides = {}
        S.set_grade_overrides(overrides)
        S.write_url(view)
    for oc, doms in overrides.items():
        for dom, (down, reason) in doms.items():
            st.caption(f"{ctx.outcomes.get(oc, (None, oc))[1]} · {DOMAIN_LABELS[dom]}: {SEVERITY[down]} ({reason})")

with ui.guard("the summary of findings"):
    tab = summary_of_findings(ctx.evidence, view.filters, view.method, view.test, mid=mid, cer=cer,
                              outcomes=ctx.outcomes, overrides=overrides)
    shown = pd.DataFrame({
        "Outcome": tab["label"],
        "Trials (k)": tab["k"].astype(int),
        "Participants": tab["n"].astype(int),
        # certainty beside the outcome (GRADE SoF order), on screen at 1024 px with the sidebar open (issue 21)
        "Certainty": [f"{s} {lab}" if lab else None for s, lab in zip(tab["symbols"], tab["certainty_label"])],
        "SMD (95% CI)": [f"{text.fmt(e)} ({text.fmt_ci(lo, hi)})" if k else None for e, lo, hi, k in
                         zip(tab["estimate"], tab["ci_low"], tab["ci_high"], tab["k"])],
        "Prediction interval": [text.fmt_ci(lo, hi) if k > 1 else None for lo, hi, k in
                                zip(tab["pi_low"], tab["pi_high"], tab["k"])],
        "I² (%)": tab["i2"],
        "What it means": tab["statement"],
        f"NNT at {cer:.0%} control rate": tab["nnt_text"],
        "Why rated down": tab["reasons"],
        "Caveat": tab["caveat"],
        "Note": tab["note"],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="sof_table", placeholder=ui.EMPTY,
                 column_config={"I² (%)": st.column_config.NumberColumn("I² (%)", format="%.0f")})
    ui.csv_button(shown, "summary_of_findings", key="sof_csv")
    # The table as an image for slides and guideline documents (certainty in words: see charts.table_image)
    picture = shown[["Outcome", "Trials (k)", "Participants", "SMD (95% CI)", "What it means",
                     f"NNT at {cer:.0%} control rate"]].copy()
    picture.insert(4, "Certainty", [lab.capitalize() if lab else None for lab in tab["certainty_label"]])
    image = memo.call(charts.table_image, picture, "Summary of findings: peer support compared with control",
                      widths={"Outcome": 24, "What it means": 44, "SMD (95% CI)": 20,
                              f"NNT at {cer:.0%} control rate": 22},
                      note=f"Trials: {ui.filters_in_words(ctx)}. Model: {ui.method_in_words(view.method, view.test)}. "
                           f"Certainty: suggested GRADE rating (MID {mid:g} SMD). Made with peerstats.")
    st.caption("The table as an image, for slides:")
    downloads.download_buttons(image, "summary_of_findings", key="sof_img")
    if (tab["reconstructed_share"] > 50).any():
        st.warning("For some outcomes most of the weight comes from rows **reconstructed** from the paper's pooled "
                   "results (see *Caveat*): their certainty describes the paper's numbers, not independently checked "
                   "trial data.", icon="⚠️")
    ui.report_button(ctx, "Summary of findings", [export.Section("Summary of findings", table=shown)],
                     key="sof_report")

with st.expander("How the certainty is suggested"):
    st.markdown(
        "Randomised trials start at **high** certainty; each domain rates down by one level (serious) or two (very "
        "serious):\n\n"
        "- **Risk of bias**: weight share of trials that are poor quality (AHRQ), at high risk in sequence "
        "generation, allocation concealment, assessor blinding or incomplete data, or at high overall risk by RoB 2 "
        "(Smit et al. 2022, for the trials it rated; each trial counted once): from 50% serious, from 85% very "
        "serious.\n"
        "- **Inconsistency**: I² from 50% with a prediction interval spanning no effect and an important effect "
        "(serious); I² from 75% with a prediction interval spanning important benefit and important harm (very "
        "serious).\n"
        "- **Imprecision**: CI spanning no effect and an important effect, or fewer participants than the optimal "
        f"information size ({optimal_information_size(mid):.0f} for an MID of {mid:g}): serious; CI spanning "
        "important benefit and harm: very serious.\n"
        "- **Publication bias**: Egger's test p < 0.10, only on reported or derived rows and only with at least 10.\n"
        "- **Indirectness**: not assessed from the data.\n\n"
        "Statements follow Santesso et al. (2020): *probably* for moderate, *may* for low certainty; a confidence "
        "interval that includes no effect is never described as an effect.")
