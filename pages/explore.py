"""Explore (home): the pooled effect of the chosen outcome for the current filters, its forest plot, and every
outcome's pooled effect under the same filters (click a row to switch outcome)."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboard import byor, charts, decision, export, memo, paging, text
from dashboard import components as ui
from dashboard import view as V
from dashboard.context import current, scale_of

ctx = current()
sel = ctx.selection

title = (f"{ctx.outcome_label}: {ctx.scale.intervention} compared with {ctx.scale.control}"
         if not ctx.scale.direction_known else
         text.for_data(f"{ctx.outcome_label}: peer support compared with control", byor.intervention(ctx)))
st.title(title)
source = (f"Your uploaded data: {len(ctx.evidence.trials)} trials" if ctx.source == "upload" else
          "Egmose et al. (2023): 49 randomised trials of peer support for adults with mental illness")
st.caption(f"{source}. Change the outcome and filters in the sidebar; every number and plot below is recomputed at "
           "once.")

ui.headline(ctx, certainty=decision.certainty(ctx))  # the sentence carries the certainty's hedge
with ui.guard("the 'what it means' card"):
    decision.what_it_means(ctx)
report: list = []

with ui.guard("the forest plot"):
    if sel.k:
        frame = ui.chart_frame(sel.effects)
        if sel.k > paging.PAGE_ROWS:  # long analyses: a page of rows at a time (weights stay shares of the whole)
            if ctx.pooled is not None:
                frame["weight"] = ctx.pooled.weights
            frame = paging.page_slice(frame, paging.choose_page(sel.k, "explore_forest_page", "forest plot"))
        fig = memo.chart(charts.forest, frame, ctx.pooled, ctx.outcome_label, favours=ctx.favours,
                         effect=ctx.scale, sides=ctx.sides,
                         method_label=f"Pooled ({ctx.view.method})")
        ui.chart(fig, f"forest_{ctx.view.outcome}", key="explore_forest")
        # its text alternative (issue 22): the numbers it shows in words, and its rows as a table one click away
        st.caption(text.forest_caption(frame["yi"], ctx.pooled, ctx.scale, of=sel.k))
        ui.chart_data(ui.forest_data(frame, ctx.pooled, ctx.scale), key="explore_forest_data",
                      column_config={c: st.column_config.NumberColumn(format="%.2f")
                                     for c in ("Estimate", "95% CI low", "95% CI high")}
                      | {"Weight (%)": st.column_config.NumberColumn(format="%.1f")})
        report.append(export.Section(f"Forest plot: {ctx.outcome_label}", chart=fig.chart,
                                     text="Reconstructed rows (not trial data) are drawn hollow with dashed CIs."))


def _pick_outcome(options: list[str], key: str) -> None:
    rows = st.session_state[key].selection.rows
    if rows:
        st.session_state[V.OUTCOME_KEY] = options[rows[0]]


st.header("Every outcome under these filters")
st.caption("Click a row to show that outcome above.")
with ui.guard("the outcome table"):
    tab = memo.outcome_table(ctx.evidence, ctx.view.filters, ctx.view.method, ctx.view.test, outcomes=ctx.outcomes)
    scales = None if decision.gradable(ctx.evidence) else {o: scale_of(ctx.evidence, o) for o in tab["outcome"]}
    shown = memo.call(ui.outcome_display, tab, scales)
    options = list(tab["outcome"])
    key = f"explore_outcomes_{ctx.view.outcome}"
    default_row = [options.index(ctx.view.outcome)] if ctx.view.outcome in options else []
    st.dataframe(shown, hide_index=True, column_config=ui.OUTCOME_COLUMNS, key=key, width="stretch",
                 height=36 * (len(shown) + 1) + 4,
                 on_select=partial(_pick_outcome, options, key), selection_mode="single-row",
                 selection_default={"selection": {"rows": default_row}}, placeholder=ui.EMPTY)
    ui.csv_button(shown, "outcomes_current_filters", key="explore_outcomes_csv")
    report.append(export.Section("Every outcome under these filters", table=shown))

ui.report_button(ctx, title, report, key="explore_report")
