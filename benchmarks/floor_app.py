"""The floor of the load benchmark: the least any Streamlit page could do for the same user actions.

One checkbox ("Exclude poor-quality trials") and one metric ("Pooled SMD", or "SMD (one trial)" where one trial is
left) computed by ``peerstats`` for the outcome in the URL (``?outcome=``), no sidebar filters, charts or tables.
``python -m benchmarks.bench_load --floor`` serves this instead of ``app.py`` behind the same nginx deployment
(``deploy/run.sh --app``) and drives it with the same clicks, so the difference between the two runs is what the
dashboard itself costs; the floor run is what Streamlit, the proxy and Chromium cost on the machine.

``?sidebar=app`` adds the app's frame with nothing of the app in it, for ``benchmarks/bench_browser.py``: inert widgets
as many and of the kinds as the dashboard's sidebar has, a hidden ``st.navigation`` over ten pages with a page link
to each carrying the view's query (as ``dashboard.shell``), the shell's style element, and the checkbox written into
the address bar on every run (as ``dashboard.state.write_url``). What a click costs on it is what any page of the
dashboard costs before its own content.
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
frame = st.query_params.get("sidebar") == "app"


def body() -> None:
    poor_out = st.sidebar.checkbox("Exclude poor-quality trials", key="floor_poor")
    if frame:
        from dashboard.shell import A11Y_CSS, STALE_WITHOUT_FADE

        st.html(STALE_WITHOUT_FADE + A11Y_CSS)
        bar = st.sidebar
        for i, page in enumerate(PAGES):
            bar.page_link(page, label=f"Page {i + 1}", icon=":material/forest:",
                          query_params={"outcome": outcome, "sidebar": "app", "poor": str(int(poor_out))})
        for i in range(14):
            bar.multiselect(f"Filter {i + 1}", ["first", "second", "third", "fourth"], key=f"floor_ms_{i}")
        for i in range(5):
            bar.checkbox(f"Option {i + 1}", key=f"floor_cb_{i}")
        for i in range(3):
            bar.button(f"Action {i + 1}", key=f"floor_bt_{i}")
        for i in range(2):
            bar.selectbox(f"Choice {i + 1}", ["a", "b", "c"], key=f"floor_sb_{i}")
        for i in range(3):
            bar.markdown(f"Note {i + 1}: nothing here changes.")
        st.query_params["poor"] = str(int(poor_out))
    sel = select(_evidence(), Filters(quality=("good", "fair") if poor_out else ()), outcome)
    if sel.k:
        st.metric("SMD (one trial)" if sel.k == 1 else "Pooled SMD",
                  f"{pool(sel.yi, sel.vi, method='DL').estimate:.2f}".replace("-", "\u2212"))


if frame:
    PAGES = [st.Page(body, title="Floor", url_path="floor", default=True)] + [
        st.Page(lambda: None, title=f"Page {i + 2}", url_path=f"page{i + 2}") for i in range(9)]
    st.navigation(PAGES, position="hidden").run()
else:
    body()
