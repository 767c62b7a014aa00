"""The floor of the load benchmark: the least any Streamlit page could do for the same user actions.

One checkbox ("Exclude poor-quality trials") and one metric ("Pooled SMD", or "SMD (one trial)" where one trial is
left) computed by ``peerstats`` for the outcome in the URL (``?outcome=``), no sidebar filters, charts or tables.
``python -m benchmarks.bench_load --floor`` serves this instead of ``app.py`` behind the same nginx deployment
(``deploy/run.sh --app``) and drives it with the same clicks, so the difference between the two runs is what the
dashboard itself costs; the floor run is what Streamlit, the proxy and Chromium cost on the machine.
"""

from __future__ import annotations

import streamlit as st

from peerstats.data import load_evidence
from peerstats.meta import pool
from peerstats.select import Filters, select


@st.cache_resource
def _evidence():
    return load_evidence()


outcome = st.query_params.get("outcome", "personal_recovery")
poor_out = st.sidebar.checkbox("Exclude poor-quality trials")
if st.query_params.get("sidebar") == "app":  # a sidebar like the dashboard's: the same number of widgets, inert
    bar = st.sidebar
    for i in range(14):
        bar.multiselect(f"Filter {i + 1}", ["first", "second", "third", "fourth"], key=f"floor_ms_{i}")
    for i in range(10):
        bar.page_link(f"https://example.org/page{i}?poor_out={int(poor_out)}", label=f"Page {i + 1}")
    for i in range(5):
        bar.checkbox(f"Option {i + 1}", key=f"floor_cb_{i}")
    for i in range(3):
        bar.button(f"Action {i + 1}", key=f"floor_bt_{i}")
    for i in range(2):
        bar.selectbox(f"Choice {i + 1}", ["a", "b", "c"], key=f"floor_sb_{i}")
    for i in range(3):
        bar.markdown(f"Note {i + 1}: nothing here changes.")
sel = select(_evidence(), Filters(quality=("good", "fair") if poor_out else ()), outcome)
if sel.k:
    st.metric("SMD (one trial)" if sel.k == 1 else "Pooled SMD",
              f"{pool(sel.yi, sel.vi, method='DL').estimate:.2f}".replace("-", "\u2212"))
