"""The Streamlit side of peerstats: URL state, shared sidebar, plain-language text, charts and exports.

Pages import from here; statistics stay in :mod:`peerstats`.
"""
