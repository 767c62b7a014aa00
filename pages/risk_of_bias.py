"""Risk of bias: the seven domains of the paper's Figure 1 for the selected trials, as robvis draws them."""

from __future__ import annotations

import streamlit as st

from dashboard import charts
from dashboard import components as ui
from dashboard.context import current
from peerstats.select import QUALITY, ROB_DOMAINS

ctx = current()
sel = ctx.selection

st.title("Risk of bias")
scope = st.radio("Trials shown", ["filters", "analysis"], key="rob_scope", horizontal=True,
                 format_func=lambda s: ("All trials passing the filters" if s == "filters"
                                        else f"Trials in the {ctx.outcome_label.lower()} analysis"))
if scope == "filters":
    trials = sel.trials.sort_values("label", kind="stable")
else:
    trials = sel.trials[sel.trials["trial_id"].isin(sel.effects["trial_id"])].sort_values("label", kind="stable")

n = len(trials)
if n == 0:
    st.info("No trials match the current filters.")
else:
    counts = trials["quality"].astype(str).value_counts()
    words = ", ".join(f"{int(counts.get(q, 0))} {QUALITY[q].lower()}" for q in QUALITY)
    st.markdown(f"**{n} trial{'s' if n != 1 else ''}** (AHRQ quality: {words}). Judgements as in the paper's "
                "Figure 1: + low risk, ? unclear, − high risk.")
    with ui.guard("the risk-of-bias summary"):
        ui.chart(charts.rob_summary(trials), "rob_summary", key="rob_summary")
    with ui.guard("the traffic-light chart"):
        ui.chart(charts.rob_traffic_light(trials), "rob_traffic_light", key="rob_traffic")
    cols = ["label", "quality", *ROB_DOMAINS]
    ui.table(trials[[c for c in cols if c in trials]].rename(columns=ROB_DOMAINS), "risk_of_bias", key="rob_table")
