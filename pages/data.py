"""Data: the trials and effect rows behind the current view (with their sources), downloads, and uploading your
own files to explore them in the whole app. An upload stays in this browser session and never replaces the bundled
data."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import components as ui
from dashboard import text
from dashboard import byor, byor_ui, loader
from dashboard.context import current
from dashboard.safety import http_links
from peerstats.data import EFFECT_REQUIRED, TRIAL_REQUIRED
from peerstats.select import CATEGORIES, CONTROLS, FORMATS, LEADERSHIP, PROVENANCE, QUALITY, ROB_LEVELS

ctx = current()
sel = ctx.selection

st.title("Data")
source = "your upload" if ctx.source == "upload" else "the bundled evidence base (data/ in the repository)"
st.markdown(f"Rows behind the current view of **{text.lower_first(ctx.outcome_label)}**, from {source}. Every effect "
            "row is *reported* (quoted from a source), *derived* (computed from reported statistics by the named "
            "formula) or *reconstructed* (imputed by the documented procedure; **not trial data**). Rows whose typed "
            "numbers look wrong carry a *doubt* (and the decision taken); the sidebar can leave them out.")
st.caption(
    "Sources include the public data set of Smit, Miguel, Vrijsen, Groeneweg, Spijker & Cuijpers (2022), *The "
    "effectiveness of peer support for individuals with mental illness*, Psychological Medicine (PubMed 36066104), "
    "shared by the Metapsy project (github.com/metapsy-project, Zenodo 10.5281/zenodo.7687898), which also gives the "
    "RoB 2 judgements; and the group-based review data set of Dalgaard, Vembye et al. (GitHub "
    "MikkelVembye/Group-based-interventions).")

link = st.column_config.LinkColumn
EFFECT_COLUMNS = {ui.COLUMN_LABELS["source_url"]: link(display_text="open source"),
                  ui.COLUMN_LABELS["yi"]: st.column_config.NumberColumn(format="%.3f"),
                  ui.COLUMN_LABELS["vi"]: st.column_config.NumberColumn(format="%.4f")}
tab_eff, tab_trials, tab_byor, tab_upload = st.tabs(["Effects", "Trials",  # short: the four fit a phone
                                                     "Your own studies", "Bundled schema"])

def _rob_mapped(result) -> None:
    """What the import made of the file's risk-of-bias columns (``ImportResult.rob``), in a table and words."""
    if result is None or result.evidence is None:
        return
    st.markdown("**Risk of bias read from your file**")
    n = len(result.evidence.trials)
    if not result.rob:
        st.info(f"No risk-of-bias column was recognised, so the risk of bias of all {n} studies is **unknown** (not "
                "low). Name columns like RoB 2's `RoB_D1` .. `RoB_D5` and `overall_RoB`, Cochrane's "
                "`Random sequence generation` .. `Selective reporting`, or one `risk_of_bias` column, with "
                "judgements low / some concerns / high (or low / unclear / high).")
        return
    levels = {"low": "low", "some_concerns": "some concerns", "unclear": "unclear", "high": "high"}
    frame = pd.DataFrame([{
        "Your column": m.column, "Became": f"{ui.COLUMN_LABELS.get(m.codebook, m.codebook)} (`{m.codebook}`)",
        "Judgements": m.scale, "Studies rated": f"{m.n_rated} of {m.n_trials}",
        "Ratings": ", ".join(f"{levels.get(k, k)} {c}" for k, c in m.counts) or "none",
        "Rows disagreeing (most severe used)": m.n_conflicting, "Cells not understood": m.n_unrecognised,
        "Note": m.note} for m in result.rob])
    ui.table(frame, "risk_of_bias_mapping", key="byor_rob_mapping")
    unrated = max(m.n_trials - m.n_rated for m in result.rob)
    st.caption("Where a study's rows carry different judgements, the most severe is the study's (risk of bias is "
               "judged per result); each case is a warning in the problems list with its rows. "
               + (f"Up to {unrated} stud{'ies' if unrated != 1 else 'y'} per column have no judgement: their risk of "
                  "bias is unknown, never counted as low." if unrated else "Every study is rated."))


with tab_byor:
    with ui.guard("the import of your studies"):
        byor_ui.render()
    with ui.guard("the risk-of-bias mapping"):
        _rob_mapped(byor.current_result())

with tab_eff:
    if sel.k == 0:
        st.info("No effect rows match the current filters for this outcome.")
    else:
        cols = ["label", "provenance", "doubt", "yi", "vi", "n_peer", "mean_peer", "sd_peer", "n_control", "mean_control",
                "sd_control", "instrument", "timepoint", "formula", "source_url", "source_locator", "source_quote",
                "trial_id", "category", "quality", "control", "note"]
        shown = ui.readable(http_links(ui.label_provenance(ui.chart_frame(sel.effects[[c for c in cols
                                                                                       if c in sel.effects]]))))
        st.caption(text.provenance_mix(sel.provenance_counts, unit="row") + ". Reconstructed rows are marked "
                   "\"reconstructed (not trial data)\" in the provenance column.")
        ui.table(shown, f"effects_{ctx.view.outcome}", key="data_effects", column_config=EFFECT_COLUMNS)
        ui.csv_button(sel.effects, f"effects_{ctx.view.outcome}_all_columns", key="data_effects_full_csv",
                      label="Download CSV (all columns)")
    eff_all = ctx.evidence.effects
    others = eff_all[(eff_all["outcome"] == ctx.view.outcome) & ~eff_all["primary"].astype(bool)
                     & eff_all["trial_id"].isin(sel.trials["trial_id"])]
    if len(others):
        st.markdown(f"**Other rows of these trials for this outcome ({len(others)}), not pooled**: later time points, "
                    "other components, second sources of the same trial and outcome (the primary row is chosen by "
                    "one written rule: arm-level data over a mean difference over an SMD alone), and rows set aside "
                    "for a doubt. Each says why in its note.")
        labels = dict(zip(sel.trials["trial_id"], sel.trials["label"]))
        ocols = ["provenance", "doubt", "yi", "vi", "n_peer", "n_control", "instrument", "timepoint", "source_url",
                 "source_locator", "note"]
        oshown = others[[c for c in ocols if c in others]].copy()
        oshown.insert(0, "label", others["trial_id"].map(labels))
        ui.table(ui.readable(http_links(ui.label_provenance(oshown))), f"effects_{ctx.view.outcome}_not_pooled",
                 key="data_effects_other", column_config=EFFECT_COLUMNS)

with tab_trials:
    if len(sel.trials) == 0:
        st.info("No trials match the current filters.")
    else:
        ui.table(ui.readable(http_links(ui.chart_frame(sel.trials), ("source_url", "rob2_source_url"))),
                 "trials_current_filters", key="data_trials",
                 column_config={ui.COLUMN_LABELS["source_url"]: link(display_text="open source"),
                                ui.COLUMN_LABELS["rob2_source_url"]: link(display_text="open source")})


def _check_upload() -> None:
    """Button callback: import the chosen files (the importer's bundled-format kind, the same path as every other
    upload: :func:`dashboard.byor.use`); use them only if no row has an error."""
    files = {k: st.session_state.get(k) for k in ("upload_trials", "upload_effects")}
    data = {k: (f.getvalue() if f is not None else None) for k, f in files.items()}
    if data["upload_trials"] is None and data["upload_effects"] is None:
        st.session_state["upload_problems"] = None
        st.session_state["upload_message"] = "Choose a trials file, an effects file, or both first."
        return
    result = byor.read_bundled(data["upload_trials"], data["upload_effects"])
    problems = result.errors
    st.session_state["upload_problems"] = problems
    if result.evidence is not None and not problems:
        byor.use(result)
        evidence = result.evidence
        notes = "".join(f" Note: {text.md_escape(str(w))}." for w in result.warnings)
        st.session_state["upload_message"] = (
            f"Your files passed every check: {len(evidence.trials)} trials and {len(evidence.effects)} effect rows. "
            "The whole app now uses them (switch back with *Data source* in the sidebar)." + notes)
    else:
        st.session_state["upload_message"] = None


with tab_upload:
    st.markdown(
        "Upload a **trials** file, an **effects** file, or both, in the same CSV schema as the bundled data (UTF-8, "
        "comma-separated, header row). A missing file is taken from the bundled data. Your files are checked row by "
        "row; if they pass, the whole app uses them for this browser session. The bundled data are never changed.")
    with st.expander("The schema (required columns and allowed values)", expanded=False):
        st.markdown(
            f"**trials.csv** requires: `{'`, `'.join(TRIAL_REQUIRED)}`; optional: `year`, `n_randomized`, "
            "`country`, `intervention`, source columns.\n\n"
            f"- `category`: {', '.join(CATEGORIES)}\n- `quality`: {', '.join(QUALITY)}\n"
            f"- `control`: {', '.join(CONTROLS)}\n- `leadership`: {', '.join(LEADERSHIP)}\n"
            f"- `format`: {', '.join(FORMATS)}\n- the seven `rob_*` domains: {', '.join(ROB_LEVELS)}\n\n"
            f"**effects.csv** requires: `{'`, `'.join(EFFECT_REQUIRED)}`; also `domain` (personal/clinical), "
            "`primary` (true/false: the row analyses pool), arm data `n_peer`, `mean_peer`, `sd_peer`, `n_control`, "
            "`mean_control`, `sd_control` when known, and source columns.\n\n"
            f"- `provenance`: {', '.join(PROVENANCE)}\n- `yi`: SMD (Hedges' g), peer support minus control, in the "
            "direction of *more of the construct*; `vi` its sampling variance (> 0)\n"
            "- every `trial_id` must exist in the trials file\n\n"
            "The full codebook is `data/README.md` in the repository.")
    with ui.guard("the templates"):
        ddir = loader.data_dir()
        c = st.columns(2)
        for col, name in zip(c, ("trials", "effects")):
            template = pd.read_csv(ddir / f"{name}.csv", dtype=str, keep_default_na=False).head(2)
            with col:
                ui.csv_button(template, f"{name}_template", key=f"template_{name}",
                              label=f"Download {name} template (2 example rows)")
    c = st.columns(2)
    c[0].file_uploader("Trials file (CSV)", type=["csv"], key="upload_trials")
    c[1].file_uploader("Effects file (CSV)", type=["csv"], key="upload_effects")
    st.button("Check and use these files", key="upload_check", on_click=_check_upload, type="primary")

    message = st.session_state.get("upload_message")
    problems = st.session_state.get("upload_problems")
    if problems:
        st.error(f"Your files were not used: {len(problems)} problem{'s' if len(problems) != 1 else ''} found. "
                 "Row numbers count data rows (the header is not a row).")
        ui.problems_table(problems, key="upload_problems_table")
    elif message:
        (st.success if loader.has_upload() and st.session_state.get("upload_problems") == [] else st.info)(message)
    if loader.has_upload():
        st.button("Forget my upload", key="upload_forget", on_click=byor.forget,
                  help="Drop your files from this session and go back to the bundled data.")
