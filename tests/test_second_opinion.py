"""Risk of bias by two reviews, the 'high risk by either review' filter and the doubtful-row switch."""

from __future__ import annotations

import pandas as pd

from dashboard import view as V
from dashboard.text import provenance_mix
from peerstats.data import load_evidence
from peerstats.second_opinion import high_risk_either, rob_comparison
from peerstats.select import Filters, select, subgroup_inputs


def _trials():
    return pd.DataFrame({
        "trial_id": ["a", "b", "c", "d", "e"], "label": ["A", "B", "C", "D", "E"],
        "quality": ["poor", "fair", "fair", "good", "poor"],
        "rob_blinding_assessors": ["high", "low", "unclear", "low", "low"],
        "rob2_overall": ["high", "high", "some_concerns", "", ""],
    })


def test_high_risk_either_by_hand():
    # a: poor + RoB2 high; b: fair + high; c: fair + some concerns; d: good, not rated; e: poor, not rated
    assert high_risk_either(_trials()).tolist() == [True, True, False, False, True]
    # without the RoB 2 column (an upload): the paper's rating alone
    assert high_risk_either(_trials().drop(columns="rob2_overall")).tolist() == [True, False, False, False, True]


def test_rob_comparison_by_hand():
    c = rob_comparison(_trials()).set_index("trial_id")
    assert list(c.index) == ["b", "a", "c"]  # disagreement first, then by label; unrated trials left out
    assert c.loc["b", "agreement"] == "only Smit: high"
    assert c.loc["a", "agreement"] == "both high" and c.loc["a", "paper_high_domains"] == 1
    assert c.loc["c", "agreement"] == "neither high"


def test_bundled_disagreements():
    # From trials.csv read by eye: 7 fair trials that Smit rates high (Boevink, Cook x2, Johnson, O'Connell,
    # Pfeiffer, Van Gestel-Timmermans), 4 poor ones Smit does not (Corrigan 2017, Craig, Kaplan, Russinova).
    c = rob_comparison(load_evidence().trials)
    assert len(c) == 18
    assert (c.agreement == "only Smit: high").sum() == 7
    assert sorted(c.trial_id[c.agreement == "only Egmose: high"]) == [
        "corrigan2017", "craig2004", "kaplan2011", "russinova2014"]


def test_filters_leave_out_high_risk_trials_and_doubtful_rows():
    ev = load_evidence()
    base = select(ev, Filters(), "personal_recovery")
    strict = select(ev, Filters(exclude_high_risk=True), "personal_recovery")
    high = set(ev.trials.trial_id[(ev.trials.quality == "poor") | (ev.trials.rob2_overall == "high")])
    assert set(strict.effects.trial_id) == set(base.effects.trial_id) - high
    nodoubt = select(ev, Filters(exclude_doubtful=True), "personal_recovery")
    doubtful = base.effects.doubt.fillna("").str.strip() != ""
    assert base.provenance_counts["doubtful"] == int(doubtful.sum()) >= 2  # Davidson, Kaplan, Corrigan (g only)
    assert set(nodoubt.effects.effect_id) == set(base.effects.effect_id[~doubtful])
    assert nodoubt.provenance_counts["doubtful"] == 0


def test_flags_round_trip_through_the_url_and_widgets():
    view = V.ViewState(filters=Filters(exclude_high_risk=True, exclude_doubtful=True))
    params = V.encode(view)
    assert params == {"nohighrisk": "1", "nodoubt": "1"}
    assert V.decode(params) == view
    assert V.from_widgets(V.to_widgets(view), page=view.page) == view
    assert V.encode(V.ViewState()) == {}


def test_rob2_is_a_moderator():
    ev = load_evidence()
    _yi, _vi, groups = subgroup_inputs(select(ev, Filters(), "personal_recovery"), "rob2_overall")
    assert set(groups) <= {"low", "some_concerns", "high", "not recorded"} and "not recorded" in set(groups)


def test_doubtful_count_in_the_provenance_mix():
    assert provenance_mix({"reported": 3, "derived": 1, "reconstructed": 6, "doubtful": 2}) == (
        "10 trials: 3 reported, 1 derived, 6 reconstructed; 2 doubtful")  # not "(... of them)": which kind? (issue 17)
    assert provenance_mix({"reported": 3, "derived": 0, "reconstructed": 0, "doubtful": 0}) == "3 trials: 3 reported"


def test_one_definition_of_high_risk():
    # the filter, the comparison and GRADE's risk-of-bias domain all ask peerstats.risk_of_bias: AHRQ poor, a key
    # domain high, RoB 2 overall high, or (overall missing) a RoB 2 domain high; a trial without ratings is not high
    from peerstats.risk_of_bias import high_risk, judgement

    t = pd.DataFrame({"quality": ["poor", "fair", "good", "fair", None, "good"],
                      "rob_allocation_concealment": ["low", "high", "low", "low", None, "low"],
                      "rob_power_calculation": ["low", "low", "high", "low", None, "low"],   # not a key domain
                      "rob2_d3_missing_data": [None, None, None, "high", None, None],
                      "rob2_overall": [None, None, None, None, None, "some_concerns"]})
    assert high_risk(t).tolist() == [True, True, False, True, False, False]
    assert high_risk_either(t).tolist() == high_risk(t).tolist()
    assert judgement(t).tolist() == ["high", "high", "low", "high", "not rated", "low"]
