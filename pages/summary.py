"""Summary of findings: one row per outcome under the current filters, with a suggested GRADE certainty, the GRADE
informative statement and the NNT at a chosen control response rate (issue 10)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import export
from dashboard import text
from dashboard.context import current
from peerstats.grade import optimal_information_size
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

with ui.guard("the summary of findings"):
    tab = summary_of_findings(ctx.evidence, view.filters, view.method, view.test, mid=mid, cer=cer,
                              outcomes=ctx.outcomes)
    shown = pd.DataFrame({
        "Outcome": tab["label"],
        "Trials (k)": tab["k"].astype(int),
        "Participants": tab["n"].astype(int),
        "SMD (95% CI)": [f"{text.fmt(e)} ({text.fmt_ci(lo, hi)})" if k else "" for e, lo, hi, k in
                         zip(tab["estimate"], tab["ci_low"], tab["ci_high"], tab["k"])],
        "Prediction interval": [text.fmt_ci(lo, hi) if k > 1 else "" for lo, hi, k in
                                zip(tab["pi_low"], tab["pi_high"], tab["k"])],
        "I² (%)": tab["i2"],
        "Certainty": [f"{s} {lab}" if lab else "" for s, lab in zip(tab["symbols"], tab["certainty_label"])],
        "What it means": tab["statement"],
        f"NNT at {cer:.0%} control rate": tab["nnt_text"],
        "Why rated down": tab["reasons"],
        "Caveat": tab["caveat"],
        "Note": tab["note"],
    })
    st.dataframe(shown, hide_index=True, width="stretch", key="sof_table",
                 column_config={"I² (%)": st.column_config.NumberColumn("I² (%)", format="%.0f")})
    ui.csv_button(shown, "summary_of_findings", key="sof_csv")
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
        "- **Risk of bias**: weight share of poor-quality trials or trials at high risk in sequence generation, "
        "allocation concealment, assessor blinding or incomplete data: from 50% serious, from 85% very serious.\n"
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
