"""Subgroups: pooled effects per level of one moderator, the test for subgroup differences, and how moderators
overlap (a subgroup difference can be another moderator in disguise)."""

from __future__ import annotations

import streamlit as st

from dashboard import byor, charts, decision, export, memo
from dashboard import components as ui
from dashboard import state as S
from dashboard import text
from dashboard.context import current
from peerstats.meta import mixed_subgroup_test, subgroup_test
from peerstats.select import MODERATORS, VOCABULARY, crosstab, provenance_by, subgroup_inputs

ctx = current()
sel = ctx.selection
view = ctx.view

st.title(f"Subgroups: {ctx.outcome_label}")
ui.headline(ctx, key="subgroups_headline")
report: list = []

names = byor.moderator_choices(ctx)  # codebook moderators the data have, then an upload's categorical columns
if set(names) == {m for m in MODERATORS if m in names} and view.moderator in names:
    st.session_state[S.MODERATOR_KEY] = view.moderator  # from the URL or the last choice (see dashboard.state)
    moderator = st.selectbox("Split by (moderator)", list(names), key=S.MODERATOR_KEY,
                             format_func=lambda m: names[m], on_change=S.remember_moderator)
elif names:  # an upload's own columns: not part of the link (the URL knows the codebook's moderators only)
    moderator = st.selectbox("Split by (moderator)", list(names), format_func=lambda m: names[m],
                             **ui.kept("v_upload_moderator", next(iter(names)), list(names)))
else:
    st.info("These data have no column to split by: add columns with a few distinct values (e.g. setting, format) "
            "to your file.")
    st.stop()
mod_label = names[moderator]
mod_words = text.lower_first(mod_label)
labels = VOCABULARY.get(moderator, {})

if sel.k < 2:
    st.info(f"A subgroup analysis needs at least two trials; the current filters leave {sel.k} for "
            f"{text.lower_first(ctx.outcome_label)}.")
else:
    with ui.guard("the subgroup analysis"):
        yi, vi, groups = subgroup_inputs(sel, moderator)
        res = memo.call(subgroup_test, yi, vi, groups, method=view.method, test=view.test)
        table = res.table()
        fig = memo.chart(charts.subgroup_forest, table, ctx.pooled, title=f"{ctx.outcome_label} by {mod_words}",
                                     favours=ctx.favours, group_labels=dict(labels))
        ui.chart(fig, f"subgroups_{view.outcome}_{moderator}", key="subgroups_forest")
        report.append(export.Section(f"{ctx.outcome_label} by {mod_words}", chart=fig.chart))

        st.header("Test for subgroup differences")
        if len(res.subgroups) < 2:
            st.info(f"All {sel.k} trials fall in one subgroup of {mod_words}: there is nothing to compare.")
        else:
            c = st.columns(3)
            c[0].metric("Q between subgroups", text.fmt(res.q_between))
            c[1].metric("df", str(res.df))
            c[2].metric("p (subgroup difference)", text.fmt_p(res.pval))
            verdict = ("the subgroups differ more than chance alone would explain"
                       if res.pval < 0.05 else "no evidence that the subgroups differ (which is not evidence that "
                       "they are the same)")
            st.markdown(f"By {mod_words}: Q = {text.fmt(res.q_between)} on {res.df} df, "
                        f"{text.p_phrase(res.pval)}: {verdict}. Each subgroup has its own τ² (as RevMan and "
                        "Comprehensive Meta-Analysis); subgroups with one trial take part with its own standard "
                        "error.")
            report.append(export.Section("Test for subgroup differences", text=(
                f"By {mod_words}: Q = {text.fmt(res.q_between)} on {res.df} df, {text.p_phrase(res.pval)}: "
                f"{verdict}.")))
            with ui.guard("the mixed-effects moderator test"):
                mixed = memo.call(mixed_subgroup_test, yi, vi, groups, method=view.method)
                st.caption(f"Mixed-effects meta-regression with a common τ² (metafor `rma(mods = ~ factor(g))`): "
                           f"QM = {text.fmt(mixed.qm)} on {mixed.qm_df} df, {text.p_phrase(mixed.qm_pval)}; "
                           f"residual τ² = {text.fmt(mixed.tau2, 3)}.")
        mix = provenance_by(sel, moderator)
        shown = ui.readable(table.assign(
            group=[labels.get(g, g) for g in table["group"]],
            pval=ui.p_cells(table["pval"]),
            q_pval=ui.p_cells(table["q_pval"]) if "q_pval" in table else None,
            rows=[text.provenance_mix(mix.get(g, {}), unit="row") for g in table["group"]]))
        report.append(export.Section("Subgroups", table=shown))
        ui.table(shown, f"subgroups_{view.outcome}_{moderator}", key="subgroups_table",
                 column_config={ui.COLUMN_LABELS[c]: st.column_config.NumberColumn(format="%.3f")
                                for c in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "q")}
                 | {ui.COLUMN_LABELS["i2"]: st.column_config.NumberColumn(format="%.0f")})

with ui.guard("the meta-regression"):
    report += decision.regression_section(ctx)

st.header("How the moderators overlap")
st.caption("Counts of the trials in this analysis. If most poor-quality trials sit in one category, a difference "
           "between categories may be a difference in quality.")
other_options = [m for m in names if m != moderator]
if not other_options:
    st.stop()
other = st.selectbox("Cross-tabulate with", other_options, format_func=lambda m: names[m],
                     **ui.kept("v_crosstab", "quality" if moderator != "quality" and "quality" in other_options
                               else other_options[0], other_options))
with ui.guard("the cross-tabulation"):
    if sel.k == 0:
        st.info("No trials in this analysis to cross-tabulate.")
    else:
        tab = crosstab(sel.effects.drop_duplicates("trial_id"), moderator, other)
        ui.table(tab, f"crosstab_{moderator}_{other}", key="subgroups_crosstab", hide_index=False)
        other_words = text.lower_first(names[other])
        report.append(export.Section(f"Trials by {mod_words} and {other_words}", table=tab.reset_index()))

ui.report_button(ctx, f"Subgroups: {ctx.outcome_label} by {mod_words}", report, key="subgroups_report")
