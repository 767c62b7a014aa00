"""Risk of bias: the seven domains of the paper's Figure 1 for the selected trials, as robvis draws them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, export, memo, paging
from dashboard import components as ui
from dashboard import text
from dashboard.context import current
from peerstats.second_opinion import ROB2_LEVELS, rob_comparison
from peerstats.select import QUALITY, ROB_DOMAINS

ctx = current()
sel = ctx.selection

st.title("Risk of bias")
if not all(d in ctx.evidence.trials for d in ROB_DOMAINS) or "quality" not in ctx.evidence.trials:
    st.info("These data have no risk-of-bias columns (the seven `rob_*` domains and `quality` of the codebook), so "
            "there is nothing to show here. Columns of your own about bias are filters and subgroups like any other.")
    st.stop()
scope = st.radio("Trials shown", ["filters", "analysis"], **ui.kept("rob_scope", "filters", ("filters", "analysis")),
                 horizontal=True,
                 format_func=lambda s: ("All trials passing the filters" if s == "filters"
                                        else f"Trials in the {text.lower_first(ctx.outcome_label)} analysis"))
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
    report: list = []
    with ui.guard("the risk-of-bias summary"):
        summary = memo.chart(charts.rob_summary, trials)
        ui.chart(summary, "rob_summary", key="rob_summary")
        # its text alternative (issue 22): every bar's count in words (the judgements are in the table below)
        st.caption(text.rob_summary_caption({name: trials[c] for c, name in ROB_DOMAINS.items()})
                   + " Every trial's judgement is in the table below.")
        report.append(export.Section("Summary per domain", chart=summary.chart))
    with ui.guard("the traffic-light chart"):
        page = paging.choose_page(n, "rob_traffic_page", "traffic-light chart")
        on_page = paging.page_slice(trials, page)
        traffic = memo.chart(charts.rob_traffic_light, on_page)
        ui.chart(traffic, "rob_traffic_light", key="rob_traffic")
        st.caption(f"The judgements of these {text.count(len(on_page), 'trial')} per domain "
                   "(+ low risk, ? unclear, − high risk), and their AHRQ quality, are in the table right below.")
        report.append(export.Section("Traffic lights per trial", chart=traffic.chart))
    cols = ["label", "quality", *ROB_DOMAINS]
    rob_table = ui.readable(trials[[c for c in cols if c in trials]].assign(
        quality=trials["quality"].map(lambda q: QUALITY.get(q, q))))
    ui.table(rob_table, "risk_of_bias", key="rob_table")
    report.append(export.Section("Judgements", table=rob_table))
    st.header("A second opinion: Smit et al. (2022), RoB 2")
    with ui.guard("the comparison of the two reviews"):
        both = rob_comparison(trials)
        if both.empty:
            st.info("None of these trials is rated by Smit et al. (2022), who rated 18 of the paper's trials.")
        else:
            differ = both["high_by_paper"] != both["high_by_smit"]
            st.markdown(
                f"Smit et al. (2022, *Psychological Medicine*; Metapsy data set) rated **{len(both)}** of these trials "
                "with the Cochrane RoB 2 tool. *High risk* means AHRQ **poor** quality in Egmose et al. and an overall "
                f"RoB 2 judgement of **high** in Smit et al. The reviews disagree on **{int(differ.sum())}** of "
                f"{len(both)}: {int((both['agreement'] == 'only Smit: high').sum())} trials the paper rates fair or "
                f"good are at high risk by RoB 2, and {int((both['agreement'] == 'only Egmose: high').sum())} poor "
                "ones are not. The sidebar switch *Exclude trials at high risk by either review* leaves out both "
                "kinds; the subgroup page can split by the RoB 2 judgement.")
            shown = pd.DataFrame({
                "Trial": both["label"],
                "Egmose et al. (AHRQ)": both["quality"].map(lambda q: QUALITY.get(q, q)),
                "Egmose: domains at high risk": both["paper_high_domains"],
                "Smit et al. (RoB 2 overall)": both["rob2_overall"].map(lambda v: ROB2_LEVELS.get(v, v)),
                "Agreement on high risk": both["agreement"],
            })
            ui.table(shown, "risk_of_bias_two_reviews", key="rob2_table")
            report.append(export.Section("Two reviews' judgements", table=shown))
    ui.report_button(ctx, "Risk of bias", report, key="rob_report",
                     headline_text=f"{n} trials (AHRQ quality: {words}).")
