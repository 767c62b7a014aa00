"""peerstats.s_value and peerstats.power_next_trial against closed forms written out here, and a simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from peerstats import pool, power_curve, power_next_trial, s_value, subgroup_test
from peerstats.designer import add_hypothetical_trials, design_options, hypothetical_view_check
from peerstats.select import Filters, filter_trials

YI = np.array([0.62, 0.10, 0.45, -0.05, 0.80, 0.20])
VI = np.array([0.04, 0.05, 0.02, 0.06, 0.09, 0.01])


def test_s_value_closed_form_by_hand():
    # z = yi / sqrt(vi) = 3.1, 0.447, 3.18, -0.204, 2.667, 2.0: affirmative (z > 1.95996) are studies 0, 2, 4, 5.
    # w = 1/vi = 25, 20, 50, 16.667, 11.111, 100.
    # sum_A w y = 25*.62 + 50*.45 + 11.111*.8 + 100*.2 = 15.5 + 22.5 + 8.8889 + 20 = 66.8889
    # sum_N w y = 20*.10 + 16.667*(-.05) = 2 - 0.83333 = 1.16667 > 0, so with q = 0 no eta can: inf.
    res = s_value(YI, VI, q=0.0)
    assert res.k_affirmative == 4 and res.k_nonaffirmative == 2
    assert math.isinf(res.s_value) and "still above" in res.reason
    # worst case = sum_N w y / sum_N w = 1.16667 / 36.6667 = 0.0318182
    assert res.worst_case == pytest.approx(1.1666667 / 36.666667, rel=1e-6)
    # with q = 0.1: sum_A w (y - .1) = 66.8889 - .1*186.111 = 48.2778; sum_N w (y - .1) = 1.16667 - 3.66667 = -2.5
    # eta = 48.2778 / 2.5 = 19.3111
    res = s_value(YI, VI, q=0.1)
    assert res.s_value == pytest.approx(48.277778 / 2.5, rel=1e-6)
    # check the defining property: up-weighting non-affirmative studies by eta brings the FE estimate to q
    aff = YI / np.sqrt(VI) > stats.norm.ppf(0.975)
    w = np.where(aff, 1.0, res.s_value) / VI
    assert np.dot(w, YI) / w.sum() == pytest.approx(0.1, abs=1e-12)


def test_s_value_nan_when_estimate_at_or_below_q():
    res = s_value(YI, VI, q=1.0)
    assert math.isnan(res.s_value) and "already" in res.reason


def test_s_value_every_study_affirmative_is_inf():
    res = s_value([1.0, 1.2], [0.04, 0.05])
    assert math.isinf(res.s_value) and res.k_nonaffirmative == 0 and math.isnan(res.worst_case)


def test_fe_power_closed_form():
    # new trial: n = 40 per arm, true SMD 0.3 -> v_new = 2/40 + 0.09/160 = 0.05 + 0.0005625 = 0.0505625.
    # Updated FE estimate = (sum w y + y_new / v_new) / W' with W' = sum w + 1/v_new; only y_new ~ N(0.3, v_new) is
    # random, so it is normal with mean m = (sum w y + 0.3/v_new)/W' and sd sqrt(1/v_new)/W'; se' = W'^-1/2;
    # power = P(est > 1.96 se') + P(est < -1.96 se'). Computed here with scipy.stats.norm objects.
    yi, vi = np.array([0.1, -0.2, 0.3]), np.array([0.2, 0.3, 0.25])
    v_new = 2 / 40 + 0.3 ** 2 / (4 * 40)
    W = (1 / vi).sum() + 1 / v_new
    est = stats.norm(((yi / vi).sum() + 0.3 / v_new) / W, math.sqrt(1 / v_new) / W)
    se = W ** -0.5
    z = stats.norm.ppf(0.975)
    expected = est.sf(z * se) + est.cdf(-z * se)
    res = power_next_trial(yi, vi, 40, 0.3, method="FE")
    assert res.vi_new == pytest.approx(0.0505625, rel=1e-12)
    assert res.power == pytest.approx(expected, rel=1e-10)
    assert res.mc_se == 0 and not res.current_excludes_zero


def test_fe_power_by_brute_force_simulation():
    # independent check of the closed form: simulate y_new, refit with pool(method="FE"), count CIs excluding 0
    yi, vi = np.array([0.1, -0.2, 0.3]), np.array([0.2, 0.3, 0.25])
    n, d = 25, 0.4
    v_new = 2 / n + d * d / (4 * n)
    rng = np.random.default_rng(5)
    hits = []
    for y in d + math.sqrt(v_new) * rng.standard_normal(2000):
        r = pool(np.append(yi, y), np.append(vi, v_new), method="FE")
        hits.append(r.ci_low > 0 or r.ci_high < 0)
    p_sim = np.mean(hits)
    p = power_next_trial(yi, vi, n, d).power
    assert abs(p - p_sim) < 4 * math.sqrt(p * (1 - p) / 2000)


@pytest.mark.parametrize("method", ["DL", "REML"])
def test_random_effects_power_matches_an_independent_simulation(method):
    # a different seed and a plain loop over pool(): the two Monte Carlo estimates agree within 4 combined errors
    yi = np.array([0.5, -0.1, 0.3, 0.05, 0.6])
    vi = np.array([0.05, 0.08, 0.04, 0.1, 0.12])
    n, d = 60, 0.25
    v_new = 2 / n + d * d / (4 * n)
    rng = np.random.default_rng(99)
    hits = []
    for y in d + math.sqrt(v_new) * rng.standard_normal(800):
        r = pool(np.append(yi, y), np.append(vi, v_new), method=method)
        hits.append(r.ci_low > 0 or r.ci_high < 0)
    p_ind = np.mean(hits)
    res = power_next_trial(yi, vi, n, d, method=method, n_sim=800)
    assert res.n_sim == 800 and res.mc_se == pytest.approx(math.sqrt(res.power * (1 - res.power) / 800))
    combined = math.sqrt(res.mc_se ** 2 + p_ind * (1 - p_ind) / 800)
    assert abs(res.power - p_ind) < 4 * combined + 1e-12


def test_power_curve_increases_with_n_for_fe():
    curve = power_curve([0.1, 0.2], [0.1, 0.1], [10, 50, 200, 1000], 0.3)
    assert list(curve.columns) == ["n_per_arm", "power", "mc_se"]
    assert np.all(np.diff(curve["power"]) > 0)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="n_per_arm"):
        power_next_trial(YI, VI, 1, 0.3)
    with pytest.raises(ValueError, match="method"):
        power_next_trial(YI, VI, 20, 0.3, method="ML")


def test_shift_to_null_fe_closed_form():
    # FE: pooled = sum w y / sum w; shifting the masked studies by d adds d * sum_mask w / sum w, so
    # d = -pooled * sum w / sum_mask w. Here w = 25, 20, 50, 16.667, 11.111, 100 (sum 222.78); mask = studies 1, 3
    # (sum 36.667); pooled = sum w y / sum w.
    from peerstats.planning import shift_to_null
    w = 1 / VI
    pooled = np.dot(w, YI) / w.sum()
    mask = np.array([False, True, False, True, False, False])
    d = shift_to_null(YI, VI, mask, method="FE")
    assert d == pytest.approx(-pooled * w.sum() / w[mask].sum(), rel=1e-9)


@pytest.mark.parametrize("method", ["DL", "REML"])
def test_shift_to_null_random_effects_reaches_zero(method):
    # tau2 is re-estimated at every shift: check the defining property with an independent pool() call
    from peerstats.planning import shift_to_null
    mask = np.array([True, False, True, False, False, False])
    d = shift_to_null(YI, VI, mask, method=method)
    assert d < 0
    assert pool(YI + d * mask, VI, method=method).estimate == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(shift_to_null(YI, VI, np.zeros(6, bool)))


def test_decisive_trials_by_brute_force():
    from peerstats.planning import decisive_trials
    yi = np.array([0.3, 0.05, 0.25, -0.1, 0.6])
    vi = np.array([0.02, 0.03, 0.05, 0.04, 0.2])
    full = pool(yi, vi)
    excl = full.ci_low > 0
    expected = [i for i in range(5) if (pool(np.delete(yi, i), np.delete(vi, i)).ci_low > 0) != excl]
    assert list(decisive_trials(yi, vi)) == expected
    assert len(expected) > 0  # the data were chosen so that some trial is decisive


# ---------------------------------------------------------------------------------------------------------------
# next-trial designer: add_hypothetical_trials
# ---------------------------------------------------------------------------------------------------------------
def _rows():
    """Six made-up rows in Selection.effects' columns (categories, quality, n) around YI / VI above."""
    return pd.DataFrame({"label": [f"T{i}" for i in range(6)], "yi": YI, "vi": VI,
                         "n": [100, 80, 200, 70, 45, 400], "provenance": "reported",
                         "category": ["hospital_added", "hospital_added", "independent", "online", "online",
                                      "independent"],
                         "quality": ["good", "fair", "good", "fair", "good", "good"]})


def _trial(**kw):
    base = {"n_per_arm": 100, "smd": 0.3, "as_pooled": False, "category": "online", "quality": "good",
            "control": "tau", "leadership": "peer_led"}
    return {**base, **kw}


def test_several_hypothetical_trials_equal_pool_on_hand_appended_arrays():
    rows = _rows()
    res = add_hypothetical_trials(rows, [_trial(n_per_arm=80, smd=0.5), _trial(n_per_arm=120, as_pooled=True)],
                                  Filters(), method="DL", test="z")
    before = pool(YI, VI, "DL")
    # trial 1: 80 per arm, SMD 0.5: v = 2/80 + 0.25/320 = 0.025 + 0.00078125
    # trial 2: 120 per arm at the current pooled DL estimate m: v = 2/120 + m^2/480
    m = before.estimate
    y = np.append(YI, [0.5, m])
    v = np.append(VI, [2 / 80 + 0.25 / 320, 2 / 120 + m * m / 480])
    after = pool(y, v, "DL")
    assert res.k_added == 2 and res.after.k == 8 and res.before.k == 6
    np.testing.assert_allclose(res.trials["vi"], v[-2:], rtol=1e-14)
    assert res.trials["smd"].tolist() == [0.5, m]
    for f in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "i2", "tau2"):
        assert getattr(res.after, f) == pytest.approx(getattr(after, f), rel=1e-12), f
        assert getattr(res.before, f) == pytest.approx(getattr(before, f), rel=1e-12), f
    assert res.n_after == res.n_before + 2 * 80 + 2 * 120 == 895 + 400
    # hypothetical rows are marked as such, never as trial data
    added = res.rows_after.tail(2)
    assert added["provenance"].tolist() == ["hypothetical"] * 2
    assert added["label"].tolist() == ["Hypothetical trial 1", "Hypothetical trial 2"]


def test_a_trial_the_view_filters_out_is_left_out_with_a_reason():
    rows = _rows()
    f = Filters(quality=("good", "fair"))
    res = add_hypothetical_trials(rows, [_trial(quality="poor", n_per_arm=500), _trial(n_per_arm=50, smd=0.1)], f)
    assert res.trials["included"].tolist() == [False, True]
    assert "AHRQ quality Good, Fair only" in res.trials["reason"][0] and "Poor" in res.trials["reason"][0]
    assert res.trials["reason"][1] == ""
    after = pool(np.append(YI, 0.1), np.append(VI, 2 / 50 + 0.01 / 200), "DL")  # only the second trial
    assert res.after.estimate == pytest.approx(after.estimate, rel=1e-12) and res.after.k == 7
    assert res.first_included == 1
    # every hypothetical trial filtered out: after is before
    res = add_hypothetical_trials(rows, [_trial(quality="poor")], f)
    assert res.k_added == 0 and res.after.estimate == res.before.estimate and res.first_included is None
    # other filters: high risk, a risk-of-bias domain, real-rows-only keeps reported rows (a new trial reports)
    inc, why = hypothetical_view_check([_trial(quality="poor")], Filters(exclude_high_risk=True))
    assert not inc[0] and "high risk" in why[0]
    inc, why = hypothetical_view_check([_trial()], Filters(rob=(("rob_blinding_assessors", ("low",)),)))
    assert not inc[0] and "blinding of assessors" in why[0]
    inc, _ = hypothetical_view_check([_trial()], Filters(provenance=("reported", "derived")))
    assert inc[0]
    inc, why = hypothetical_view_check([_trial()], Filters(provenance=("reconstructed",)))
    assert not inc[0] and "reported data" in why[0]


def test_view_check_judges_a_hypothetical_trial_as_filter_trials_judges_a_real_one():
    from synthetic_evidence import trials
    real = trials()
    design = real[["category", "quality", "control", "leadership", "format"]].to_dict("records")
    for f in (Filters(), Filters(categories=("online",)), Filters(quality=("good", "fair"), control=("waitlist",)),
              Filters(leadership=("peer_led",), formats=("group", "online")), Filters(exclude_high_risk=True)):
        inc, why = hypothetical_view_check(design, f)
        kept = real["trial_id"].isin(filter_trials(real, f)["trial_id"]).to_numpy()
        np.testing.assert_array_equal(inc, kept)
        assert all((w == "") == k for w, k in zip(why, kept))


def test_subgroup_test_after_adding_a_trial_equals_subgroup_test_on_hand_built_arrays():
    rows = _rows()
    res = add_hypothetical_trials(rows, [_trial(n_per_arm=150, smd=0.6, category="online")], None,
                                  method="REML", test="z", moderator="category")
    groups = rows["category"].tolist()
    sg_before = subgroup_test(YI, VI, groups, method="REML")
    v = 2 / 150 + 0.36 / 600
    sg_after = subgroup_test(np.append(YI, 0.6), np.append(VI, v), groups + ["online"], method="REML")
    assert res.subgroups_before.q_between == pytest.approx(sg_before.q_between, rel=1e-10)
    assert res.subgroups_after.q_between == pytest.approx(sg_after.q_between, rel=1e-10)
    assert res.subgroups_after.df == sg_after.df == 2
    assert res.subgroups_after.pval == pytest.approx(sg_after.pval, rel=1e-10)
    assert res.subgroups_after.subgroups["online"].k == 3
    assert res.subgroups_after.subgroups["online"].estimate == pytest.approx(
        sg_after.subgroups["online"].estimate, rel=1e-10)
    s = res.summary()
    assert s["q_between"].tolist() == pytest.approx([sg_before.q_between, sg_after.q_between], rel=1e-10)
    # a moderator the hypothetical trial has no value for: it forms the group "not recorded", and a note says so
    rows["rob_blinding_assessors"] = "low"
    res = add_hypothetical_trials(rows, [_trial()], None, moderator="rob_blinding_assessors")
    assert set(res.subgroups_after.subgroups) == {"low", "not recorded"} and "not recorded" in res.subgroup_note


def test_certainty_rises_when_the_new_trial_removes_serious_imprecision():
    # Three good-quality trials of 100 participants, each SMD 0.3 with vi 0.04, FE:
    # estimate 0.3, se = sqrt(0.04 / 3) = 0.11547, 95% CI 0.3 +- 1.96 * 0.11547 = 0.074 to 0.526 (excludes 0),
    # I2 = 0 (Q = 0), k_real = 3 < 10 (publication bias not assessable), no poor / high-risk trial.
    # N = 300 < OIS = 4 (z_.975 + z_.8)^2 / 0.2^2 = 4 * 2.8016^2 / 0.04 = 784.9: imprecision serious -> moderate (3).
    # A hypothetical trial of 250 per arm at the pooled SMD 0.3 brings N to 300 + 500 = 800 >= 784.9 and keeps the
    # CI above 0: imprecision not serious -> high (4). Only the imprecision domain changes.
    rows = pd.DataFrame({"label": ["A", "B", "C"], "yi": [0.3] * 3, "vi": [0.04] * 3, "n": [100] * 3,
                         "provenance": "reported", "quality": "good", "category": "online"})
    ois = 4 * (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 / 0.2 ** 2
    assert 300 < ois <= 800
    after = pool([0.3] * 4, [0.04] * 3 + [2 / 250 + 0.09 / 1000], "FE")
    assert after.ci_low > 0
    # threshold "any": the target is any effect (0), the CI's threshold this case is about (Core GRADE 2)
    res = add_hypothetical_trials(rows, [_trial(n_per_arm=250, as_pooled=True)], Filters(), method="FE",
                                  outcome="hope", threshold="any")
    assert (res.grade_before.certainty, res.grade_after.certainty) == (3, 4)
    ch = res.grade_changes()
    assert ch.loc[ch["changed"], "domain"].tolist() == ["Imprecision"]
    row = ch[ch["changed"]].iloc[0]
    assert (row["before"], row["after"]) == ("serious", "not serious")
    assert "300 participants" in row["reason_before"] and "800 participants" in row["reason_after"]
    assert res.summary()["certainty_label"].tolist() == ["moderate", "high"]


def test_grade_before_is_the_summary_pages_certainty():
    from peerstats.data import load_evidence
    from peerstats.select import select
    from peerstats.sof import summary_of_findings
    ev = load_evidence()
    f = Filters(quality=("good", "fair"))
    sel = select(ev, f, "personal_recovery")
    res = add_hypothetical_trials(sel.effects, [], f, "DL", "z", outcome="personal recovery")
    sof = summary_of_findings(ev, f, "DL", "z")
    row = sof[sof["outcome"] == "personal_recovery"].iloc[0]
    assert res.grade_before.certainty == row["certainty"] and res.grade_before.statement == row["statement"]


@pytest.mark.parametrize("bad, message", [
    ({"n_per_arm": 1}, "at least 2"), ({"n_per_arm": float("nan")}, "at least 2"), ({"n_per_arm": "ten"}, "at least 2"),
    ({"n_per_arm": None}, "at least 2"), ({"smd": float("nan")}, "finite"), ({"smd": float("inf")}, "finite"),
    ({"smd": None}, "finite"), ({"smd": "big"}, "finite"), ({"smd": 1e200}, "no usable sampling variance"),
])
def test_invalid_hypothetical_trials_raise_a_clear_value_error(bad, message):
    with pytest.raises(ValueError, match=message) as info:
        add_hypothetical_trials(_rows(), [_trial(), _trial(**bad)], Filters())
    assert "Hypothetical trial 2" in str(info.value)
    # "as the pooled estimate" needs no SMD of its own
    add_hypothetical_trials(_rows(), [_trial(smd=float("nan"), as_pooled=True)], Filters())


def test_design_options_are_the_evidence_values_in_vocabulary_order():
    from synthetic_evidence import trials
    opts = design_options(trials())
    assert opts["quality"] == ["good", "fair", "poor"]
    assert opts["category"] == ["hospital_added", "independent", "online"]  # established_roles is not present
    assert opts["control"] == ["tau", "waitlist", "active"]


def test_the_designer_uses_an_uploads_own_columns():
    # an upload has no 'category': the design columns and the moderator are the file's (here 'setting')
    rows = _rows().drop(columns=["category", "quality"]).assign(
        setting=["clinic", "online", "clinic", "online", "online", "clinic"])
    trial = {"n_per_arm": 150, "smd": 0.6, "as_pooled": False, "setting": "online"}
    res = add_hypothetical_trials(rows, [trial], None, method="DL", moderator="setting")
    v = 2 / 150 + 0.36 / 600
    sg_after = subgroup_test(np.append(YI, 0.6), np.append(VI, v), rows["setting"].tolist() + ["online"],
                             method="DL")
    assert res.subgroups_after.q_between == pytest.approx(sg_after.q_between, rel=1e-10)
    assert res.subgroups_after.subgroups["online"].k == 4 and res.subgroup_note == ""
    assert res.trials["setting"].tolist() == ["online"]
    # the view's filter on the file's column judges the hypothetical trial by its value
    f = Filters(columns=(("setting", ("clinic",)),))
    inc, why = hypothetical_view_check([trial], f)
    assert not inc[0] and "setting clinic only" in why[0]
    assert hypothetical_view_check([{**trial, "setting": "clinic"}], f)[0].tolist() == [True]
    # no column to split by: the subgroup test is skipped in words, never a KeyError about 'category'
    res = add_hypothetical_trials(rows, [trial], None, moderator="")
    assert res.subgroups_after is None and "no column to split by" in res.subgroup_note
    assert "category" not in res.subgroup_note
    assert design_options(pd.DataFrame({"setting": ["online", "clinic", None]}), ("setting",)) == {
        "setting": ["clinic", "online"]}
