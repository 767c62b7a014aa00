"""Summary of findings: one row per outcome under the current filters, with a suggested GRADE certainty, the GRADE
informative statement and the NNT at a chosen control response rate (issue 10)."""

from __future__ import annotations

import streamlit as st

from dashboard import byor, charts, decision, downloads, memo
from dashboard import components as ui
from dashboard import export
from dashboard import state as S
from dashboard.context import current
from peerstats.grade import (DOMAIN_LABELS, DOMAINS, SEVERITY, THRESHOLDS, decode_overrides,
                             optimal_information_size, threshold_words)
from peerstats.select import MODERATORS
from peerstats.sof import credible_splits, summary_of_findings

ctx = current()
view = ctx.view

st.title("Summary of findings")
st.caption("One row per outcome under the filters in the sidebar: every number, certainty rating and statement is "
           "recomputed when a filter changes. The certainty is a *suggestion* from explicit rules (below), for a "
           "guideline panel to check, not a verdict.")

threshold0, mid0 = S.grade_threshold()  # from the URL on a shared link, then the session
c = st.columns(3)
target = c[0].radio("Certainty about", list(THRESHOLDS), index=list(THRESHOLDS).index(threshold0),
                    format_func=lambda t: {"mid": "an important effect (MID)", "any": "any effect (0)"}[t],
                    key="sof_threshold",
                    help="Core GRADE 2: the threshold the certainty is rated against. The statement and the "
                         "certainty use the same one.")
with c[1]:  # each slider with a number box bound to the same value (WCAG 2.5.7)
    mid = decision.slider_with_box("Minimal important difference (SMD)", 0.05, 0.5, mid0, 0.05, key="sof_mid",
                                   help="The smallest effect that matters to patients. 0.2 is Cohen's 'small' effect.")
with c[2]:
    cer = decision.slider_with_box("Control response rate for the NNT", 0.05, 0.95, 0.3, 0.05, key="sof_cer",
                                   help=ui.text.for_data("The share of people who improve without peer support "
                                                         "(Furukawa & Leucht 2011).", byor.intervention(ctx)))
if (target, round(mid, 2)) != (threshold0, mid0):
    S.set_grade_threshold(target, mid)
    S.write_url(view)  # the link now carries the threshold

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

if not decision.gradable(ctx.evidence):  # a RevMan file: its own measures, no beneficial direction
    with ui.guard("the summary of the analyses"):
        from dashboard.context import scale_of

        st.info("This file's analyses use their own effect measures (risk ratios, odds ratios, mean differences, "
                "...) and do not say which direction is beneficial. The certainty rules here rate an SMD against a "
                "minimal important difference in SMD units and compute the NNT from it, so **no certainty, "
                "statement or NNT is suggested**: the table gives each analysis' pooled estimate on its own scale "
                "(ratios exponentiated) for a panel to rate.")
        tab = memo.outcome_table(ctx.evidence, view.filters, view.method, view.test, outcomes=ctx.outcomes)
        tab = tab[tab["outcome"].isin(list(ctx.outcomes))]
        scales = {o: scale_of(ctx.evidence, o) for o in tab["outcome"]}
        shown = memo.call(decision.measure_table, tab, scales)
        st.dataframe(shown, hide_index=True, width="stretch", key="sof_measures", placeholder=ui.EMPTY,
                     column_config={"I² (%)": st.column_config.NumberColumn("I² (%)", format="%.0f")})
        ui.csv_button(shown, "summary_of_analyses", key="sof_measures_csv")
else:
    with ui.guard("the summary of findings"):
        # Core GRADE 3: an outcome's row is split by the Subgroups page's moderator only where ICEMAN finds the subgroup
        # effect credible (peerstats.sof.credible_splits); the others keep one row with inconsistency judged
        moderator = view.moderator
        examined = tuple(dict.fromkeys([*st.session_state.get("_iceman_examined", ()), moderator]))
        with st.spinner("Checking subgroup credibility (ICEMAN) and how much imputed values matter..."):
            splits = memo.call(credible_splits, ctx.evidence, view.filters, moderator, ctx.outcomes, view.method,
                               view.test, examined=examined, answers=S.iceman_answers())
            credible = [o for o, a in splits.items() if a.credible]
            tab = memo.call(summary_of_findings, ctx.evidence, view.filters, view.method, view.test, mid=mid, cer=cer,
                            outcomes=ctx.outcomes, overrides=overrides, threshold=target,
                            split_by=moderator if credible else None, split_outcomes=credible, imputation=True)
        if byor.intervention(ctx):  # an upload: its statements name its own intervention (dashboard.text.for_data)
            tab = tab.assign(statement=tab["statement"].map(lambda t: ui.text.for_data(t, byor.intervention(ctx))))
        mod_words = MODERATORS.get(moderator, moderator)
        if splits:
            st.caption(f"Subgroups by {str(mod_words).lower()} (the Subgroups page's moderator): "
                       + "; ".join(f"{ctx.outcomes[o][1]}: {a.rating} credibility"
                                   + (" (row split by subgroup)" if a.credible else " (one row)")
                                   for o, a in splits.items())
                       + ". ICEMAN (Schandelmaier et al. 2020); answer its questions on the Subgroups page.")
        else:
            st.caption(f"No outcome suggests a subgroup effect by {str(mod_words).lower()} (interaction p < 0.1), so no "
                       "row is split (Core GRADE 3: only a credible subgroup effect splits the summary).")
        out = decision.sof_exports(tab, cer=cer, threshold=target, mid=mid, filters_words=ui.filters_in_words(ctx),
                                   model_words=ui.method_in_words(view.method, view.test))
        shown, caveats = out.shown, out.caveats
        st.dataframe(shown, hide_index=True, width="stretch", key="sof_table", placeholder=ui.EMPTY,
                     column_config={"I² (%)": st.column_config.NumberColumn("I² (%)", format="%.0f")})
        ui.csv_button(shown, "summary_of_findings", key="sof_csv")  # every row carries its own caveat column
        # The table as an image for slides and guideline documents (certainty in words: see charts.table_image); the
        # caveats travel in its note
        image = memo.call(charts.table_image, out.picture, ui.text.for_data(
            "Summary of findings: peer support compared with control", byor.intervention(ctx)),
                          widths=out.widths, note=out.note)
        st.caption("The table as an image, for slides (its note carries the caveats):")
        downloads.download_buttons(image, "summary_of_findings", key="sof_img")
        for line in caveats:
            st.warning(line, icon="⚠️")
        ui.report_button(ctx, "Summary of findings", [export.Section("Summary of findings", table=shown,
                                                                     text=out.report_text)],
                         key="sof_report")

    with st.expander("How the certainty is suggested"):
        st.markdown(
            "Core GRADE (Guyatt et al., BMJ 2025, parts 1-4; the rules and references are in `docs/grade.md`). "
            "Randomised trials start at **high** certainty; each domain rates down by one level (serious) or two (very "
            "serious). The certainty is about the threshold chosen above, "
            f"**{threshold_words(target, mid)}**, for every domain and the "
            "statement alike.\n\n"
            "- **Risk of bias**: trials at high risk (AHRQ poor, high risk in a key domain, or RoB 2 high) or without "
            "any rating carry 50% of the weight or more: serious; trials known to be at high risk carry 85% or more: "
            "very serious. Unknown is not low; when no trial is rated the domain is *not assessed* and the certainty "
            "*not assessable*.\n"
            "- **Inconsistency**: the prediction interval with t(k − 2) (Cochrane Handbook 10.10.4.3), against the "
            "threshold: serious when between-trial variation takes it across a threshold that the interval without that "
            "variation does not cross; very serious when it then spans important benefit and important harm. No I² "
            "cut-off; a threshold the CI already crosses is imprecision's (not counted twice).\n"
            "- **Imprecision**: the 95% CI crosses the threshold: serious; it spans important benefit and important "
            "harm: very serious; otherwise serious only below the optimal information size "
            f"({optimal_information_size(mid):.0f} participants for an MID of {mid:g}).\n"
            "- **Publication bias**: Egger's test p < 0.10, only on reported or derived rows and only with at least 10.\n"
            "- **Indirectness**: not assessed from the data (set it with an override).\n"
            "- **Imputed values**: more than half of the weight on reconstructed rows: *not assessable* (the number "
            "stays, marked); a smaller share is in the caveat.\n\n"
            "Statements follow Santesso et al. (2020): *probably* for moderate, *may* for low certainty; an effect is "
            "claimed when the point estimate is beyond the threshold.")
