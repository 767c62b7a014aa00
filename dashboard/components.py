"""Small Streamlit building blocks the pages share: the headline, the provenance notice, charts and tables with
their downloads, and :func:`guard`, which turns any error into words instead of a traceback.

No statistics here: numbers come from :mod:`peerstats` results, words from :mod:`dashboard.text`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from dashboard import text  # noqa: F401 - pages use ui.text too
from dashboard.charts.base import is_finite
from peerstats.errors import ConvergenceError, DataValidationError, NoStudiesError, TooFewStudiesError
from peerstats.select import PROVENANCE

log = logging.getLogger("peerstats.app")

RECONSTRUCTED_TEXT = "reconstructed (not trial data)"

#: What an empty table cell shows (``st.dataframe(placeholder=...)``); the CSV download leaves it empty.
EMPTY = "\u2013"

#: Readable headers of the engine's and the codebook's column names (tables rename their frames with
#: :func:`readable`, so the CSV download has the same headers as the table on screen).
COLUMN_LABELS = {
    # engine (metafor's vocabulary)
    "k": "k", "estimate": "SMD", "se": "SE", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "pi_low": "Prediction interval low", "pi_high": "Prediction interval high", "pval": "p", "q_pval": "p (Q test)",
    "tau2": "\u03c4\u00b2", "i2": "I\u00b2 (%)", "h2": "H\u00b2", "q": "Q", "q_df": "Q df", "statistic": "Test statistic",
    "method": "Estimator", "test": "Test", "group": "Subgroup", "rows": "Rows", "kind": "Kind",
    "rstudent": "Studentised residual", "dffits": "DFFITS", "cook_d": "Cook's distance", "cov_r": "Covariance ratio",
    "tau2_del": "\u03c4\u00b2 without", "qe_del": "Q without", "hat": "Hat value", "weight": "Weight (%)",
    "inf": "Influential",
    # codebook: trials
    "trial_id": "Trial ID", "label": "Trial", "figure_label": "Label in the paper's figures", "refs": "References",
    "year": "Year", "category": "Organisational category", "quality": "AHRQ quality", "control": "Control condition",
    "leadership": "Peer leadership", "format": "Format", "n_randomized": "Randomised (N)", "country": "Country",
    "intervention": "Intervention", "population": "Population", "peers_paid": "Peers paid",
    "manualized": "Manualised", "duration_months": "Duration (months)", "control_description": "Control described",
    "seed_locator": "Where in the paper", "source_url": "Source", "source_quote": "Quote from the source",
    "source_notes": "Source notes", "resolution_notes": "How conflicts were resolved",
    "rob2_d1_randomisation": "RoB 2: randomisation", "rob2_d2_deviations": "RoB 2: deviations",
    "rob2_d3_missing_data": "RoB 2: missing data", "rob2_d4_measurement": "RoB 2: measurement",
    "rob2_d5_selection": "RoB 2: selection of the result", "rob2_overall": "RoB 2 overall (Smit et al. 2022)",
    "rob2_source_url": "RoB 2 source", "rob2_source_locator": "RoB 2: where in the source",
    "rob2_source_quote": "RoB 2: quote",
    # codebook: effects
    "effect_id": "Effect ID", "outcome": "Outcome", "domain": "Domain", "instrument": "Instrument",
    "higher_score_means_more": "Higher score means more", "timepoint": "Time point",
    "timepoint_months": "Time point (months)", "comparison": "Comparison", "n_peer": "N peer support",
    "mean_peer": "Mean peer support", "sd_peer": "SD peer support", "n_control": "N control",
    "mean_control": "Mean control", "sd_control": "SD control", "md": "Mean difference",
    "md_ci_low": "Mean difference CI low", "md_ci_high": "Mean difference CI high", "smd_reported": "SMD reported",
    "smd_ci_low": "SMD reported CI low", "smd_ci_high": "SMD reported CI high", "yi": "SMD (yi)",
    "vi": "Variance (vi)", "provenance": "Provenance", "formula": "Formula", "source_locator": "Where in the source",
    "primary": "Pooled (primary row)", "paper_cells": "Paper's cells", "target_cell": "Target cell",
    "doubt": "Doubt", "note": "Note",
}


def readable(frame: pd.DataFrame, labels: dict | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with readable headers: ``labels`` first, then :data:`COLUMN_LABELS` (risk-of-bias domains
    by their names); a column neither knows (an upload's own) keeps its name."""
    from peerstats.select import MODERATORS

    names = {**MODERATORS, **COLUMN_LABELS, **(labels or {})}
    return frame.rename(columns=lambda c: names.get(c, c))


def p_cells(values) -> list:
    """A table's p-value column: :func:`text.fmt_p` text ("0.030", "< 0.001"), None (drawn as :data:`EMPTY`) where
    there is no p-value. The one p-value format of every table (docs/architecture.md)."""
    return [text.fmt_p(p) if is_finite(p) else None for p in values]


@contextmanager
def guard(what: str = "this part of the page") -> Iterator[None]:
    """Run a block; show a known failure as a message in words and an unknown one as a short apology.

    The traceback goes to the server log only (and ``client.showErrorDetails = "none"`` hides any that escapes).
    """
    try:
        yield
    except TooFewStudiesError as exc:  # before NoStudiesError, its base class
        st.info(f"The current filters leave {exc.k} trial{'s' if exc.k != 1 else ''}, and {what} needs at least "
                f"{exc.needed}. Widen the filters in the sidebar.")
    except NoStudiesError:
        st.info(f"No trials match the current filters, so {what} has nothing to show. Widen the filters in the "
                "sidebar.")
    except ConvergenceError as exc:
        st.warning(f"The estimator did not converge for {what}: {exc}. DerSimonian-Laird (the paper's method) "
                   "always gives an answer.")
    except DataValidationError as exc:
        st.warning(f"The data behind {what} did not pass validation ({len(exc.problems)} problem(s)).")
        problems_table(exc.problems, key=f"problems_{abs(hash(what))}")
    except Exception:  # noqa: BLE001 - the last line of defence: no traceback for users
        log.exception("error while rendering %s", what)
        st.error(f"Something went wrong while drawing {what}. The rest of the page still works; the details are in "
                 "the server log.")


def problems_table(problems, key: str) -> None:
    """Row-by-row messages for a data file: file, row (1-based data row), column, problem."""
    frame = pd.DataFrame(
        [{"File": p.file, "Row": p.row, "Column": p.column, "Problem": p.message} for p in problems],
        columns=["File", "Row", "Column", "Problem"],
    )
    frame["Row"] = frame["Row"].astype("Int64")
    st.dataframe(frame, hide_index=True, key=key, width="stretch", placeholder=EMPTY)


def outcome_reported(ctx) -> bool:
    """Whether any trial of the data in use has a (primary) row of the view's outcome, whatever the filters."""
    eff = ctx.evidence.effects
    rows = eff[eff["primary"].astype(bool)] if "primary" in eff else eff
    return bool((rows["outcome"].astype(str) == ctx.view.outcome).any())


def filters_in_words(ctx, filters=None) -> str:
    """The active filters as one line, e.g. "quality: Good, Fair · excluded: 2 trials" ("all trials" if none).

    ``filters`` (a :class:`peerstats.select.Filters`) instead of the view's, e.g. the "after" side of a sensitivity
    comparison."""
    from peerstats.select import MODERATORS, ROB_DOMAINS, VOCABULARY

    f = ctx.view.filters if filters is None else filters
    parts = []
    for name, values, column in (
        ("category", f.categories, "category"), ("quality", f.quality, "quality"), ("control", f.control, "control"),
        ("leadership", f.leadership, "leadership"), ("format", f.formats, "format"),
        ("provenance", f.provenance, "provenance"),
    ):
        if values:
            words = ", ".join(VOCABULARY[column].get(v, v) for v in values)
            parts.append(f"{name}: {words}")
    for domain, levels in f.rob:
        if levels:
            parts.append(f"{ROB_DOMAINS.get(domain, MODERATORS.get(domain, domain)).lower()}: {', '.join(levels)}")
    if f.excluded_trials:
        n = len(f.excluded_trials)
        parts.append(f"excluded: {n} trial{'s' if n != 1 else ''}")
    if getattr(f, "exclude_high_risk", False):
        parts.append("no trials at high risk by either review")
    if getattr(f, "exclude_doubtful", False):
        parts.append("no doubtful rows")
    if getattr(f, "paper_analysis", False):
        parts.append("only the rows the paper pooled")
    return " · ".join(parts) if parts else "all trials"


def method_name(method: str) -> str:
    """The estimator in words; the paper's mark ("DerSimonian-Laird (the paper)") for the bundled data only."""
    from dashboard import loader
    from dashboard.view import METHODS

    words = METHODS.get(method, method)
    return words.replace(text.PAPER_MARK, "") if loader.using_upload() else words


def method_in_words(method: str, test: str) -> str:
    from dashboard.view import TESTS

    return f"{method_name(method)}, {TESTS.get(test, test)}"


def mix_counts(selection) -> dict:
    """A selection's provenance counts with its doubtful rows counted per provenance (``doubtful_by``), the input
    of :func:`text.provenance_mix` and :func:`text.headline_sentence`."""
    return {**selection.provenance_counts, "doubtful_by": text.doubtful_by(selection.effects)}


def view_imputation(ctx, selection, pooled, filters=None):
    """The imputation range (:func:`dashboard.context.imputation_for`) of a headline's rows: ``None`` when they hold
    no reconstructed row or were not pooled."""
    from dashboard.context import imputation_for

    if pooled is None or not selection.provenance_counts.get("reconstructed", 0):
        return None
    f = ctx.view.filters if filters is None else filters
    return imputation_for(ctx.evidence, f, ctx.view.outcome, pooled.method, pooled.test)


def headline_paragraphs(ctx, selection=None, pooled=None, *, filters=None, hedge: str = "") -> list[str]:
    """The headline in words, as paragraphs (the HTML report's headline): the plain-language sentence, then the
    imputation range when the rows hold reconstructed values that can be re-assigned."""
    if selection is None:
        selection, pooled = ctx.selection, ctx.pooled
    from dashboard.byor import intervention

    out = [text.headline_sentence(pooled, ctx.outcome_label, ctx.beneficial, mix_counts(selection), hedge=hedge,
                                  scale=ctx.scale.named(intervention(ctx)))]
    line = imputation_line(view_imputation(ctx, selection, pooled, filters), pooled)
    if line:
        out.append(line)
    return out


def imputation_line(rng, pooled) -> str:
    """"SMD 0.21 (0.08 to 0.34); imputed rows: the estimate ranges ... over how they are assigned (...)." or ""."""
    if not text.imputation_phrase(rng):
        return ""
    return f"SMD {text.estimate_with_imputation(pooled, rng)}."


def headline(ctx, selection=None, pooled=None, error: str | None = None, *, key: str = "headline",
             compact: bool = False, filters=None, hedge: str = "", certainty=None) -> None:
    """Pooled SMD, CI, prediction interval, k, participants, I², the plain-language sentence and, when reconstructed
    rows are pooled, the range of the estimate over how their imputed values are assigned.

    Defaults to the context's own selection; pass another ``selection``/``pooled`` (and the ``filters`` that gave
    them) to show e.g. the "after" side of a sensitivity comparison. ``compact`` puts the six numbers in three rows
    of two (for half-width columns). ``hedge``: a certainty word for the sentence's claim
    (:func:`text.headline_sentence`), used when no ``certainty`` (a :class:`peerstats.grade.Grade`, the Summary's
    certainty of this view) is given; with one, the sentence takes the Grade's hedge and ends with the certainty.
    """
    if selection is None:
        selection, pooled, error = ctx.selection, ctx.pooled, ctx.pool_error
    from dashboard.byor import intervention

    g = certainty  # a peerstats.grade.Grade or None
    iv = intervention(ctx)  # None: the bundled data's words; else an upload's intervention in words
    sentence = text.headline_sentence(pooled, ctx.outcome_label, ctx.beneficial, mix_counts(selection), hedge=hedge,
                                      certainty=getattr(g, "certainty", None),
                                      certainty_label=(getattr(g, "not_assessable", "") or getattr(g, "label", "")),
                                      scale=ctx.scale.named(iv))
    if selection.k == 0:
        if not outcome_reported(ctx):
            st.info(f"No trial in {'your upload' if ctx.source == 'upload' else 'the evidence base'} reported "
                    f"{text.lower_first(ctx.outcome_label)}: there is nothing to pool, whatever the filters. Choose "
                    "another outcome in the sidebar.")
            return
        st.info(sentence)
        return
    if pooled is None:
        st.warning(error or "These trials could not be pooled.")
        return
    with st.container(key=f"{key}_box", border=True):
        if compact:  # three rows of (short number, interval) for half-width columns
            rows = [st.columns([1, 1.8]) for _ in range(3)]
            cells = [rows[0][0], rows[0][1], rows[1][1], rows[1][0], rows[2][0], rows[2][1]]
        else:  # two rows of three: an interval such as "-0.05 to 0.45" needs about a third of the page's width
            cells = [*st.columns([1, 1.6, 1.6]), *st.columns([1, 1.6, 1.6])]
        level = int(round(100 * pooled.level))
        one = pooled.k == 1  # one trial: nothing is pooled, and no prediction interval can be estimated
        sc = ctx.scale  # the outcome's measure: ratios are shown exponentiated (pooled on the log scale)
        est, lo, hi, pi_lo, pi_hi = sc.natural(pooled.estimate, pooled.ci_low, pooled.ci_high, pooled.pi_low,
                                               pooled.pi_high)
        cells[0].metric(f"{sc.short} (one trial)" if one else f"Pooled {sc.short}", text.fmt(est),
                        help=_measure_help(sc) if not sc.direction_known else text.for_data(
                            "Standardised mean difference (Hedges' g), peer support minus control.", iv))
        cells[1].metric(f"{level}% CI", text.fmt_ci(lo, hi))
        cells[2].metric("Prediction interval", "n/a" if one else text.fmt_ci(pi_lo, pi_hi),
                        help="Needs at least two trials (heterogeneity)." if one else
                        "Where the true effect of a new, similar trial is expected to lie (95%).")
        cells[3].metric("Trials (k)", str(pooled.k))
        n_rows = selection.effects["n"] if "n" in selection.effects else [float("nan")] * selection.k
        cells[4].metric("Participants", text.fmt_participants(n_rows), help=text.participants_note(n_rows) or None)
        cells[5].metric("I²", text.fmt_pct(pooled.i2),
                        help=f"τ² = {text.fmt(pooled.tau2, 3)}; Q = {text.fmt(pooled.q)} on {pooled.q_df} df, "
                             f"{text.p_phrase(pooled.q_pval)}")
        st.markdown(sentence)
        line = imputation_line(view_imputation(ctx, selection, pooled, filters), pooled)
        if line:
            with st.container(key=f"{key}_imputation"):
                st.markdown(line, help="Which reconstructed trial received which imputed value is arbitrary. The "
                            "range pools this view again under every re-assignment of each of the paper's cells' "
                            "imputed values among that cell's reconstructed trials (a sample of 1,000 when there are "
                            "more than 5,040), each value taking the receiving trial's variance. See Sensitivity.")
        st.caption(f"{method_in_words(pooled.method, pooled.test)} · {filters_in_words(ctx, filters)} · "
                   f"data: {'your upload' if ctx.source == 'upload' else 'bundled evidence base'}")
    provenance_notice(selection)


def _measure_help(sc) -> str:
    """The headline number's tooltip: what the measure is, which arm minus (or over) which."""
    if sc.is_smd:
        return f"Standardised mean difference (Hedges' g), {sc.intervention} minus {sc.control}."
    if sc.ratio:
        return (f"{sc.name[:1].upper()}{sc.name[1:]}, {sc.intervention} over {sc.control}: pooled as a log ratio "
                "(inverse variance) and shown exponentiated; 1 is no difference.")
    return f"{sc.name[:1].upper()}{sc.name[1:]}, {sc.intervention} minus {sc.control}; 0 is no difference."


def provenance_notice(selection) -> None:
    """Say, in words, how many of the pooled rows are reconstructed rather than trial data."""
    n_rec = selection.provenance_counts.get("reconstructed", 0)
    if n_rec:
        st.warning(
            f"{n_rec} of {selection.k} rows are **reconstructed**: imputed by the documented procedure because the "
            "trial's numbers are not available, not trial data. They are drawn hollow with dashed lines and marked "
            "in every table. To keep real rows only, tick *Trial data only* in the sidebar.",
            icon="⚠️",
        )


def label_provenance(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with a readable ``provenance`` column ("reconstructed (not trial data)" spelled out)."""
    out = frame.copy()
    if "provenance" in out:
        out["provenance"] = out["provenance"].astype(str).map(
            lambda p: RECONSTRUCTED_TEXT if p == "reconstructed" else PROVENANCE.get(p, p).lower())
    return out


def chart_frame(effects: pd.DataFrame) -> pd.DataFrame:
    """Effect rows for a chart: codebook codes in tooltip columns replaced by their words ("hospital_added" ->
    "Peers added to hospital services"); ``provenance`` keeps its codes (the charts style reconstructed rows by it)."""
    from peerstats.select import VOCABULARY

    out = effects.copy()
    for column in ("category", "quality", "control", "leadership", "format"):
        if column in out:
            vocab = VOCABULARY[column]
            out[column] = out[column].map(lambda v: vocab.get(v, v))
    return out


def marked_labels(effects: pd.DataFrame) -> pd.Series:
    """Trial labels with " (reconstructed)" appended to reconstructed rows, for charts that draw no provenance."""
    rec = effects["provenance"].astype(str).eq("reconstructed") if "provenance" in effects else False
    return effects["label"].astype(str).where(~rec, effects["label"].astype(str) + " (reconstructed)")


def chart(ch, name: str, *, key: str, on_select=None):
    """Show a chart full width, with PNG and SVG downloads.

    ``ch`` is an Altair chart or a :class:`dashboard.memo.Built` (a chart built once per input, its spec's datasets
    already in Arrow form: drawn with ``st.vega_lite_chart`` without rebuilding or re-serialising anything).
    ``on_select`` (optional): ``"rerun"`` or a callback, passed to Streamlit for a chart with a named selection param;
    the selection state is then returned (and kept in ``st.session_state[key]``)."""
    from dashboard.memo import Built

    # theme=None: the charts set their own projector-size fonts (see dashboard.charts.base.configure_chart). Forest-type
    # charts carry a "fit" signal that lays them out for their box's width (dashboard.charts.base.fit_param): they
    # get the full width ("stretch"); the others keep their own size ("content").
    params = getattr(ch, "params", None)
    fitted = isinstance(params, list) and any(getattr(p, "name", None) == "fit" for p in params)
    extra = {} if on_select is None else {"on_select": on_select}
    width = "stretch" if fitted else "content"
    if isinstance(ch, Built):  # a copy of the spec: Streamlit pops "datasets" from the dict it is given
        event = st.vega_lite_chart(dict(ch.spec), width=width, theme=None, key=key, **extra)
        ch = ch.chart
    else:
        event = st.altair_chart(ch, width=width, theme=None, key=key, **extra)
    _export_buttons(ch, name, key)
    return event if on_select is not None else None


def _export_buttons(ch, name: str, key: str) -> None:
    from dashboard import export

    export.chart_downloads(ch, name, key=f"{key}_dl")


def table(frame: pd.DataFrame, name: str, *, key: str, column_config: dict | None = None,
          hide_index: bool = True) -> None:
    """Show a table with a CSV download of exactly what is shown (same rows, columns and headers; an empty cell,
    drawn as :data:`EMPTY`, is empty in the CSV). Give ``frame`` readable headers (:func:`readable`): a
    ``column_config`` label would not reach the CSV, so use it for number formats only."""
    st.dataframe(frame, hide_index=hide_index, column_config=column_config, key=key, width="stretch",
                 placeholder=EMPTY)
    csv_button(frame, name, key=f"{key}_csv", index=not hide_index)


def chart_data(frame: pd.DataFrame, *, key: str, column_config: dict | None = None) -> None:
    """The chart above's numbers as a table one click away (its text alternative with the caption, issue 22): an
    expander "Data of this chart" holding ``frame`` (readable headers, one row per mark)."""
    with st.expander("Data of this chart"):
        st.dataframe(frame, hide_index=True, column_config=column_config, key=key, width="stretch",
                     placeholder=EMPTY)


def forest_data(frame: pd.DataFrame, pooled=None, scale: text.Scale = text.SMD_SCALE) -> pd.DataFrame:
    """A forest plot's rows as :func:`chart_data` shows them: one row per trial (estimate and 95% CI on the natural
    scale, as the plot's table text; weight in percent; the row's provenance), then the pooled row when drawn."""
    import numpy as np

    from dashboard.charts.base import Z95

    yi = frame["yi"].astype(float).to_numpy()
    se = np.sqrt(frame["vi"].astype(float).to_numpy())
    nat = [scale.natural(e, e - Z95 * s, e + Z95 * s) for e, s in zip(yi, se)]
    if "weight" in frame:
        weight = frame["weight"].astype(float).to_numpy()
    elif pooled is not None and len(getattr(pooled, "weights", ())) == len(frame):
        weight = np.asarray(pooled.weights, dtype=float)
    else:
        weight = np.full(len(frame), np.nan)
    out = pd.DataFrame({"Trial": frame["label"].astype(str).to_numpy(), "Estimate": [n[0] for n in nat],
                        "95% CI low": [n[1] for n in nat], "95% CI high": [n[2] for n in nat], "Weight (%)": weight,
                        "Row": (frame["provenance"].astype(str).to_numpy() if "provenance" in frame
                                else "trial data")})
    if pooled is not None and is_finite(getattr(pooled, "estimate", None)):
        e, lo, hi = scale.natural(pooled.estimate, pooled.ci_low, pooled.ci_high)
        out.loc[len(out)] = ["Pooled", e, lo, hi, 100.0, "pooled result"]
    return out


def csv_button(frame: pd.DataFrame, name: str, *, key: str, label: str = "Download CSV", index: bool = False) -> None:
    """A CSV download of ``frame`` (built only when clicked)."""
    from dashboard.export import frame_csv

    st.download_button(label, data=lambda: frame_csv(frame, index=index), file_name=f"{name}.csv",
                       mime="text/csv", key=key, on_click="ignore", icon=":material/download:")


def outcome_display(tab: pd.DataFrame, scales: dict | None = None) -> pd.DataFrame:
    """The outcome table as shown: words for CIs and the provenance mix, numbers rounded by column config.

    ``scales`` (outcome -> :class:`dashboard.text.Scale`, for outcomes with their own measures, e.g. a RevMan file's
    analyses): an "Estimate" column on each measure's natural scale (ratios exponentiated) and a "Measure" column
    instead of "SMD"."""
    if scales:
        nat = [scales[o].natural(e, lo, hi) for o, e, lo, hi in
               zip(tab["outcome"], tab["estimate"], tab["ci_low"], tab["ci_high"])]
        tab = tab.assign(estimate=[n[0] for n in nat], ci_low=[n[1] for n in nat], ci_high=[n[2] for n in nat])
    out = pd.DataFrame({
        "Outcome": tab["label"],
        "Domain": tab["domain"],
        "k": tab["k"].astype(int),
        "Participants": [text.fmt_int(n) if n or not k else "unknown" for n, k in zip(tab["n"], tab["k"])],
        "SMD": tab["estimate"],
        "95% CI": [text.fmt_ci(lo, hi) if k else None for lo, hi, k in zip(tab["ci_low"], tab["ci_high"], tab["k"])],
        "p": p_cells(p if k else float("nan") for p, k in zip(tab["pval"], tab["k"])),
        "I² (%)": tab["i2"],
        "Rows": [text.provenance_mix(r, unit="row") for r in
                 tab[["reported", "derived", "reconstructed"]].to_dict("records")],
        "Note": tab["note"],
    })
    if scales:
        out = out.rename(columns={"SMD": "Estimate"})
        out.insert(2, "Measure", [scales[o].short for o in tab["outcome"]])
    return out


OUTCOME_COLUMNS = {
    "SMD": st.column_config.NumberColumn("SMD", format="%.2f", help="Pooled standardised mean difference"),
    "Estimate": st.column_config.NumberColumn("Estimate", format="%.2f",
                                              help="Pooled estimate on its measure's scale (ratios exponentiated)"),
    "I² (%)": st.column_config.NumberColumn("I² (%)", format="%.0f"),
}


def report_button(ctx, title: str, sections: list, *, key: str, headline_text: str | None = None) -> None:
    """The one-click HTML report of the current view: the headline, what is selected, then the page's sections."""
    from dashboard import export
    from dashboard.state import view_url

    sel = ctx.selection
    sentence = [headline_text] if headline_text else headline_paragraphs(ctx)
    view = export.Section("This view", text=[
        f"Outcome: {ctx.outcome_label}. Filters: {filters_in_words(ctx)}.",
        f"Model: {method_in_words(ctx.view.method, ctx.view.test)}. Data: "
        f"{'your upload' if ctx.source == 'upload' else 'the bundled evidence base'}.",
    ])
    url = view_url(ctx.view)
    name = f"peerstats_{ctx.view.page}_{ctx.view.outcome}"
    export.report_download(title, [view, *sections], key=key, url=url, headline=sentence, name=name,
                           report_id=view_report_id(ctx))
    if sel.k:  # the pooled model of this view, reproducible outside the app
        from dashboard.downloads import download_scripts

        level = ctx.pooled.level if ctx.pooled is not None else 0.95
        download_scripts(sel.effects["label"], sel.yi, sel.vi, key=f"{key}_scripts", method=ctx.view.method,
                         test=ctx.view.test, level=level, name=name, title=f"{title} ({sel.k} rows)", url=url)


def view_report_id(ctx) -> str:
    """The report ID of the current view: :func:`peerstats.scripts.report_id` of the pooled rows (effect id,
    provenance, yi, vi), the data source, and the view's query parameters."""
    from dashboard.view import encode
    from peerstats.scripts import report_id

    eff = ctx.selection.effects
    rows = [[str(e), str(p), float(y), float(v)] for e, p, y, v in zip(
        eff.get("effect_id", eff.index).tolist(), eff.get("provenance", [""] * len(eff)).tolist(),
        ctx.selection.yi, ctx.selection.vi)]
    return report_id({"source": ctx.source, "rows": rows}, {"page": ctx.view.page, **encode(ctx.view)})


def _remember(key: str) -> None:
    st.session_state[f"_kept_{key}"] = st.session_state[key]


def kept(key: str, default, options=None) -> dict:
    """Widget arguments that carry a page widget's value across page switches: ``st.radio(..., **kept(...))``.

    Streamlit drops the value of a widget that was not drawn in the previous run (another page was shown) and starts
    it again from its default. The value is remembered under ``_kept_<key>`` by an ``on_change`` callback and put
    back into the widget key before the widget is drawn (``default`` when there is none or it is not in ``options``).
    """
    value = st.session_state.get(f"_kept_{key}", default)
    if options is not None and value not in options:
        value = default
    st.session_state[key] = value
    return {"key": key, "on_change": _remember, "args": (key,)}
