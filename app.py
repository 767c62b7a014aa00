"""peerstats: the evidence dashboard for Egmose et al. (2023), peer support for adults with mental illness.

Run with ``streamlit run app.py``. This entry point only sets the page up, draws the shared sidebar, keeps the URL in
step with the view and hands over to the page (``pages/*.py``).
"""

from __future__ import annotations

import streamlit as st

from dashboard import context, loader, sidebar
from dashboard import state as S
from peerstats.errors import DataValidationError
from peerstats.select import outcome_labels

st.set_page_config(page_title="Peer support evidence · peerstats", page_icon=":material/diversity_3:",
                   layout="wide", initial_sidebar_state="expanded")

_FILES = {
    "explore": ("pages/explore.py", ":material/forest:"),
    "subgroups": ("pages/subgroups.py", ":material/call_split:"),
    "sensitivity": ("pages/sensitivity.py", ":material/tune:"),
    "small-study-effects": ("pages/small_study_effects.py", ":material/filter_list:"),
    "risk-of-bias": ("pages/risk_of_bias.py", ":material/traffic:"),
    "reproduce": ("pages/reproduce.py", ":material/fact_check:"),
    "data": ("pages/data.py", ":material/table:"),
    "about": ("pages/about.py", ":material/info:"),
}
pages = {key: st.Page(path, title=S.PAGES[key], icon=icon, url_path=key, default=(key == "explore"))
         for key, (path, icon) in _FILES.items()}
current = st.navigation(list(pages.values()), position="sidebar")
page = next((k for k, p in pages.items() if p.url_path == current.url_path), "explore")

try:
    evidence = loader.current_evidence()
except DataValidationError as exc:
    st.error("The bundled data did not pass validation, so the app cannot start. Problems, row by row:")
    from dashboard.components import problems_table

    problems_table(exc.problems, key="bundled_problems")
    st.stop()

outcomes = outcome_labels(evidence.effects)
S.init_session(outcomes=outcomes, trial_ids=evidence.trials["trial_id"].astype(str))
S.follow_link(pages, page)

view = sidebar.render(evidence, outcomes, page)
S.write_url(view)
context.build(evidence, view, outcomes, source="upload" if loader.using_upload() else "bundled")

current.run()
