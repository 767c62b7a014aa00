"""Every chart has a text alternative (issue 22): Streamlit draws charts as canvases with no alt text, so each chart
is followed, before the next chart, by a caption in words with the numbers it shows and by its data as a table one
click away (an expander "Data of this chart", or a caption pointing to the table on the page that holds them).

The page tests walk every page that draws a chart (AppTest, bundled data) and check each chart element; the unit
tests check the caption sentences against numbers computed here from the inputs.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import text
from dashboard.text import MINUS, Scale

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DATA_LABEL = "Data of this chart"
CHART_TYPES = {"vega_lite_chart", "arrow_vega_lite_chart"}


def _caption_text(node) -> str:
    return str(getattr(node, "value", "") or "") if getattr(node, "type", None) == "caption" else ""


def chart_alternatives(at: AppTest) -> list[dict]:
    """Each chart element of the run, with what follows it in its block up to the next chart: the captions that
    carry a number, and whether its data is a click away (a "Data of this chart" expander, or a caption naming the
    table that holds the numbers)."""
    found: list[dict] = []

    def walk(node) -> None:
        children = list(getattr(node, "children", {}).values())
        for i, child in enumerate(children):
            if getattr(child, "type", None) in CHART_TYPES:
                after = []
                for nxt in children[i + 1:]:
                    if getattr(nxt, "type", None) in CHART_TYPES:
                        break
                    after.append(nxt)
                captions = [_caption_text(n) for n in after if _caption_text(n)]
                found.append({
                    "numbers": [c for c in captions if re.search(r"\d", c)],
                    "data": any(getattr(n, "type", None) == "expander" and getattr(n, "label", "") == DATA_LABEL
                                for n in after)
                            or any("table" in c or DATA_LABEL in c for c in captions),
                })
            walk(child)

    walk(at._tree)
    return found


def run(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# page (query) -> how many charts it draws on the bundled data's default view
PAGES = {
    "explore": 1,
    "subgroups": 2,  # the subgroup forest and the meta-regression bubble
    "sensitivity": 3,  # leave one out, cumulative, Baujat
    "small-study-effects": 2,  # funnel, contour-enhanced funnel
    "risk-of-bias": 2,  # summary, traffic light
    "multiverse": 2,  # the specification curve, the next trial's power curve
}


@pytest.mark.apptest
@pytest.mark.parametrize("page", list(PAGES))
def test_every_chart_has_a_text_alternative(page):
    at = run({"page": page})
    charts = chart_alternatives(at)
    assert len(charts) == PAGES[page]
    for i, c in enumerate(charts):
        assert c["numbers"], f"{page}: chart {i + 1} has no caption with its numbers"
        assert c["data"], f"{page}: chart {i + 1} has no data table one click away"


@pytest.mark.apptest
def test_presentation_slide_forest_has_a_caption():
    at = run({"page": "explore", "present": "1"})
    charts = chart_alternatives(at)
    assert charts and all(c["numbers"] for c in charts)


# --- the caption sentences, against numbers worked out here -----------------------------------------------------------

def pooled(estimate, ci_low, ci_high):
    return pd.Series({"estimate": estimate, "ci_low": ci_low, "ci_high": ci_high})


def test_forest_caption_gives_range_and_pooled_result():
    yi = [0.1234, -0.3049, 0.9140, 0.2]
    # range by hand: min -0.3049 -> "−0.30", max 0.9140 -> "0.91"
    words = text.forest_caption(yi, pooled(0.2049, 0.1051, 0.2949))
    assert words == f"4 trials: SMD from {MINUS}0.30 to 0.91; pooled SMD 0.20 (95% CI 0.11 to 0.29)."
    # a slide showing 1 of 18 trials, no diamond yet: one value is said once
    assert text.forest_caption([0.914], None, of=18) == "1 of 18 trials: SMD 0.91."


def test_forest_caption_ratio_on_natural_scale():
    rr = Scale(measure="RR", direction_known=False)
    words = text.forest_caption([math.log(0.5), math.log(2.0)], pooled(0.0, math.log(0.8), math.log(1.25)), rr)
    assert words == f"2 trials: {rr.short} from 0.50 to 2.00; pooled {rr.short} 1.00 (95% CI 0.80 to 1.25)."


def test_subgroup_caption_lists_each_subgroup():
    words = text.subgroup_caption(["Online", "Hospital"], [2, 10], [0.3214, 0.2111], [0.0240, 0.0861],
                                  [0.6101, 0.3392])
    assert words == ("SMD (95% CI) per subgroup: Online: 0.32 (0.02 to 0.61; k = 2); "
                     "Hospital: 0.21 (0.09 to 0.34; k = 10).")


def test_leave_one_out_caption_range():
    est = np.array([0.181, 0.2049, 0.219, 0.197])
    words = text.leave_one_out_caption(est, 0.2)
    assert words == "Leaving out each of 4 trials in turn, the pooled SMD goes from 0.18 to 0.22 (all trials: 0.20)."


def test_cumulative_caption_first_last_and_range():
    years = [2004, 2006, 2019]
    est = [-0.21, 0.35, 0.2]
    assert text.cumulative_caption(years, est) == (
        f"Adding 3 trials by year (2004 to 2019), the pooled SMD goes from {MINUS}0.21 (first trial) to 0.20 "
        f"(all trials), within the range {MINUS}0.21 to 0.35.")


def test_baujat_caption_names_the_extreme_trials():
    bj = pd.DataFrame({"label": ["A", "B", "C"], "x": [0.5, 3.98, 1.0], "y": [0.33, 0.01, 0.2]})
    # furthest right: B (x 3.98); furthest up: A (y 0.33)
    assert text.baujat_caption(bj["label"], bj["x"], bj["y"]) == (
        "3 trials: contribution to heterogeneity from 0.50 to 3.98 (largest: B), influence on the pooled result "
        "from 0.01 to 0.33 (largest: A).")


def test_rob_summary_caption_counts_and_unknown_is_not_low():
    levels = pd.Series(["low", "Low ", "unclear", "high", None, "n/a"])
    # by hand: 2 low (case and spaces ignored), 1 unclear, 1 high, 2 not reported (missing is not low)
    assert text.rob_summary_caption({"Blinding": levels}) == (
        "Trials per judgement. Blinding: 2 low, 1 unclear, 1 high, 2 not reported.")


def test_bubble_caption_ranges():
    words = text.bubble_caption([2004, 2019, 2010], [-0.21, 0.91, 0.3], "Publication year")
    assert words.startswith(f"3 trials: publication year from 2004 to 2019 (across), SMD from {MINUS}0.21 to 0.91 "
                            "(up)")


def test_power_caption_first_size_reaching_80_percent():
    n = [10, 20, 40, 80, 160]
    power = [0.31, 0.52, 0.79, 0.93, 0.99]
    # by hand: 40 per arm gives 0.79 < 0.80, so the first size at 0.80 or more is 80
    assert text.power_caption(n, power) == ("Power 0.31 with 10 participants per arm, 0.99 with 160; 0.80 first "
                                            "reached at 80 per arm (5 trial sizes computed).")
    assert "not reached" in text.power_caption([10, 20], [0.1, 0.2])


def test_forest_data_one_row_per_mark():
    from dashboard.components import forest_data

    frame = pd.DataFrame({"label": ["A", "B"], "yi": [0.2, -0.1], "vi": [0.04, 0.01], "provenance": ["reported"] * 2})
    table = forest_data(frame, SimpleNamespace(estimate=0.05, ci_low=-0.1, ci_high=0.2, weights=[20.0, 80.0]))
    z = 1.959963984540054  # the normal 97.5% quantile
    assert list(table["Trial"]) == ["A", "B", "Pooled"]
    assert np.allclose(table["95% CI low"], [0.2 - z * 0.2, -0.1 - z * 0.1, -0.1])
    assert np.allclose(table["95% CI high"], [0.2 + z * 0.2, -0.1 + z * 0.1, 0.2])
    assert np.allclose(table["Weight (%)"], [20.0, 80.0, 100.0])
    rr = forest_data(frame, None, Scale(measure="RR", direction_known=False))
    assert len(rr) == 2 and np.allclose(rr["Estimate"], np.exp([0.2, -0.1]))


@pytest.mark.apptest
def test_every_chart_of_a_risk_ratio_analysis_has_a_text_alternative():
    """A RevMan file's risk ratio (5 studies): every page's charts keep their alternative, and the forest's caption
    gives the studies' risk ratios exponentiated, as its table text does."""
    from test_apptest import PAGE_FILES
    from test_revman_app import BINARY, rows, upload

    at = upload()
    at.sidebar.selectbox(key="v_outcome").set_value(BINARY).run()
    seen = 0
    for page, path in PAGE_FILES.items():
        at.switch_page(path).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        for i, c in enumerate(chart_alternatives(at)):
            seen += 1
            assert c["numbers"] and c["data"], (page, i + 1, c)
        if page == "explore":
            r = rows(1, 22)
            rr = ((r["Experimental cases"] / r["Experimental N"]) / (r["Control cases"] / r["Control N"]))
            assert (r["Experimental cases"] > 0).all() and (r["Control cases"] > 0).all()  # no zero cells here
            low, high = text.fmt(rr.min()), text.fmt(rr.max())
            assert any(x.value.startswith(f"{len(rr)} trials: RR from {low} to {high}") for x in at.caption), \
                [x.value for x in at.caption]
    assert seen >= 5
