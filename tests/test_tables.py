"""Issue 12, "tables say things in words": every table a page shows, read back from Streamlit's AppTest on the
bundled data. No header is a raw column name (``ci_low``, ``pval``, ``tau2`` ...), no cell shows "None", "nan" or
"<NA>" (missing values are drawn as an en dash: the table's placeholder), and every p-value column holds
:func:`dashboard.text.fmt_p` text.
"""

from __future__ import annotations

import math
import re

import pytest
from streamlit.testing.v1 import AppTest

from test_apptest import APP, PAGE_FILES, assert_clean

pytestmark = pytest.mark.apptest

#: Names of the engine, the codebook and the code that must never be a table's header.
RAW_NAMES = {
    "ci_low", "ci_high", "pi_low", "pi_high", "pval", "p_value", "q_pval", "q_df", "tau2", "i2", "h2", "k0", "q",
    "qe", "qm", "se", "yi", "vi", "sei", "rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "inf",
    "weight", "weights", "estimate", "statistic", "label", "group", "rows", "kind", "trial_id", "effect_id",
    "outcome", "domain", "provenance", "doubt", "instrument", "timepoint", "formula", "source_url", "source_locator",
    "source_quote", "category", "quality", "control", "leadership", "format", "note", "year", "n", "n_peer",
    "mean_peer", "sd_peer", "n_control", "mean_control", "sd_control", "file", "row", "column", "message",
}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")  # rob_blinding_assessors, n_randomized, ...
BAD_CELLS = {"None", "nan", "NaN", "<NA>", "NaT", "none"}
PAGES = list(PAGE_FILES)
#: Views with tables the default view does not draw: trim-and-fill imputes 3 rows of overall symptoms (k0 checked in
#: test_trim_and_fill_table_is_among_the_views), the data page and subgroups of another outcome.
EXTRA = {"small-study-effects overall_symptoms": ("small-study-effects", {"outcome": "overall_symptoms"}),
         "subgroups hope": ("subgroups", {"outcome": "hope", "moderator": "quality"}),
         "data hope": ("data", {"outcome": "hope"})}
VIEWS = {page: (page, {}) for page in PAGES} | EXTRA


def _shown_tables(at: AppTest) -> list:
    """The read-only tables (an editable table, st.data_editor, is an input: see test_editors_label_every_column)."""
    return [df for df in at.dataframe if df.proto.editing_mode == 0]


def _editors(at: AppTest) -> list:
    return [df for df in at.dataframe if df.proto.editing_mode != 0]


def _headers(df) -> list[str]:
    frame = df.value
    names = [str(c) for c in frame.columns]
    names += [str(n) for n in frame.index.names if n is not None]  # a named index is shown as a column
    return names


def _placeholder(df) -> str | None:
    proto = df.proto
    return proto.placeholder if proto.HasField("placeholder") else None


@pytest.fixture(scope="module")
def visited() -> dict[str, AppTest]:
    out = {}
    for name, (page, query) in VIEWS.items():
        at = AppTest.from_file(APP, default_timeout=90)
        at.query_params.update(query)
        at.run()
        at.switch_page(PAGE_FILES[page]).run()
        assert_clean(at)
        out[name] = at
    return out


def test_trim_and_fill_table_is_among_the_views(visited):
    from peerstats.data import load_evidence
    from peerstats.meta import trim_and_fill
    from peerstats.select import Filters, select

    sel = select(load_evidence(), Filters(), "overall_symptoms")
    real = sel.effects["provenance"].ne("reconstructed").to_numpy()
    k0 = trim_and_fill(sel.yi[real], sel.vi[real]).k0
    assert k0 > 0
    tables = [df.value for df in visited["small-study-effects overall_symptoms"].dataframe]
    (filled,) = [t for t in tables if "Imputed SMD (yi)" in t.columns]
    assert len(filled) == k0 and list(filled.columns) == ["Imputed SMD (yi)", "Variance (vi)", "Kind"]


@pytest.mark.parametrize("page", list(VIEWS))
def test_no_table_header_is_a_raw_column_name(visited, page):
    for df in _shown_tables(visited[page]):
        for name in _headers(df):
            assert name not in RAW_NAMES and not SNAKE.match(name), (page, name)


@pytest.mark.parametrize("page", list(VIEWS))
def test_no_cell_says_none_or_nan(visited, page):
    for df in _shown_tables(visited[page]):
        frame = df.value
        for column in frame.columns:
            values = frame[column]
            as_text = {str(v).strip() for v in values if isinstance(v, str)}
            assert not (as_text & BAD_CELLS), (page, column, as_text & BAD_CELLS)
        missing = frame.isna().to_numpy().any() if len(frame) else False
        if missing:  # drawn as the placeholder: it must be a blank or an en dash, not Streamlit's default "None"
            assert _placeholder(df) in ("", "–"), (page, list(frame.columns))


@pytest.mark.parametrize("page", list(VIEWS))
def test_p_value_columns_are_fmt_p_text(visited, page):
    for df in _shown_tables(visited[page]):
        frame = df.value
        for column in frame.columns:
            name = str(column)
            if name == "p" or name.startswith("p ("):
                values = [v for v in frame[column] if not (v is None or (isinstance(v, float) and math.isnan(v)))]
                assert values, (page, name)
                for v in values:
                    assert isinstance(v, str), (page, name, v)
                    assert v == "< 0.001" or re.fullmatch(r"0\.\d{3}|1\.000", v), (page, name, v)


@pytest.mark.parametrize("page", list(VIEWS))
def test_editors_label_every_column(visited, page):
    """An editable table's frame keeps its internal names (the page reads them back), so each column must have a
    readable label in its column config (an editor has no CSV download)."""
    import json

    for df in _editors(visited[page]):
        config = json.loads(df.proto.columns or "{}")
        for name in _headers(df):
            label = (config.get(name) or config.get(f"col:{name}") or {}).get("label")
            assert label and not SNAKE.match(label), (page, name, label)
