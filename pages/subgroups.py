"""Subgroups: pooled effects per level of one moderator, the test for subgroup differences, and how moderators
overlap (a subgroup difference can be another moderator in disguise)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import byor, charts, decision, export, memo
from dashboard import components as ui
from dashboard import state as S
from dashboard import view as V
from dashboard import text
from dashboard.context import current
from peerstats import iceman
from peerstats.meta import mixed_subgroup_test, subgroup_test
from peerstats.select import VOCABULARY, crosstab, provenance_by, subgroup_inputs
from peerstats.subgroups import pairwise_difference, published_beside

ctx = current()
sel = ctx.selection
view = ctx.view

st.title(f"Subgroups: {ctx.outcome_label}")
ui.headline(ctx, key="subgroups_headline")
report: list = []

names = byor.moderator_choices(ctx)  # codebook moderators the data have, then an upload's categorical columns
if names:  # the view's moderator (the link's, or the last choice: see dashboard.state), else the first offered
    st.session_state[V.MODERATOR_KEY] = view.moderator if view.moderator in names else next(iter(names))
    moderator = st.selectbox("Split by (moderator)", list(names), key=V.MODERATOR_KEY,
                             format_func=lambda m: names[m], on_change=S.remember_moderator)
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
                                     favours=ctx.favours, group_labels=dict(labels),
                                     effect=ctx.scale, sides=ctx.sides)
        ui.chart(fig, f"subgroups_{view.outcome}_{moderator}", key="subgroups_forest")
        # its text alternative (issue 22): the numbers in words; the table "Subgroups" below holds them all
        st.caption(text.subgroup_caption([labels.get(g, g) for g in table["group"]], table["k"], table["estimate"],
                                         table["ci_low"], table["ci_high"], ctx.scale)
                   + (f" All trials: {text.pooled_phrase(ctx.pooled, ctx.scale)}."
                      if ctx.pooled is not None else "")
                   + " Every subgroup's numbers are in the table below the test for subgroup differences.")
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
            if len(yi) <= len(res.subgroups):  # every trial its own subgroup: no residual to estimate
                st.caption(f"The mixed-effects meta-regression with a common τ² needs more trials than subgroups "
                           f"({len(yi)} trials in {len(res.subgroups)} subgroups): not shown.")
            else:
                with ui.guard("the mixed-effects moderator test"):
                    mixed = memo.call(mixed_subgroup_test, yi, vi, groups, method=view.method)
                    st.caption(f"Mixed-effects meta-regression with a common τ² (metafor `rma(mods = ~ factor(g))`): "
                               f"QM = {text.fmt(mixed.qm)} on {mixed.qm_df} df, {text.p_phrase(mixed.qm_pval)}; "
                               f"residual τ² = {text.fmt(mixed.tau2, 3)}.")
        mix = provenance_by(sel, moderator)
        paper = None
        if ctx.source != "upload" and moderator == "category" and len(ctx.evidence.published):
            paper = published_beside(table, ctx.evidence.published, view.outcome)
        sc = ctx.scale  # the outcome's measure: ratios exponentiated in the table (pooled on the log scale)
        natural = {c: [sc.natural(v)[0] for v in table[c]] for c in ("estimate", "ci_low", "ci_high", "pi_low",
                                                                      "pi_high") if c in table and sc.ratio}
        shown = ui.readable(table.assign(
            **natural,
            group=[labels.get(g, g) for g in table["group"]],
            pval=ui.p_cells(table["pval"]),
            q_pval=ui.p_cells(table["q_pval"]) if "q_pval" in table else None,
            rows=[text.provenance_mix(mix.get(g, {}), unit="row") for g in table["group"]]),
            {} if sc.is_smd else {"estimate": sc.short, "se": f"SE (log {sc.short})" if sc.ratio else "SE"})
        if paper is not None:
            shown["The paper (where it differs)"] = [
                (f"SMD {text.fmt(r.smd_published)} ({text.fmt_ci(r.ci_low_published, r.ci_high_published)}), "
                 f"k = {int(r.k_published)}; differs in {r.what}" if r.status == "reported" else
                 f"{r.status.replace('_', ' ')}; differs in {r.what}") if r.differs else ""
                for r in paper.itertuples()]
        report.append(export.Section("Subgroups", table=shown))
        ui.table(shown, f"subgroups_{view.outcome}_{moderator}", key="subgroups_table",
                 column_config={ui.COLUMN_LABELS[c]: st.column_config.NumberColumn(format="%.3f")
                                for c in ("se", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "q")}
                 | {(ui.COLUMN_LABELS["estimate"] if sc.is_smd else sc.short):
                    st.column_config.NumberColumn(format="%.3f")}
                 | {ui.COLUMN_LABELS["i2"]: st.column_config.NumberColumn(format="%.0f")})
        if paper is not None:
            n_diff = int(paper["differs"].sum())
            st.caption(("The paper's own subgroup result is shown beside each cell the recomputation does not reproduce "
                        f"at the paper's rounding ({n_diff} of {len(paper)} here). " if n_diff else
                        "Every subgroup reproduces the paper's published cell at its rounding (or the paper gives "
                        "none). ") + "Under filters other than the paper's these are different analyses; see "
                       "*Reproduce the paper* for why cells differ.")

        if len(res.subgroups) >= 2:
            st.subheader("Compare two subgroups")
            options = list(res.subgroups)
            c = st.columns(2)
            first = c[0].selectbox("Subgroup", options, format_func=lambda g: labels.get(g, g),
                                   **ui.kept(f"v_pair_a_{moderator}", options[0], options))
            rest = [g for g in options if g != first]
            second = c[1].selectbox("compared with", rest, format_func=lambda g: labels.get(g, g),
                                    **ui.kept(f"v_pair_b_{moderator}", rest[0], rest))
            pair = pairwise_difference(res, first, second)
            if sc.ratio:  # a difference of log ratios is a ratio of ratios
                what = (f"{labels.get(first, first)} over {labels.get(second, second)}: ratio of the two {sc.short}s "
                        f"{text.fmt(sc.natural(pair.estimate)[0])} ({text.fmt_ci(*sc.natural(pair.ci_low, pair.ci_high))})")
            else:
                what = (f"{labels.get(first, first)} minus {labels.get(second, second)}: difference in {sc.short} "
                        f"{text.fmt(pair.estimate)} ({text.fmt_ci(pair.ci_low, pair.ci_high)})")
            words = f"{what}, z = {text.fmt(pair.zval)}, {text.p_phrase(pair.pval)} (k = {pair.k1} and {pair.k2})."
            st.markdown(words)
            st.caption("The difference of the two separately pooled estimates, its standard error "
                       "sqrt(SE1² + SE2²) and a z test (Altman & Bland 2003); metafor gives the same numbers "
                       "(validation/pairwise_reference.R). A difference between subgroups of trials compares trials "
                       "with other trials: see its credibility below.")
            report.append(export.Section("Compare two subgroups", text=words))

        st.subheader("Is a subgroup difference credible? (ICEMAN)")
        # honest multiplicity: every moderator looked at in this session counts (kept for the session, not the link)
        examined = tuple(dict.fromkeys([*st.session_state.get("_iceman_examined", ()), moderator]))
        st.session_state["_iceman_examined"] = examined
        answers_all = S.iceman_answers()
        pair_key = (view.outcome, moderator)

        def _answer(item: str, widget: str) -> None:
            answers = S.iceman_answers()
            chosen = st.session_state.get(widget) or ""
            mine = {k: v for k, v in answers.get(pair_key, {}).items() if k != item}
            if chosen:
                mine[item] = chosen
            answers = {k: v for k, v in answers.items() if k != pair_key}
            if mine:
                answers[pair_key] = mine
            S.set_iceman_answers(answers)

        mine = answers_all.get(pair_key, {})
        c = st.columns(len(iceman.USER_ITEMS))
        choices = ["", *iceman.ANSWERS]
        for col, item in zip(c, iceman.USER_ITEMS):
            widget = f"iceman_{view.outcome}_{moderator}_{item}"
            st.session_state[widget] = mine.get(item, "")
            col.radio(iceman.ITEMS[item][0], choices, key=widget, horizontal=True,
                      format_func=lambda a: iceman.ANSWERS.get(a, "not answered"), on_change=_answer,
                      args=(item, widget), help="Only you can answer this (from the review's protocol and the "
                      "literature); your answer is kept in the link.")
        with ui.guard("the ICEMAN assessment"):
            assessment = memo.call(iceman.assess_view, ctx.evidence, view.filters, view.outcome, moderator,
                                   ctx.outcomes, method=view.method, test=view.test, examined=examined,
                                   answers=mine, labels=dict(labels))
            verdict = (f"**{assessment.rating.capitalize()} credibility** that {mod_words} modifies the effect on "
                       f"{text.lower_first(ctx.outcome_label)}"
                       + (": credible enough to report one result per subgroup." if assessment.credible else
                          ": report one pooled result and judge its inconsistency (Core GRADE 3)."))
            st.markdown(verdict)
            st.caption(assessment.reason[0].upper() + assessment.reason[1:] + ". The overall rating follows the rule "
                       "in docs/iceman.md (ICEMAN itself leaves it to judgement).")
            items = ui.readable(pd.DataFrame([{"Question": it.question, "Answer": it.answer,
                                               "Answered by": "the data" if it.by == "data" else "you",
                                               "Why": it.reason} for it in assessment.items]))
            ui.table(items, f"iceman_{view.outcome}_{moderator}", key="subgroups_iceman")
            report.append(export.Section(f"ICEMAN: {mod_words}", text=verdict.replace("**", ""), table=items))

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
