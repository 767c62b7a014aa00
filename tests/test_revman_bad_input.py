"""Bad RevMan files get words, never a traceback (issue 19): a damaged row (more cells than the header, or cut
short), a binary row with cases > N, negative counts, and an analysis whose measure cannot be inferred, through
``import_studies`` (the bytes a user uploads) and on the Data page (AppTest)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from peerstats import import_studies
from test_apptest import APP
from test_revman import HEADER


def rr(a, n1, c, n2):
    return f"{(a / n1) / (c / n2):.6f}"


ROWS = [
    f"1,1,Death,,Ann 2001,2001,4,50,8,50,,,,,{rr(4, 50, 8, 50)},,",
    f"1,1,Death,,Bob 2002,2002,6,50,8,50,,,,,{rr(6, 50, 8, 50)},0.1,0.9,junk,7",  # row 2: two cells too many
    "1,1,Death,,Cy 2003,2003,5,50",                                                   # row 3: cut short
    f"1,1,Death,,Di 2004,2004,3,40,9,41,,,,,{rr(3, 40, 9, 41)},,",
    "1,1,Death,,Ed 2005,2005,60,50,8,50,,,,,,,",                                     # row 5: cases > N
    "1,1,Death,,Flo 2006,2006,4,50,-2,50,,,,,,,",                                    # row 6: negative count
    f"1,1,Death,,Gus 2007,2007,5,45,7,44,,,,,{rr(5, 45, 7, 44)},,",
    "2,1,Relapse,,Hal 2001,2001,3,30,5,30,,,,,,,",                                   # row 8: no Mean, no measure
    "2,1,Relapse,,Ivy 2002,2002,4,30,6,31,,,,,,,",
]
RAW = (HEADER + "\n".join(ROWS)).encode()


@pytest.fixture(scope="module")
def imported():
    return import_studies(RAW, "damaged.csv")


def words(result) -> str:
    return "\n".join(str(p) for p in result.problems)


def test_a_row_with_more_cells_than_the_header_is_left_out_in_words(imported):
    assert ("row 2: the row has more cells than the header (extra: 'junk', '7'), so its values may be shifted"
            in words(imported))
    assert "row 2 of damaged.csv" not in set(imported.evidence.effects["source_locator"])


def test_a_row_cut_short_says_which_cells_are_missing(imported):
    assert "row 3: control cases, control N missing" in words(imported)


def test_cases_above_n_and_negative_counts_are_named_by_row_and_column(imported):
    w = words(imported)
    assert "row 5, column 'Experimental cases': 60 events in the experimental arm but N = 50: row left out" in w
    assert "row 6, column 'Control cases': a negative number of events (-2): row left out" in w


def test_an_analysis_whose_measure_cannot_be_inferred_is_left_out_in_words(imported):
    w = words(imported)
    assert "analysis 2.1 Relapse: the measure cannot be inferred (the file gives no Mean/CI to check against" in w
    assert "export the analysis again with them" in w  # what the user can do
    assert "analysis_2_1" not in imported.outcomes


def test_what_is_left_is_the_good_rows_on_the_inferred_measure(imported):
    eff = imported.evidence.effects
    assert list(eff["outcome"].unique()) == ["analysis_1_1"] and set(eff["measure"]) == {"RR"}
    assert sorted(eff["source_locator"]) == [f"row {i} of damaged.csv" for i in (1, 4, 7)]  # Ann, Di, Gus


@pytest.mark.apptest
def test_the_data_page_shows_the_words_without_a_traceback():
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="byor_file").set_value(("damaged.csv", RAW, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="byor_use").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("4 errors" in m.value and "1 warning" in m.value for m in at.markdown)
    table = next(d.value for d in at.dataframe if "Problem" in d.value.columns)
    shown = "\n".join(table["Problem"].astype(str))
    for phrase in ("more cells than the header", "60 events in the experimental arm but N = 50",
                   "a negative number of events (-2)", "the measure cannot be inferred",
                   "control cases, control N missing"):
        assert phrase in shown, phrase
    assert any("The whole app now uses" in s.value for s in at.success)  # the good rows are used
