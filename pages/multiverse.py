"""Multiverse and next trial: every reasonable analysis of the outcome at once, and what one more trial would do."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import byor, charts, export, memo, text
from dashboard import components as ui
from dashboard import state as S
from dashboard import view as V
from dashboard.context import current
from peerstats import power_curve, power_next_trial
from peerstats.grade import decode_overrides
from peerstats.designer import add_hypothetical_trials, design_options
from peerstats.multiverse import column_choices
from peerstats.select import MODERATORS, VOCABULARY

#: Specifications from which the curve's first drawing takes about a second (Altair validates every point: 1,176
#: points took 1.5-2.9 s here, benchmarks/bench_datain.py): a progress message says so while it is drawn.
BIG_CURVE = 1000
TITLES = {"category": "Category", "quality": "AHRQ quality", "control": "Control", "leadership": "Leadership"}

def _participants(sel, added: float) -> list[str]:
    """Participants now and with the hypothetical trials (``added``), unknown N said in words, never 0."""
    now = list(sel.effects["n"]) if "n" in sel.effects else [float("nan")] * sel.k
    return [text.fmt_participants(now), text.fmt_participants([*now, added])]


def _use_spec(filters, method: str, test: str, columns: tuple) -> None:
    """Button callback: the sidebar's filters on the upload's own columns (``f_col_<column>``) and the model become
    the specification's (columns it does not restrict: all values)."""
    kept = dict(filters.columns)
    for col in columns:
        st.session_state[f"f_col_{col}"] = list(kept.get(col, ()))
    st.session_state[V.METHOD_KEY] = method
    st.session_state[V.KNHA_KEY] = test == "knha"


ctx = current()
sel = ctx.selection
view = ctx.view
upload = byor.current_result() is not None  # an import: its own columns, not the codebook's
names = byor.moderator_choices(ctx) if upload else {}
# the multiverse varies the file's own categorical columns (those the sidebar filters on: f_col_<column>)
own = ({c: w for c, w in names.items() if byor.current_result().moderators.get(c) == "categorical"} if upload
       else {})
dims = column_choices(ctx.evidence.trials, own, VOCABULARY) if upload else None
if upload:  # the Subgroups page's moderator of this upload (kept by its widget), else the first with 2+ levels
    moderator = st.session_state.get("_kept_v_upload_moderator")
    moderator = moderator if moderator in names else next(iter(names), "")
    titles = dict(names)
    intervention = byor.intervention(ctx) or text.UPLOAD_INTERVENTION
else:
    moderator = view.moderator
    titles = TITLES
    intervention = "peer support"
mod_words = names.get(moderator, moderator) if upload else MODERATORS.get(moderator, moderator)

sc = ctx.scale  # the outcome's measure: estimates in words on its natural scale (ratios exponentiated)


def nat(x) -> str:
    return text.fmt(sc.natural(x)[0])


def nat_ci(lo, hi) -> str:
    return text.fmt_ci(*sc.natural(lo, hi))


st.title(f"Multiverse and next trial: {ctx.outcome_label}")
ui.headline(ctx, key="mv_headline")
report: list = []

# --- 1. the multiverse -----------------------------------------------------------------------------------------------
st.header("The multiverse of analysis choices")
if dims is None:
    st.caption("Every combination of category subset, quality set, control condition, leadership, all or real rows "
               "only, estimator and test that leaves at least two trials; each point is one complete meta-analysis.")
elif dims:
    st.caption("Every combination of the levels of your file's columns "
               f"{', '.join(text.md_escape(w) for w, _ in dims.values())} (all, each level alone and, with three or "
               "more levels, all but one), estimator and test that leaves at least two studies; each point is one "
               "complete meta-analysis.")
else:
    st.caption("Your file has no column with a few distinct values to vary (e.g. setting, format): the multiverse "
               "varies the estimator and the test only.")
mv_progress = st.empty()  # progress in words while the multiverse section takes long; emptied once it is drawn
with ui.guard("the multiverse"):
    # one multiverse per (data, outcome, dimensions) in the process-wide memo (dashboard.memo's cache policy): a
    # second session, or this one back on the page, finds it computed; a miss says what is being pooled, how far
    if memo.multiverse_key(ctx.evidence, view.outcome, dims) in memo.MULTIVERSE:
        specs = memo.multiverse(ctx.evidence, view.outcome, dims)
    else:
        started = time.perf_counter()
        k_rows = int((ctx.evidence.effects["outcome"] == view.outcome).sum())
        bar = mv_progress.progress(0.0, text=f"Pooling every specification of {text.lower_first(ctx.outcome_label)} "
                                       f"({k_rows:,} effect rows): starting…")

        def _progress(done: int, total: int, words: str) -> None:
            bar.progress(done / total, text=f"{words[:1].upper()}{words[1:]} "
                                            f"({time.perf_counter() - started:.1f} s so far)")

        specs = memo.multiverse(ctx.evidence, view.outcome, dims, progress=_progress)
    if len(specs) >= BIG_CURVE:  # drawing a curve of this many points takes a second or more the first time
        mv_progress.progress(1.0, text=f"{len(specs):,} specifications pooled; drawing the specification curve and its "
                                 "table…")
    else:
        mv_progress.empty()
    if len(specs) == 0:
        st.info("No specification leaves two or more trials for this outcome.")
    else:
        est = specs["estimate"].to_numpy(dtype=float)
        finite = np.isfinite(est)
        excl = ((specs["ci_low"] > 0) | (specs["ci_high"] < 0)).to_numpy()[finite]
        c = st.columns(3)
        c[0].metric("Specifications", f"{int(finite.sum()):,}")
        c[1].metric("CI excludes zero", text.fmt_pct(100 * excl.mean()) if excl.size else "–")
        cur = ctx.pooled.estimate if ctx.pooled is not None else None
        pct = 100 * float(np.mean(est[finite] <= cur)) if cur is not None and finite.any() else float("nan")
        c[2].metric("Current view's percentile", "–" if not np.isfinite(pct) else f"{pct:.0f}",
                    help="Share of specifications with an estimate at or below the current view's.")
        ranked = specs[finite].sort_values("estimate", kind="stable")
        position = {spec: i for i, spec in enumerate(ranked.index)}  # the chart's "spec" -> the selectbox's option
        ranked = ranked.reset_index(drop=True)
        options = list(range(len(ranked)))

        def _clicked() -> None:
            """A click on a point selects that specification in the selectbox below (same effect)."""
            try:
                points = st.session_state["mv_curve"]["selection"][charts.SPEC_PICK]
                spec = points[0]["spec"] if isinstance(points, list) else points["spec"][0]
            except (KeyError, IndexError, TypeError):
                return  # a click beside the points, or a double click clearing the selection
            if spec in position:
                st.session_state["mv_pick"] = position[spec]

        fig = memo.chart(charts.specification_curve, specs, current=cur,
                         title=f"Specification curve: {ctx.outcome_label}")
        st.caption("Click a point to select that specification below (double-click clears); or choose it in the list.")
        ui.chart(fig, f"specification_curve_{view.outcome}", key="mv_curve", on_select=_clicked)
        # its text alternative (issue 22): the numbers it shows, and its points as a table one click away
        st.caption(charts.specification_summary(charts.specification_points(specs), cur))
        ui.chart_data(charts.specification_data(specs), key="mv_curve_data",
                      column_config={c: st.column_config.NumberColumn(format="%.3f")
                                     for c in ("Estimate", "95% CI low", "95% CI high")})
        st.markdown(f"Median {sc.short} over the specifications {nat(float(np.median(est[finite])))} "
                    f"(range {nat_ci(float(est[finite].min()), float(est[finite].max()))}); "
                    f"{text.fmt_pct(100 * excl.mean())} of the intervals exclude no effect."
                    + (f" The curve shows the log {sc.short} (0 is no difference)." if sc.ratio else ""))
        n_all_rows = int((specs.loc[finite, "rows"] == "all rows").sum()) if "rows" in specs else 0
        if ctx.imputation is not None and ctx.imputation.varies and n_all_rows:
            st.caption(f"The {n_all_rows:,} 'all rows' specifications pool reconstructed rows, whose imputed values "
                       "were dealt to their trials in an arbitrary order: each such point could sit elsewhere. For "
                       f"the current view, {text.imputation_phrase(ctx.imputation)}; the 'real rows' "
                       "specifications do not depend on it.")

        choice_cols = [c for c, _ in specs.attrs.get("choices", ()) if c not in ("method", "test")]

        def _label(i: int) -> str:
            r = ranked.iloc[i]
            return (f"#{i + 1}: {sc.short} {nat(r['estimate'])} (k = {r['k']}) · "
                    + "".join(f"{r[c]} · " for c in choice_cols) + f"{r['method']}/{r['test']}")

        if st.session_state.get("mv_pick") not in options:
            st.session_state.pop("mv_pick", None)  # another outcome's list was longer
        pick = st.selectbox("Open one specification as the current view", options, format_func=_label,
                            key="mv_pick")
        chosen = ranked.iloc[int(pick)]
        st.markdown(f"**Specification #{int(pick) + 1} of {len(ranked):,}**: {sc.short} {nat(chosen['estimate'])} "
                    f"(95% CI {nat_ci(chosen['ci_low'], chosen['ci_high'])}), k = {chosen['k']}; "
                    f"{text.md_escape(ui.filters_in_words(ctx, chosen['filters']))}; "
                    f"{ui.method_in_words(chosen['method'], chosen['test'])}.")
        # the link reopens this page with the specification as the current view (headline and curve marker then
        # show it, and every page keeps it)
        if dims is None:
            link = S.view_url(V.ViewState(page="multiverse", filters=chosen["filters"], outcome=view.outcome,
                                          method=chosen["method"], test=chosen["test"], moderator=view.moderator))
            st.link_button("Open this specification", link,
                           help="Make this specification the current view (the link carries it, so it can be "
                                "shared).")
        else:  # an upload's own columns: set the sidebar's filters on them (and the model) to this specification
            st.button("Use this specification", key="mv_use_spec", on_click=_use_spec,
                      args=(chosen["filters"], chosen["method"], chosen["test"], tuple(dims)),
                      help="Set the sidebar's filters on your file's columns and the model to this specification.")
        shown = ranked.drop(columns=["filters"]).assign(
            method=lambda f: f["method"].map(ui.method_name),
            test=lambda f: f["test"].map(lambda t: V.TESTS.get(t, t)),
            pval=lambda f: ui.p_cells(f["pval"]),
            note=lambda f: f["note"].where(f["note"].astype(str).str.strip() != "", None))
        shown = ui.readable(shown, {"categories": "Categories", "quality": "AHRQ quality", "control": "Control",
                                    "leadership": "Leadership", "rows": "Rows", "note": "Note",
                                    **({c: w for c, (w, _o) in dims.items()} if dims else {})})
        ui.table(shown, f"multiverse_{view.outcome}", key="mv_table",
                 column_config={"SMD": st.column_config.NumberColumn(format="%.3f"),
                                "95% CI low": st.column_config.NumberColumn(format="%.3f"),
                                "95% CI high": st.column_config.NumberColumn(format="%.3f"),
                                "τ²": st.column_config.NumberColumn(format="%.4f")})
        report.append(export.Section("Multiverse", chart=fig.chart, text=[
            f"{int(finite.sum())} specifications; {text.fmt_pct(100 * excl.mean())} of the CIs exclude zero; the "
            f"current view is at percentile {pct:.0f}." if np.isfinite(pct) else
            f"{int(finite.sum())} specifications; {text.fmt_pct(100 * excl.mean())} of the CIs exclude zero."]))

mv_progress.empty()

# --- 2. the next trial ----------------------------------------------------------------------------------------------
st.header("Designing the next trial")
st.caption("Add one or more **hypothetical** trials: planned, not run. They are never trial data: they appear only in "
           "this section, each labelled *Hypothetical trial n*, and a trial that the current view's filters would "
           f"leave out is left out here too. SMDs are {intervention} minus control in the outcome's own direction.")
if sel.k == 0 or ctx.pooled is None:
    st.info("The next-trial designer needs at least one trial in the current view.")
elif not sc.is_smd:
    st.info(f"The next-trial designer plans a trial by its size per arm and its true SMD, so it is not available for a "
            f"{sc.name}.")
else:
    res = None
    with ui.guard("the next-trial designer"):
        opts = (design_options(ctx.evidence.trials, tuple(dims) if dims else ()) if upload
                else design_options(ctx.evidence.trials))
        default = {"n_per_arm": 100, "as_pooled": True, "smd": 0.2,
                   **{c: ("good" if c == "quality" and "good" in v else (v[0] if v else None))
                      for c, v in opts.items()}}
        # the editor's edits live in its widget state (a rerun keeps them); the table is also kept under
        # "_mv_trials", the editor's starting table whenever its widget state is gone (back from another page)
        if "mv_trials" not in st.session_state:
            base = st.session_state.get("_mv_trials")
            if base is None or not set(opts) <= set(base.columns):  # none yet, or made for other data's columns
                base = pd.DataFrame([default])
            st.session_state["_mv_trials_base"] = base

        def _words(column):
            return lambda v: VOCABULARY.get(column, {}).get(v, v)

        edited = st.data_editor(
            st.session_state["_mv_trials_base"], key="mv_trials", num_rows="dynamic", hide_index=True,
            column_order=["n_per_arm", "as_pooled", "smd", *opts],
            column_config={
                "n_per_arm": st.column_config.NumberColumn("Participants per arm", min_value=2, max_value=100_000,
                                                           step=1, default=100, required=True),
                "as_pooled": st.column_config.CheckboxColumn("SMD = pooled estimate", default=True,
                                                             help="Expect the current pooled SMD."),
                "smd": st.column_config.NumberColumn("Expected SMD", step=0.05, format="%.2f", default=0.2,
                                                     help="Used when 'SMD = pooled estimate' is not ticked."),
                **{c: st.column_config.SelectboxColumn(titles.get(c, c), options=v, default=default[c],
                                                       format_func=_words(c)) for c, v in opts.items()},
            })
        st.session_state["_mv_trials"] = edited
        c = st.columns(2)
        methods = list(V.METHODS)
        method = c[0].selectbox("Model", methods, index=methods.index(view.method) if view.method in methods else 0,
                                key="mv_method", format_func={m: ui.method_name(m) for m in methods}.get)
        c[1].caption(f"Subgroup test by {text.lower_first(mod_words)} (the Subgroups "
                     f"page's moderator); {V.TESTS.get(view.test, view.test)} intervals; GRADE as on the Summary page "
                     "(its threshold, your overrides).")
        try:
            res = memo.call(
                add_hypothetical_trials, sel.effects, edited, view.filters, method, view.test, moderator,
                outcome=text.lower_first(ctx.outcome_label), beneficial=ctx.beneficial,
                overrides=decode_overrides(S.grade_overrides()).get(view.outcome),
                **dict(zip(("threshold", "mid"), S.grade_threshold())))
        except ValueError as exc:
            st.warning(f"{exc} Fix the table above to see the comparison.")
            res = None
    if res is not None:
        with ui.guard("the before/after comparison"):
            tr = res.trials
            listed = pd.DataFrame({
                "Hypothetical trial": tr["label"], "Per arm": tr["n_per_arm"],
                "SMD": [f"{text.fmt(d)}{' (pooled)' if p else ''}" for d, p in zip(tr["smd"], tr["as_pooled"])],
                "Variance": tr["vi"],
                **{titles.get(c, c): tr[c].map(_words(c)) for c in opts},
                "In the current view": ["yes" if ok else f"no: {why}" for ok, why in zip(tr["included"], tr["reason"])],
            })
            st.dataframe(listed, hide_index=True, width="stretch", key="mv_trials_checked", placeholder=ui.EMPTY,
                         column_config={"Variance": st.column_config.NumberColumn(format="%.4f"),
                                        "Per arm": st.column_config.NumberColumn(format="%d")})
            left_out = int((~tr["included"]).sum())
            if left_out:
                st.info(f"{left_out} hypothetical trial{'s' if left_out != 1 else ''} would not pass the current "
                        f"view's filters ({ui.filters_in_words(ctx)}) and {'are' if left_out != 1 else 'is'} left out "
                        "of *after*: see *In the current view*.")
            summ = res.summary()
            sg = mod_words
            frame = pd.DataFrame({
                "": ["now", f"with {text.count(res.k_added, 'hypothetical trial')}"],
                "k": summ["k"], "Participants": _participants(sel, res.n_after - res.n_before),
                "SMD": summ["estimate"],
                "95% CI": [text.fmt_ci(a, b) for a, b in zip(summ["ci_low"], summ["ci_high"])],
                "95% PI": [text.fmt_ci(a, b) for a, b in zip(summ["pi_low"], summ["pi_high"])],
                "I² (%)": summ["i2"],
                f"Subgroups ({sg}): Q between": [
                    "–" if not np.isfinite(q) else f"{text.fmt(q)} on {d} df, {text.fmt_p(p)}"
                    for q, d, p in zip(summ["q_between"], summ["q_between_df"], summ["q_between_pval"])],
                "GRADE certainty": [f"{g.symbols} {g.label}" for g in (res.grade_before, res.grade_after)]})
            st.dataframe(frame, hide_index=True, width="stretch", key="mv_before_after", placeholder=ui.EMPTY,
                         column_config={"SMD": st.column_config.NumberColumn(format="%.3f"),
                                        "I² (%)": st.column_config.NumberColumn(format="%.0f")})
            if res.subgroup_note:
                st.caption(res.subgroup_note[:1].upper() + res.subgroup_note[1:] + ".")
            changes = res.grade_changes()
            moved = changes[changes["changed"]]
            if res.k_added == 0:
                st.markdown("No hypothetical trial is in the current view, so nothing changes.")
            elif moved.empty:
                st.markdown(f"GRADE certainty stays **{res.grade_after.label}**: no domain changes its rating.")
            else:
                st.markdown(f"GRADE certainty: **{res.grade_before.label}** now, **{res.grade_after.label}** with the "
                            "hypothetical trials. What changes:")
                for r in moved.itertuples():
                    st.markdown(f"- **{r.domain}** ({r.before} → {r.after}). Now: {text.md_escape(r.reason_before)} "
                                f"With the hypothetical trials: {text.md_escape(r.reason_after)}")
            with st.expander("Every GRADE domain, now and with the hypothetical trials"):
                st.dataframe(changes.rename(columns={"domain": "Domain", "before": "Now", "after": "After",
                                                     "changed": "Changed", "reason_before": "Why (now)",
                                                     "reason_after": "Why (after)"}),
                             hide_index=True, width="stretch", key="mv_grade_domains", placeholder=ui.EMPTY)
                st.caption("After: the hypothetical trials count as reported trials of their AHRQ quality (no "
                           "risk-of-bias domain ratings) with 2 × n participants.")
            notes = [(f"{len(tr)} hypothetical trial(s), {res.k_added} in the current view; GRADE "
                      f"{res.grade_before.label} now, {res.grade_after.label} after.")]

            first = res.first_included
            if first is None:
                st.info("The power calculation needs a hypothetical trial that passes the current view's filters.")
            else:
                n = float(tr["n_per_arm"].iloc[first])
                smd = float(tr["smd"].iloc[first])
                pw = memo.call(power_next_trial, sel.yi, sel.vi, n, smd, method=method, n_sim=2000)
                err = f" ± {text.fmt(pw.mc_se, 3)} (Monte Carlo, {pw.n_sim:,} draws)" if pw.n_sim else " (closed form)"
                st.markdown(f"**Power of {tr['label'].iloc[first].lower()}** (the first in the current view, alone): "
                            f"a trial with {n:,.0f} per arm and a true SMD of {text.fmt(smd)} makes the updated "
                            f"{ui.method_name(method)} 95% CI exclude zero with probability "
                            f"**{text.fmt(pw.power, 3)}**{err}. The current CI "
                            f"{'already excludes' if pw.current_excludes_zero else 'includes'} zero.")
                grid = np.unique(np.round(np.geomspace(10, max(20, 20 * n), 12)).astype(int))
                curve = memo.call(power_curve, sel.yi, sel.vi, grid, smd, method=method, n_sim=500)
                ui.chart(charts.line_chart(curve, "n_per_arm", "power", x_title="Participants per arm",
                                           y_title="Power", title=f"Power by trial size (true SMD {text.fmt(smd)})"),
                         f"power_curve_{view.outcome}", key="mv_power_curve")
                ui.csv_button(curve, f"power_curve_{view.outcome}", key="mv_power_csv")
                # its text alternative (issue 22): the numbers in words, and its points as a table one click away
                st.caption(text.power_caption(curve["n_per_arm"], curve["power"]))
                ui.chart_data(curve.rename(columns={"n_per_arm": "Participants per arm", "power": "Power",
                                                    "mc_se": "Monte Carlo SE"}),
                              key="mv_power_data", column_config={c: st.column_config.NumberColumn(format="%.3f")
                                                                   for c in ("Power", "Monte Carlo SE")})
                notes.append(f"{tr['label'].iloc[first]}: n = {n:,.0f} per arm, SMD {text.fmt(smd)}, {method}: "
                             f"power {text.fmt(pw.power, 3)}{err}.")
            report.append(export.Section("Next trial (hypothetical trials, not trial data)", table=frame, text=notes))

ui.report_button(ctx, f"Multiverse and next trial: {ctx.outcome_label}", report, key="mv_report")
