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


def test_a_number_typed_in_the_cards_boxes_is_the_value_the_card_uses():
    """WCAG 2.5.7: each slider of the card has a number box; typing in it moves the slider and the figures."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    sel = select(load_evidence(), Filters(), "personal_recovery")
    est = pool(sel.yi, sel.vi, method="DL").estimate
    n = NormalDist()
    at.number_input(key="wim_cer_box").set_value(0.45).run()
    assert not at.exception
    assert at.slider(key="wim_cer").value == pytest.approx(0.45)
    nnt = 1 / (n.cdf(est + n.inv_cdf(0.45)) - 0.45)            # Furukawa & Leucht at the typed control rate
    assert {m.label: m.value for m in at.metric}["Number needed to treat"] == str(math.ceil(nnt))
    at.number_input(key="wim_mid_box").set_value(0.4).run()
    assert at.slider(key="wim_mid").value == pytest.approx(0.4)
    assert {m.label: m.value for m in at.metric}["P(average effect > MID)"] == \
        f"{prob_benefit(sel.yi, sel.vi, 0.4).p_mean_above:.0%}"
    at.slider(key="wim_cer").set_value(0.25).run()             # and the slider moves the box
    assert at.number_input(key="wim_cer_box").value == pytest.approx(0.25)


def test_a_mid_typed_on_the_summary_page_rates_the_certainty_and_goes_into_the_link():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/summary.py").run()
    at.number_input(key="sof_mid_box").set_value(0.35).run()
    assert not at.exception
    assert at.slider(key="sof_mid").value == pytest.approx(0.35)
    df = next(d.value for d in at.dataframe if "What it means" in d.value.columns)
    why = df[df["Outcome"] == "Personal recovery"].iloc[0]["Why rated down"]
    z = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.8)
    assert "an important benefit (+0.35)" in why, why  # the certainty is rated against the typed MID
    how = " ".join(m.value for m in at.markdown)
    assert f"({4 * z * z / 0.35 ** 2:.0f} participants for an MID of 0.35)" in how  # its optimal information size
    carried = at.query_params["threshold"]
    assert (carried[0] if isinstance(carried, list) else carried) == "0.35"
    at.number_input(key="sof_cer_box").set_value(0.5).run()
    assert at.slider(key="sof_cer").value == pytest.approx(0.5)
    assert "NNT at 50% control rate" in next(d.value for d in at.dataframe if "What it means" in d.value.columns)
    # the link opens with the MID in both the slider and its box
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params["threshold"] = "0.35"
    fresh.run()
    fresh.switch_page("pages/summary.py").run()
    assert fresh.slider(key="sof_mid").value == pytest.approx(0.35)
    assert fresh.number_input(key="sof_mid_box").value == pytest.approx(0.35)


def test_summary_page_statements_follow_the_filters():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/summary.py").run()
    assert not at.exception
    df = next(d.value for d in at.dataframe if "What it means" in d.value.columns)
    assert "What it means" in df.columns and len(df) == 20
    row = df[df["Outcome"] == "Personal recovery"].iloc[0]
    assert row["Certainty"][0] == "⊕"
    labels = [b.label for b in at.get("download_button")]
    assert "PNG" in labels and "SVG" in labels  # the table as an image (charts.table_image)


def test_subgroups_page_meta_regression_matches_peerstats():
    from peerstats import meta_regression

    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/subgroups.py").run()
    assert not at.exception
    sel = select(load_evidence(), Filters(), "personal_recovery")
    res = meta_regression(sel.yi, sel.vi, sel.effects["year"].astype(float).to_numpy(), method="DL")
    text = " ".join(m.value for m in at.markdown)
    slope = f"{res.coef[1]:.3f}".replace("-", "\u2212")
    assert f"Slope {slope} SMD per year" in text
    assert f"R² = {res.r2:.0f}%" in text


def test_summary_page_override_changes_the_certainty_and_keeps_the_reason():
    from peerstats.sof import summary_of_findings

    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/summary.py").run()
    ev = load_evidence()
    base = summary_of_findings(ev, Filters()).set_index("outcome").loc["personal_recovery"]
    at.selectbox(key="sof_ov_outcome").set_value("personal_recovery")
    at.selectbox(key="sof_ov_domain").set_value("indirectness")
    at.selectbox(key="sof_ov_down").set_value(1)
    at.text_input(key="sof_ov_reason").input("mostly US samples").run()
    at.button(key="sof_ov_apply").click().run()
    assert not at.exception
    df = next(d.value for d in at.dataframe if "What it means" in d.value.columns)
    row = df[df["Outcome"] == "Personal recovery"].iloc[0]
    expected = max(1, int(base["certainty"]) - 1)
    assert row["Certainty"].count("⊕") == expected
    assert "set by the user: mostly US samples" in row["Why rated down"]


def test_grade_overrides_travel_in_the_url_and_come_back_from_a_link():
    # The override set on the page goes into the URL (peerstats.grade.encode_overrides text), and a fresh session
    # opened with that query shows the same override and certainty: the shared link reproduces the view.
    from peerstats.grade import decode_overrides
    from peerstats.sof import summary_of_findings

    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/summary.py").run()
    at.selectbox(key="sof_ov_outcome").set_value("hope")
    at.selectbox(key="sof_ov_domain").set_value("indirectness")
    at.selectbox(key="sof_ov_down").set_value(2)
    at.text_input(key="sof_ov_reason").input("inpatients only; 100% ~ sure").run()
    at.button(key="sof_ov_apply").click().run()
    assert not at.exception
    carried = at.query_params["grade"][0] if isinstance(at.query_params["grade"], list) else at.query_params["grade"]
    assert decode_overrides(carried) == {"hope": {"indirectness": (2, "inpatients only; 100% ~ sure")}}

    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params["grade"] = carried
    fresh.run()
    fresh.switch_page("pages/summary.py").run()
    assert not fresh.exception
    df = next(d.value for d in fresh.dataframe if "What it means" in d.value.columns)
    row = df[df["Outcome"] == "Hope"].iloc[0]
    base = summary_of_findings(load_evidence(), Filters()).set_index("outcome").loc["hope"]
    # hope is mostly imputed (issue 18): no override gives it a certainty, but the override and its reason are kept
    assert not base["assessable"] and row["Certainty"] == "Not assessable: mostly imputed values"
    assert "inpatients only; 100% ~ sure" in row["Why rated down"]
    # junk in the link is dropped, never an error
    junk = AppTest.from_file(APP, default_timeout=60)
    junk.query_params["grade"] = "hope.nonsense.9.x~~."
    junk.run()
    junk.switch_page("pages/summary.py").run()
    assert not junk.exception
