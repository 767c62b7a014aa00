"""Long plots in pages of rows (issue 9: 5,000 studies). A forest plot or traffic light of thousands of rows is an
image tens of thousands of pixels tall that browsers leave blank; pages show :data:`PAGE_ROWS` rows at a time with a
selector, and say so in words. Pure helpers plus one Streamlit selector.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

#: Rows per page of a forest plot or traffic light.
PAGE_ROWS = 60
#: Largest selection for which leave-one-out and cumulative analyses are computed and drawn (each is k pooled
#: analyses with profile-likelihood intervals: seconds at k = 1,000, minutes at 5,000).
SEQUENTIAL_MAX = 300


def n_pages(k: int, size: int = PAGE_ROWS) -> int:
    return max(1, math.ceil(k / size))


def page_slice(frame: pd.DataFrame, page: int, size: int = PAGE_ROWS) -> pd.DataFrame:
    """Rows ``page * size`` to ``(page + 1) * size - 1`` of ``frame`` (page clipped into range)."""
    page = min(max(0, int(page)), n_pages(len(frame), size) - 1)
    return frame.iloc[page * size:(page + 1) * size]


def page_label(page: int, k: int, size: int = PAGE_ROWS) -> str:
    return f"rows {page * size + 1:,}–{min(k, (page + 1) * size):,} of {k:,}"


def choose_page(k: int, key: str, what: str, size: int = PAGE_ROWS) -> int:
    """Draw a page selector when ``k`` rows need more than one page (and say so); return the chosen page (0 when
    one page is enough)."""
    pages = n_pages(k, size)
    if pages == 1:
        return 0
    st.caption(f"{k:,} rows are too many for one readable {what}: it shows {size} at a time, in the same order as the "
               "table. Every row still counts in the pooled result.")
    if st.session_state.get(key, 0) >= pages:
        st.session_state[key] = 0
    return st.selectbox(f"Rows of the {what}", list(range(pages)), key=key,
                        format_func=lambda p: page_label(p, k, size))
