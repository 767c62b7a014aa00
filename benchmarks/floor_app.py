"""The floor of the load benchmark: the least any Streamlit page could do for the same user actions.

One checkbox ("Exclude poor-quality trials") and one metric ("Pooled SMD", or "SMD (one trial)" where one trial is
left) computed by ``peerstats`` for the outcome in the URL (``?outcome=``), no sidebar filters, charts or tables.
``python benchmarks/bench_load.py --floor`` serves this instead of ``app.py`` behind the same nginx deployment
(``deploy/run.sh --app``) and drives it with the same clicks, so the difference between the two runs is what the
dashboard itself costs; the floor run is what Streamlit, the proxy and Chromium cost on the machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peerstats.data import load_evidence  # noqa: E402
from peerstats.meta import pool  # noqa: E402
from peerstats.select import Filters, select  # noqa: E402


@st.cache_resource
def _evidence():
    return load_evidence()


outcome = st.query_params.get("outcome", "personal_recovery")
poor_out = st.sidebar.checkbox("Exclude poor-quality trials")
sel = select(_evidence(), Filters(quality=("good", "fair") if poor_out else ()), outcome)
if sel.k:
    st.metric("SMD (one trial)" if sel.k == 1 else "Pooled SMD",
              f"{pool(sel.yi, sel.vi, method='DL').estimate:.2f}".replace("-", "\u2212"))
