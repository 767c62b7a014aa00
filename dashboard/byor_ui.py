"""The Data page's "Your own studies" tab: upload (or the example), preview, a mapping form pre-filled with the guess,
then "Use these data". Widgets and words only; the import is :func:`dashboard.byor.read` (pure, cached).

Widget keys: ``byor_file`` (uploader), ``byor_example`` (button), ``byor_sheet``, ``byor_role_<file key>_<role>``
(mapping selectboxes), ``byor_use`` (button), ``byor_forget``; templates ``byor_template_metafor`` / ``_metapsy``.
"""

from __future__ import annotations

import contextlib
import hashlib

import pandas as pd
import streamlit as st

from dashboard import byor, loader
from peerstats.importer import G_MAX, G_WARN, ROLES, TEMPLATE_METAFOR, TEMPLATE_METAPSY
from peerstats.readers import sheet_names

NONE = "(not in my file)"
_SOURCE = "byor_source"      # session_state: (raw bytes, filename, preset mapping or None) of the file being mapped
_MESSAGE = "byor_message"


def _file() -> tuple[bytes, str, dict | None] | None:
    """The file being worked on: a fresh upload wins over the example."""
    up = st.session_state.get("byor_file")
    if up is not None:
        return up.getvalue(), up.name, None
    return st.session_state.get(_SOURCE)


def _on_example() -> None:
    st.session_state[_SOURCE] = (byor.example_bytes(), byor.EXAMPLE.name, dict(byor.EXAMPLE_MAPPING))
    st.session_state.pop("byor_file", None)
    _on_use()


#: Seconds per MB measured for the importer (``benchmarks/bench_datain.py``, ``bench_import.py`` on 2 shared cores):
#: text ~1 s per MB (20,000 studies, 1.1 MB: 1.1 s), an Excel workbook ~5 s per MB (3,000 studies, 0.16 MB: 0.9 s).
_S_PER_MB = {"text": 1.0, "xlsx": 5.0}
#: Files expected to take longer than this get a progress message in words (smaller ones read in a blink).
_SAY_FROM_S = 0.5


def reading(raw: bytes, name: str):
    """A spinner saying what is being read and how long it should take, for a file expected to take over
    :data:`_SAY_FROM_S`; else nothing. (The import itself is cached on the bytes: a second look is instant.)"""
    xlsx = bytes(raw[:4]) == b"PK\x03\x04"
    expected = len(raw) / 1e6 * _S_PER_MB["xlsx" if xlsx else "text"]
    if expected < _SAY_FROM_S:
        return contextlib.nullcontext()
    return st.spinner(f"Reading **{name}** ({len(raw) / 1e6:.1f} MB{', an Excel workbook' if xlsx else ''}): "
                      f"checking every row, about {max(1, round(expected))} s for a file this size…")


def _file_key(raw: bytes, name: str) -> str:
    return hashlib.sha256(raw).hexdigest()[:10]


def _chosen_mapping(key: str) -> dict:
    out = {}
    for role in ROLES:
        col = st.session_state.get(f"byor_role_{key}_{role}")
        if col and col != NONE:
            out[role] = col
    return out


def _on_use() -> None:
    """Button callback: import with the chosen mapping; use the data when at least one row is usable."""
    f = _file()
    if f is None:
        st.session_state[_MESSAGE] = ("info", "Choose a file first (or try the example).")
        return
    raw, name, preset = f
    key = _file_key(raw, name)
    sheet = st.session_state.get("byor_sheet")
    with reading(raw, name):
        guessed = byor.read(raw, name, None, sheet) if preset is None else None
    if is_revman(guessed) or byor.is_bundled(guessed):
        mapping = None  # RevMan's data download or the bundled format: their own columns (no mapping form)
    else:
        mapping = _chosen_mapping(key) if f"byor_role_{key}_study" in st.session_state else (preset or None)
    source = (raw, name, tuple(sorted(mapping.items())) if mapping is not None else None, sheet,
              bool(st.session_state.get("byor_confirm_extreme")))
    with reading(raw, name):
        result = byor.read(*source)
    st.session_state["byor_last"] = result
    if result.evidence is None:
        st.session_state[_MESSAGE] = ("error", "Your file was not used: see the problems below.")
        return
    byor.use(result, source)
    ev = result.evidence
    n_err = result.rows_left_out  # rows, not errors: a row with two errors is one row left out
    what = (f"{len(result.outcomes)} analyses as outcomes (choose one under *Outcome* in the sidebar), "
            if is_revman(result) else "")
    st.session_state[_MESSAGE] = (
        "success", f"The whole app now uses **{name}**: {what}{len(ev.trials)} studies, {len(ev.effects)} effect rows"
                   + (f" ({n_err} row{'s' if n_err != 1 else ''} left out: see the problems below)" if n_err else "")
                   + ". Switch back with *Data source* in the sidebar; "
                   + ("a file in the bundled format is held by this browser session only (a link cannot carry it)."
                      if byor.is_bundled(result) else "the link in your address bar brings these data back after a "
                                                      "reload."))


def _problems(result) -> None:
    if not result.problems:
        return
    frame = pd.DataFrame([{"Severity": p.severity, "Row": p.row, "Column": p.column, "Problem": p.message}
                          for p in result.problems])
    frame["Row"] = frame["Row"].astype("Int64")
    n_e, n_w, n_rows = len(result.errors), len(result.warnings), result.rows_left_out
    left = f"{n_rows} row{'s' if n_rows != 1 else ''} left out" if n_rows else "no row left out"
    st.markdown(f"**{n_e} error{'s' if n_e != 1 else ''}** ({left}) and **{n_w} warning{'s' if n_w != 1 else ''}"
                "** (rows used; worth a look). Row numbers count data rows (the header is not a row).")
    st.dataframe(frame, hide_index=True, key="byor_problems", width="stretch", placeholder="\u2013")


def render() -> None:
    """Draw the tab."""
    st.markdown(
        "Upload **one table of studies** (CSV, TSV, semicolon-separated or .xlsx; any common encoding): one row per "
        "study (and outcome), with a study name and either arm data (means, SDs and sizes of the intervention and "
        "control arms), an effect size with its variance or standard error, an SMD or mean difference with its "
        "confidence interval, or a t or F statistic with the arm sizes. Hedges' g is computed exactly as metafor's "
        "`escalc(\"SMD\")`. Every other column with a few distinct values (e.g. setting, format) becomes a filter and "
        "subgroup variable. Your file stays in this "
        "server's memory only (never in the repository's data), reachable through the link in your address bar.")
    c = st.columns(3)
    c[0].download_button("Template: metafor names", TEMPLATE_METAFOR.encode(), "studies_metafor_template.csv",
                         mime="text/csv", key="byor_template_metafor", on_click="ignore")
    c[1].download_button("Template: Metapsy standard", TEMPLATE_METAPSY.encode(), "studies_metapsy_template.csv",
                         mime="text/csv", key="byor_template_metapsy", on_click="ignore")
    c[2].button("Try an example: Metapsy peer-support data (28 trials)", key="byor_example", on_click=_on_example,
                help=byor.EXAMPLE_CITATION)
    st.file_uploader("Your studies file", type=["csv", "tsv", "txt", "xlsx"], key="byor_file")

    message = st.session_state.get(_MESSAGE)
    if message:
        getattr(st, message[0])(message[1])
    f = _file()
    if f is None:
        _forget_button()
        return
    raw, name, preset = f
    if name == byor.EXAMPLE.name:
        st.caption("Example: " + byor.EXAMPLE_CITATION)
    sheets = sheet_names(raw)
    sheet = None
    if len(sheets) > 1:
        sheet = st.selectbox("Sheet", sheets, key="byor_sheet")
    with reading(raw, name):
        guess = byor.read(raw, name, tuple(sorted(preset.items())) if preset else None, sheet)
    d = guess.detected
    if d:
        what = ("Excel workbook" if d.get("kind") == "xlsx" else
                f"text ({d.get('encoding')}, separated by {_sep(d.get('delimiter'))}"
                + (", decimal commas allowed" if d.get("decimal_comma") else "") + ")")
        st.caption(f"Read **{name}** as {what}: {guess.n_rows} data rows, {len(guess.columns)} columns.")
    if guess.preview is not None:
        with st.expander("Preview (first rows as read)", expanded=False):
            st.dataframe(guess.preview.head(20), hide_index=True, key="byor_preview", width="stretch",
                         placeholder="\u2013")
    if not guess.columns:
        _problems(guess)
        return
    key = _file_key(raw, name)
    if byor.is_bundled(guess):
        _bundled_summary(guess)
    if is_revman(guess) or byor.is_bundled(guess):
        if is_revman(guess):
            _revman_summary(guess)
        st.button("Use these data", key="byor_use", on_click=_on_use, type="primary")
        last = st.session_state.get("byor_last")
        if last is not None and last.fingerprint == guess.fingerprint:
            _problems(last)
        _forget_button()
        return
    st.markdown("**Which column is what?** Pre-filled with our guess; change anything that is wrong.")
    options = [NONE, *guess.columns]
    cols = st.columns(4)
    for j, (role, words) in enumerate(ROLES.items()):
        wkey = f"byor_role_{key}_{role}"
        if wkey not in st.session_state:
            st.session_state[wkey] = guess.mapping.get(role, NONE)
        cols[j % 4].selectbox(words, options, key=wkey)
    st.checkbox(f"Keep effects beyond \u00b1{G_WARN:g} (I have checked them)", key="byor_confirm_extreme",
                help=f"A standardised mean difference beyond \u00b1{G_WARN:g} is rarely real (often a typing or "
                     f"unit error): such rows are left out unless you tick this. Beyond \u00b1{G_MAX:g} they are "
                     "always left out.")
    st.button("Use these data", key="byor_use", on_click=_on_use, type="primary")
    last = st.session_state.get("byor_last")
    if last is not None and last.fingerprint and last.columns == guess.columns:
        if last.moderators:
            def names(kind):
                return ", ".join(last.moderator_names[k] for k, v in last.moderators.items() if v == kind)
            parts = [f"{words}: {names(kind)}" for kind, words in (
                ("categorical", "filters and subgroups"), ("numeric", "numbers, shown (not split by)"),
                ("text", "text, shown"), ("constant", "one value only, shown")) if names(kind)]
            st.caption("Other columns. " + "; ".join(parts) + ".")
        _problems(last)
    _forget_button()


def is_revman(result) -> bool:
    """Whether an import read the file as RevMan's data download (``detected["format"] == "revman"``)."""
    return bool(result is not None and (result.detected or {}).get("format") == "revman")


def _revman_summary(guess) -> None:
    """What a RevMan data file holds: its analyses with their measure, studies and subgroups (no mapping needed)."""
    from peerstats.revman import MEASURE_NAMES

    data = guess.detected["revman"]
    analyses = data.analyses
    used = set((guess.detected.get("measures") or {}))
    st.markdown(f"**RevMan data file** (a Cochrane review's data download): {len(analyses)} analyses. Each becomes an "
                "outcome; its effect measure is read from the file's own per-study estimates, its subgroups become "
                "a subgroup variable, and arm 1 is the review's *intervention* (experimental) group.")
    frame = pd.DataFrame({
        "Analysis": [a.label for a in analyses],
        "Measure": [MEASURE_NAMES.get(a.measure, a.measure) for a in analyses],
        "Studies": [a.k for a in analyses],
        "Subgroups": [len(a.subgroups()) or None for a in analyses],
        "CI level": [f"{a.level:.0%}" for a in analyses],
        "Rows equal to RevMan's own": [f"{a.agreement:.0%}" if a.agreement == a.agreement else None
                                       for a in analyses],
        "Used": ["yes" if f"analysis_{a.code.replace('.', '_')}" in used else "no (no estimable study)"
                 for a in analyses],
    })
    st.dataframe(frame, hide_index=True, key="byor_revman_analyses", width="stretch", placeholder="\u2013")


def _bundled_summary(guess) -> None:
    """A file in the bundled data set's own format: which file it is and where the other comes from."""
    kind = (guess.detected.get("files") or ("effects",))[0]
    other = "trials" if kind == "effects" else "effects"
    st.markdown(f"**The bundled data set's own format**: this is its **{kind}** file (it has every column the "
                "codebook requires). Its rows are checked as the bundled data are, and it is used whole or not at "
                f"all; the {other} come from the bundled data"
                + (" (the trials its rows name)." if kind == "effects" else " (the effect rows of the trials it lists).")
                + " To upload both files at once use the tab *Upload in the bundled schema*.")


def _forget_button() -> None:
    if loader.has_upload():
        st.button("Forget my upload", key="byor_forget", on_click=byor.forget,
                  help="Drop your data from this session and go back to the bundled data.")


def _sep(d: str | None) -> str:
    return {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}.get(d or ",", repr(d))
