"""peerstats: the evidence dashboard for Egmose et al. (2023), peer support for adults with mental illness.

Run with ``streamlit run app.py`` (or ``bash run.sh app``). The entry point is thin: :func:`dashboard.shell.main` sets
the page up, keeps the URL in step with the view, draws the shared sidebar and runs the page from ``pages/`` that
``st.navigation`` selects.
"""

from dashboard.shell import main

main()
