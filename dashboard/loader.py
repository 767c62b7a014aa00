"""Loading the evidence: the bundled data once per file version (``st.cache_resource``), or the user's upload.

The bundled ``data/`` is read through :func:`peerstats.data.load_evidence`, cached on the directory and the files'
modification times, so editing a CSV reloads it and nothing else does. It is one object shared by every session of
the process (``cache_resource``, not ``cache_data``, which would unpickle a fresh copy on every rerun: ~6 ms each, and
a new object defeats :mod:`dashboard.memo`); nothing writes into it. A user's upload lives only in
``st.session_state`` (this browser session): it never touches ``data/`` and is used by the whole app while the
sidebar's data-source switch says so.

``PEERSTATS_DATA_DIR`` (environment) points the app at another data directory (tests use it).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

UPLOAD_KEY = "upload_evidence"      # session_state: the validated Evidence of the user's upload
SOURCE_KEY = "data_source"          # session_state / sidebar radio: "bundled" or "upload"


def data_dir() -> Path:
    """The bundled data directory (``PEERSTATS_DATA_DIR`` or ``peerstats.data.DATA_DIR``)."""
    env = os.environ.get("PEERSTATS_DATA_DIR")
    if env:
        return Path(env)
    from peerstats.data import DATA_DIR

    return Path(DATA_DIR)


@st.cache_resource(show_spinner="Loading the evidence base…", max_entries=4)
def _load(path: str, stamp: tuple) -> object:
    from peerstats.data import load_evidence

    return load_evidence(Path(path))


def bundled_evidence():
    """The bundled :class:`~peerstats.data.Evidence`, cached on (directory, file modification times).

    Raises :class:`peerstats.errors.DataValidationError` if the bundled files fail validation.
    """
    d = data_dir()
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in d.glob("*.csv")))
    return _load(str(d), stamp)


def has_upload() -> bool:
    return st.session_state.get(UPLOAD_KEY) is not None


def using_upload() -> bool:
    """True when the user chose their upload as the data source (and one exists)."""
    return has_upload() and st.session_state.get(SOURCE_KEY) == "upload"


def current_evidence():
    """The evidence the whole app shows: the user's upload if chosen, else the bundled data."""
    if using_upload():
        return st.session_state[UPLOAD_KEY]
    return bundled_evidence()


def store_upload(evidence) -> None:
    """Keep a validated upload for this session and switch the app to it (the bundled files are untouched)."""
    st.session_state[UPLOAD_KEY] = evidence
    st.session_state[SOURCE_KEY] = "upload"


def forget_upload() -> None:
    st.session_state.pop(UPLOAD_KEY, None)
    st.session_state[SOURCE_KEY] = "bundled"
