"""Bring your own review: import a user's file (:func:`peerstats.importer.import_studies`), keep it on the server so a
reload or a shared link finds it again, and the bundled example (the Metapsy peer-support data set).

The store is one in-memory dict per server process (``st.cache_resource``), keyed by the import's fingerprint
(16 hex digits of SHA-256 over the file's bytes and the column mapping). Nothing is written to disk, nothing to
``data/``; a session finds an upload only through its fingerprint, i.e. when the user has it in their URL (their own
tab after a reload, or a link they chose to share). The store keeps the :data:`STORE_SIZE` most recent uploads.

The URL side lives in :mod:`dashboard.state` (``data=<fingerprint>``), the only module that touches the URL.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import streamlit as st

from dashboard import loader
from dashboard import state as S

STORE_SIZE = 64
EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "metapsy_peer_support.csv"
#: The example's mapping: Metapsy's own effect sizes (.g, .g_se: already signed so that > 0 favours peer support,
#: and computed for the change-score and binary rows too), arm sizes for N; the arm means are shown, not re-used.
EXAMPLE_MAPPING = {"study": "study", "outcome": "outcome_category", "instrument": "instrument", "timepoint": "time",
                   "year": "year", "yi": ".g", "sei": ".g_se", "n1i": "n_arm1", "n2i": "n_arm2"}
EXAMPLE_CITATION = (
    "Smit D, Miguel C, Vrijsen JN, Groeneweg B, Spijker J, Cuijpers P (2022). The effectiveness of peer support for "
    "individuals with mental illness: systematic review and meta-analysis. Psychological Medicine (PubMed 36066104). "
    "Data: Metapsy project, data-peer-support-interventions, doi:10.5281/zenodo.7687898, commit 6c0f322.")


@st.cache_resource(show_spinner=False)
def _store() -> tuple[OrderedDict, threading.Lock]:
    return OrderedDict(), threading.Lock()


def keep(result) -> None:
    """Hold an import (an :class:`~peerstats.importer.ImportResult` with evidence) under its fingerprint."""
    store, lock = _store()
    with lock:
        store[result.fingerprint] = result
        store.move_to_end(result.fingerprint)
        while len(store) > STORE_SIZE:
            store.popitem(last=False)


def held(fingerprint: str):
    """The import held under ``fingerprint``, or ``None``."""
    store, lock = _store()
    with lock:
        return store.get(fingerprint)


@st.cache_data(show_spinner="Reading your file…", max_entries=8)
def read(raw: bytes, filename: str, mapping: tuple | None, sheet: str | None):
    """:func:`import_studies`, cached on the bytes, the mapping (as sorted items) and the sheet."""
    from peerstats.importer import import_studies

    return import_studies(raw, filename, dict(mapping) if mapping is not None else None, sheet=sheet)


def use(result) -> None:
    """Make an import the data of this session and of its URL."""
    keep(result)
    loader.store_upload(result.evidence)
    st.session_state[RESULT_KEY] = result
    S.set_data_fingerprint(result.fingerprint)


def forget() -> None:
    loader.forget_upload()
    st.session_state.pop(RESULT_KEY, None)
    S.set_data_fingerprint(None)


RESULT_KEY = "byor_result"   # session_state: the ImportResult in use (moderators, outcome names, problems)


def current_result():
    """The :class:`ImportResult` behind the data in use, when it came from :func:`use` (else ``None``)."""
    if not loader.using_upload():
        return None
    result = st.session_state.get(RESULT_KEY)
    if result is None or result.evidence is not st.session_state.get(loader.UPLOAD_KEY):
        return None  # the upload in use came from the bundled-schema upload, not from an import
    return result


def restore() -> str | None:
    """On a session's first run, bring back the upload its URL names. Returns the fingerprint the server does not
    hold (the caller says so in words), else ``None``."""
    fp = S.data_fingerprint()
    if not fp or loader.has_upload() and st.session_state.get(RESULT_KEY) is not None \
            and st.session_state[RESULT_KEY].fingerprint == fp:
        return None
    result = held(fp)
    if result is None or result.evidence is None:
        return fp
    loader.store_upload(result.evidence)
    st.session_state[RESULT_KEY] = result
    return None


def example_bytes() -> bytes:
    return EXAMPLE.read_bytes()


def moderator_choices(ctx) -> dict[str, str]:
    """Moderators the Subgroups page offers for the data in use: column -> words. The codebook's moderators whose
    column the data have (with at least one value), then an import's categorical columns (their file names)."""
    from peerstats.select import MODERATORS

    eff = ctx.selection.effects if ctx.selection.k else ctx.evidence.effects
    trials = ctx.evidence.trials
    out = {m: w for m, w in MODERATORS.items() if m in trials and trials[m].astype(str).str.strip().ne("").any()}
    result = current_result()
    if result is not None:
        for col, kind in result.moderators.items():
            if kind == "categorical" and col not in out and col in eff:
                out[col] = result.moderator_names.get(col, col)
    return out
