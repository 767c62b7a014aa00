"""peerstats.s_value and peerstats.power_next_trial against closed forms written out here, and a simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from peerstats import pool, power_curve, power_next_trial, s_value

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
