"""The Small-study effects page on a RevMan binary analysis (issue 19, AppTest): Harbord's test for an odds ratio,
Peters' test for a risk ratio, each with the reason it replaces Egger's, and its p-value equal to the test run here on
the file's rows (read with pandas, not through the importer)."""

from __future__ import annotations

import math
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
    at.switch_page("pages/small-study-effects.py").run()
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


def test_the_what_it_means_card_gives_the_natural_nnt_of_a_risk_ratio():
    from peerstats import effect_sizes, pool

    file, (ai, n1i, ci, n2i) = "CD013715_pub2.csv", cells("CD013715_pub2.csv", 1, 22)
    path = FIXTURES / file
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="byor_file").set_value((path.name, path.read_bytes(), "text/csv")).run()
    at.button(key="byor_use").click().run()
    at.sidebar.selectbox(key="v_outcome").set_value("analysis_1_22").run()
    at.switch_page("pages/explore.py").run()
    assert_clean(at)
    es = effect_sizes("RR", ai=ai, n1i=n1i, ci=ci, n2i=n2i, convention="revman")
    res = pool(es.yi, es.vi, method="DL")  # the app's default estimator
    cer = ci.sum() / n2i.sum()
    rr, lo, hi = (math.exp(x) for x in (res.estimate, res.ci_low, res.ci_high))
    nnt = 1 / (cer - cer * rr)  # Cochrane Handbook 15.4.4
    got = {m.label: m.value for m in at.metric}
    assert got["Number needed to treat"] == str(math.ceil(abs(nnt)))
    assert got["Control group's risk"] == f"{cer:.1%}"
    words = " ".join(m.value for m in at.markdown)
    assert f"{int(ci.sum())} events among {int(n2i.sum())} participants" in words
    assert f"one {'fewer' if nnt > 0 else 'more'} event for every {math.ceil(abs(nnt))} people treated" in words
    if lo < 1 < hi:  # Altman's reading, the limits from the ratio's CI
        assert f"one more event per {math.ceil(1 / (cer * hi - cer))} at worst" in words
