"""The shared sidebar: data source, workshop presets, outcome, filters, estimator.

Every widget has a stable key (see :mod:`dashboard.view`) and a visible label a browser test can find. Values live
in ``st.session_state`` under those keys; :func:`render` returns the :class:`~dashboard.view.ViewState` they
describe. The widgets are seeded from the URL on a session's first run (:func:`dashboard.state.init_session`).
"""

from __future__ import annotations

import streamlit as st

from dashboard import loader, memo
from dashboard import state as S
from dashboard import view as V
from peerstats.select import (
    CATEGORIES,
    CONTROLS,
    FORMATS,
    LEADERSHIP,
    PROVENANCE,
    QUALITY,
    ROB_DOMAINS,
    ROB_LEVELS,
    filter_trials,
)


def _apply(view: V.ViewState) -> None:
    """Put a view's values into the widget keys (only valid inside a callback or before the widgets are drawn)."""
    for key, value in V.to_widgets(view).items():
        st.session_state[key] = value


def _current(page: str) -> V.ViewState:
    values = {k: st.session_state.get(k) for k in V.to_widgets(V.DEFAULT)}
    return V.from_widgets(values, page=page, moderator=S.moderator())


def _on_preset(transform, page: str) -> None:
    _apply(transform(_current(page)))


def _on_exclude_poor() -> None:
    """The checkbox edits the quality filter: on = good + fair, off = all levels."""
    st.session_state[V.FILTER_KEYS["quality"]] = ["good", "fair"] if st.session_state[V.EXCLUDE_POOR_KEY] else []


def _on_real_only() -> None:
    """The checkbox edits the provenance filter: on = reported + derived rows, off = all rows."""
    st.session_state[V.FILTER_KEYS["provenance"]] = (["reported", "derived"] if st.session_state[V.REAL_ONLY_KEY]
                                                     else [])


def _sanitise(key: str, options) -> None:
    """Drop stale values (e.g. trial ids of another data source) before the widget is drawn."""
    opts = set(options)
    value = st.session_state.get(key)
    if isinstance(value, list):
        kept = [v for v in value if v in opts]
        if kept != value:
            st.session_state[key] = kept
    elif value is not None and value not in opts:
        st.session_state.pop(key)


def _multi(label: str, key: str, vocab: dict, help: str | None = None, container=None) -> None:
    _sanitise(key, vocab)
    (container or st).multiselect(label, list(vocab), format_func=lambda v: vocab.get(v, v), key=key,
                                  placeholder="All", help=help)


def render(evidence, outcomes: dict, page: str) -> V.ViewState:
    """Draw the sidebar and return the view it describes.

    Parameters
    ----------
    evidence : Evidence
        The data in use (options such as trial names come from it).
    outcomes : dict
        ``outcome -> (domain, label, beneficial)`` in display order (personal first).
    page : str
        Key of the page being shown (``dashboard.view.PAGES``).
    """
    sb = st.sidebar
    # keep the derived checkbox in step with the quality filter before it is drawn
    st.session_state[V.EXCLUDE_POOR_KEY] = V.excludes_poor(st.session_state.get(V.FILTER_KEYS["quality"]) or [])
    st.session_state[V.REAL_ONLY_KEY] = V.real_rows_only(st.session_state.get(V.FILTER_KEYS["provenance"]) or [])

    if loader.has_upload():
        sb.radio("Data source", ["bundled", "upload"], key=loader.SOURCE_KEY, horizontal=True,
                 format_func=lambda v: "Bundled (the paper's 49 trials)" if v == "bundled" else "Your upload",
                 help="Your upload stays in this browser session only; the bundled data are never changed.")

    if not _imported():  # the presets are views of the bundled review: hidden for an imported file (issue 19)
        sb.markdown("**Presets**")
        for label, (key, transform) in V.PRESETS.items():
            sb.button(label, key=key, on_click=_on_preset, args=(transform, page), width="stretch",
                      help=transform.__doc__)

    _sanitise(V.OUTCOME_KEY, outcomes)
    if V.OUTCOME_KEY not in st.session_state:
        st.session_state[V.OUTCOME_KEY] = next(iter(outcomes))

    reported = memo.call(_reported_outcomes, evidence)

    def outcome_name(o: str) -> str:
        domain, label, _ = outcomes.get(o, ("", o, 1))
        return f"{label} · {domain}" + ("" if o in reported else " (no trial reported it)")

    sb.selectbox("Outcome", list(outcomes), key=V.OUTCOME_KEY, format_func=outcome_name,
                 help="Personal-recovery outcomes first, then clinical ones.")
    if "quality" in evidence.trials:
        sb.checkbox("Exclude poor-quality trials", key=V.EXCLUDE_POOR_KEY, on_change=_on_exclude_poor,
                    help="Keep AHRQ good- and fair-quality trials only (the same as choosing them under Quality).")
    sb.checkbox("Trial data only (no reconstructed rows)", key=V.REAL_ONLY_KEY, on_change=_on_real_only,
                help="Pool only reported and derived rows, leaving out rows reconstructed to match the paper (the "
                     "same as choosing reported and derived under Data provenance).")

    has = set(evidence.trials.columns)  # a filter only for the columns the data have (uploads may lack them)
    if "paper_cells" in evidence.effects.columns:  # the preset "The paper's main analysis" sets it (issue 17)
        sb.checkbox("Only the rows the paper pooled", key=V.FLAG_KEYS["paper_analysis"],
                    help="Exactly the trials Egmose et al. pooled for this outcome (its main analysis).")
    if "doubt" in evidence.effects.columns:  # uploads have no doubt column
        sb.checkbox("Exclude doubtful rows", key=V.FLAG_KEYS["exclude_doubtful"],
                    help="Leave out effect rows whose typed numbers look wrong (the 'doubt' column of the data: e.g. "
                         "SDs that look like standard errors, an unidentified comparator, a g without its inputs).")
    if "quality" in has or "rob2_overall" in has:
        sb.checkbox("Exclude trials at high risk by either review", key=V.FLAG_KEYS["exclude_high_risk"],
                    help="Leave out trials rated poor quality (AHRQ) by Egmose et al. or at high overall risk (RoB 2) "
                         "by Smit et al. 2022. A trial not rated by a review is not high risk by it.")
    with sb.expander("Trial filters", expanded=False):
        for label, attr, column, vocab in (("Organisational category", "categories", "category", CATEGORIES),
                                           ("Quality (AHRQ)", "quality", "quality", QUALITY),
                                           ("Control condition", "control", "control", CONTROLS),
                                           ("Peer leadership", "leadership", "leadership", LEADERSHIP),
                                           ("Format", "formats", "format", FORMATS)):
            if column in has:
                _multi(label, V.FILTER_KEYS[attr], vocab)
            else:
                st.session_state.pop(V.FILTER_KEYS[attr], None)
        column_filters = _upload_filters()
        _multi("Data provenance", V.FILTER_KEYS["provenance"], PROVENANCE,
               help="Reported: numbers quoted from a source. Derived: computed from reported statistics by a named "
                    "formula. Reconstructed: imputed, not trial data. Choose reported + derived to keep real rows "
                    "only.")
    if any(d in has for d in ROB_DOMAINS):
        with sb.expander("Risk of bias", expanded=False):
            for domain, label in ROB_DOMAINS.items():
                if domain in has:
                    _multi(label, V.ROB_KEYS[domain], ROB_LEVELS)
    for domain in ROB_DOMAINS:
        if domain not in has:
            st.session_state.pop(V.ROB_KEYS[domain], None)
    with sb.expander("Include / exclude trials", expanded=False):
        labels = dict(zip(evidence.trials["trial_id"].astype(str), evidence.trials["label"].astype(str)))
        _multi("Exclude trials", V.FILTER_KEYS["excluded_trials"], labels,
               help="Leave individual trials out of every analysis.")
    with sb.expander("Model", expanded=False):
        sb_method = ({m: w.replace(" (the paper)", "") for m, w in V.METHODS.items()} if loader.using_upload()
                     else V.METHODS)  # "the paper" is the bundled data's (dashboard.text.for_data)
        _sanitise(V.METHOD_KEY, sb_method)
        st.session_state.setdefault(V.METHOD_KEY, V.DEFAULT.method)
        st.selectbox("Estimator of τ²", list(sb_method), key=V.METHOD_KEY, format_func=lambda m: sb_method[m])
        st.checkbox("Knapp-Hartung adjustment", key=V.KNHA_KEY,
                    help="t-distribution and adjusted standard error for the pooled effect (a sensitivity check).")

    view = _current(page)
    if column_filters:
        from dataclasses import replace

        view = replace(view, filters=replace(view.filters, columns=column_filters))
    n_kept = memo.call(_n_kept, evidence, view.filters)
    sb.caption(f"{n_kept} of {len(evidence.trials)} trials pass the trial filters.")
    return view


def _imported() -> bool:
    """Whether the data in use came from an import (a generic studies file, the Metapsy example, a RevMan file),
    not the bundled review or a bundled-schema upload."""
    from dashboard import byor

    return byor.current_result() is not None


def _upload_filters() -> tuple:
    """Multiselects for an imported file's own categorical columns (issue 9); returns ``Filters.columns``.

    Drawn inside the "Trial filters" expander; keys ``f_col_<column>``. In the link as ``col.<column>=...``
    (:mod:`dashboard.view`), values in the widget's (sorted) order."""
    from dashboard import byor

    result = byor.current_result()
    if result is None:
        return ()
    trials = result.evidence.trials
    out = []
    for col, kind in result.moderators.items():
        if kind != "categorical" or col not in trials:
            continue
        values = sorted({str(v) for v in trials[col] if str(v).strip()})
        key = f"f_col_{col}"
        vocab = {v: v for v in values}
        _multi(result.moderator_names.get(col, col), key, vocab)
        chosen = tuple(v for v in values if v in set(st.session_state.get(key) or []))  # canonical: as the link
        if chosen:
            out.append((col, chosen))
    return tuple(out)


def _reported_outcomes(evidence) -> frozenset:
    """Outcomes with at least one primary effect row (memoised per evidence: the sidebar asks on every rerun)."""
    eff = evidence.effects
    rows = eff.loc[eff["primary"].astype(bool), "outcome"] if "primary" in eff else eff["outcome"]
    return frozenset(rows.astype(str))


def _n_kept(evidence, filters) -> int:
    """Trials passing the trial-level filters (memoised per evidence and filters)."""
    return len(filter_trials(evidence.trials, filters))
