"""The "what it means" card on Explore and the Summary of findings page, through Streamlit's AppTest: the figures
shown equal what peerstats computes for the same selection (independent hand formulas for the NNT)."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import pytest
from streamlit.testing.v1 import AppTest

from peerstats import pool
from peerstats.benefit import prob_benefit
from peerstats.data import load_evidence
from peerstats.select import Filters, select

pytestmark = pytest.mark.apptest
APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_what_it_means_card_shows_the_nnt_and_probabilities():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    sel = select(load_evidence(), Filters(), "personal_recovery")
    est = pool(sel.yi, sel.vi, method="DL").estimate       # more recovery is better: beneficial = +1
    n = NormalDist()
    nnt = 1 / (n.cdf(est + n.inv_cdf(0.30)) - 0.30)        # Furukawa & Leucht, control rate 30 % (the default)
    assert metrics["Number needed to treat"] == str(math.ceil(nnt))
    assert metrics["Above the control average (U3)"] == f"{n.cdf(est):.0%}"
    assert metrics["P(average effect > MID)"] == f"{prob_benefit(sel.yi, sel.vi, 0.2).p_mean_above:.0%}"
    at.slider(key="wim_cer").set_value(0.5).run()
    nnt50 = 1 / (n.cdf(est) - 0.5)
    assert {m.label: m.value for m in at.metric}["Number needed to treat"] == str(math.ceil(nnt50))


def test_summary_page_statements_follow_the_filters():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/summary.py").run()
    assert not at.exception
    df = next(d.value for d in at.dataframe if "What it means" in d.value.columns)
    assert "What it means" in df.columns and len(df) == 20
    row = df[df["Outcome"] == "Personal recovery"].iloc[0]
    assert row["Certainty"][0] == "⊕"
