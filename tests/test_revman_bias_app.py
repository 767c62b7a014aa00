"""The Small-study effects page on a RevMan binary analysis (issue 19, AppTest): Harbord's test for an odds ratio,
Peters' test for a risk ratio, each with the reason it replaces Egger's, and its p-value equal to the test run here on
the file's rows (read with pandas, not through the importer)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import text
from peerstats.bias import harbord_test, peters_test
from test_apptest import APP, assert_clean

pytestmark = pytest.mark.apptest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "revman"


def open_analysis(file: str, outcome: str) -> AppTest:
    path = FIXTURES / file
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="byor_file").set_value((path.name, path.read_bytes(), "text/csv")).run()
    at.button(key="byor_use").click().run()
    assert_clean(at)
    at.sidebar.selectbox(key="v_outcome").set_value(outcome).run()
    at.switch_page("pages/small_study_effects.py").run()
    assert_clean(at)
    return at


def cells(file: str, group: int, number: int):
    d = pd.read_csv(FIXTURES / file)
    d = d[(d["Analysis group"] == group) & (d["Analysis number"] == number) & d["Study"].notna()]
    return (d["Experimental cases"].to_numpy(float), d["Experimental N"].to_numpy(float),
            d["Control cases"].to_numpy(float), d["Control N"].to_numpy(float))


def _p_metrics(at: AppTest) -> list[str]:
    return [m.value for m in at.metric if m.label == "p (asymmetry)"]


@pytest.mark.parametrize("file, outcome, code, name, run", [
    ("CD013715_pub2.csv", "analysis_1_22", (1, 22), "Peters", lambda c: peters_test(*c, measure="RR")),
    ("CD007809_pub3.csv", "analysis_2_5", (2, 5), "Harbord", lambda c: harbord_test(*c)),
])
def test_the_binary_small_study_test_is_shown_with_its_reason(file, outcome, code, name, run):
    at = open_analysis(file, outcome)
    words = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert f"**{name}'s test (for binary outcomes)**" in words
    assert "Egger's test is not the right one" in words
    assert ("1/N" in words) if name == "Peters" else ("Z/√V" in words)
    expected = run(cells(file, *code))
    assert expected.reason == "" and expected.k >= 3
    assert _p_metrics(at)[1] == text.fmt_p(expected.pval)  # [0] is Egger's
    assert f"{name}'s test on {text.count(expected.k, 'trial')}" in words
