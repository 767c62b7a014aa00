"""Harbord's and Peters' tests for small-study effects on 2x2 tables (issue 19): against R metafor's regtest
(validation/bias_binary_reference.json) and against closed-form least squares written here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from peerstats.bias import BinaryBiasResult, binary_bias_test, egger_test, harbord_test, peters_test
from peerstats.escalc import effect_sizes

REF = json.loads((Path(__file__).resolve().parents[1] / "validation" / "bias_binary_reference.json").read_text())
FIELDS = ("bias", "se", "statistic", "pval", "limit_estimate", "limit_ci_low", "limit_ci_high")

# dat.bcg (metadat): BCG vaccine trials, TB cases among vaccinated / not vaccinated
AI = np.array([4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27], float)
N1 = np.array([123, 306, 231, 13598, 5069, 1541, 2545, 88391, 7499, 1716, 50634, 2498, 16913], float)
CI = np.array([11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29], float)
N2 = np.array([139, 303, 220, 12867, 5808, 1451, 629, 88391, 7277, 1665, 27338, 2341, 17854], float)


def _run(case):
    d = case["inputs"]
    args = (d["ai"], d["n1i"], d["ci"], d["n2i"])
    if case["fn"] == "harbord_test":
        return harbord_test(*args)
    return peters_test(*args, measure=case["measure"])


@pytest.mark.parametrize("case", REF["cases"], ids=[c["id"] for c in REF["cases"]])
def test_equals_metafor_regtest(case):
    r = _run(case)
    exp = case["expected"]
    assert isinstance(r, BinaryBiasResult) and r.reason == ""
    assert r.k == exp["k"] and r.df == exp["df"]
    for f in FIELDS:
        assert getattr(r, f) == pytest.approx(exp[f], rel=1e-9, abs=1e-12), f


def _ols(y, X, w):
    """Weighted least squares by hand: coefficients, their lm standard errors (residual variance on k - p df)."""
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)
    resid = (y - X @ beta) * sw
    df = len(y) - X.shape[1]
    s2 = resid @ resid / df
    cov = s2 * np.linalg.inv((X * w[:, None]).T @ X)
    return beta, np.sqrt(np.diag(cov)), df


def test_harbord_is_the_score_regression():
    # Harbord et al. 2006: OLS of Z/sqrt(V) on sqrt(V); the intercept is the asymmetry coefficient
    m1, m2 = AI + CI, (N1 - AI) + (N2 - CI)
    n = N1 + N2
    z = AI - N1 * m1 / n
    v = N1 * N2 * m1 * m2 / (n ** 2 * (n - 1))
    beta, se, df = _ols(z / np.sqrt(v), np.column_stack([np.ones_like(v), np.sqrt(v)]), np.ones_like(v))
    r = harbord_test(AI, N1, CI, N2)
    assert r.bias == pytest.approx(beta[0], rel=1e-10)
    assert r.se == pytest.approx(se[0], rel=1e-10)
    assert r.limit_estimate == pytest.approx(beta[1], rel=1e-10)
    assert r.pval == pytest.approx(2 * stats.t.sf(abs(beta[0] / se[0]), df), rel=1e-9)
    crit = stats.t.ppf(0.975, df)
    assert (r.limit_ci_low, r.limit_ci_high) == pytest.approx((beta[1] - crit * se[1], beta[1] + crit * se[1]),
                                                              rel=1e-10)


def test_harbord_is_egger_on_peto_log_odds_ratios():
    # RevMan's Peto log OR from the raw cells is (O - E)/V with variance 1/V
    yi, vi = effect_sizes("PETO", ai=AI, n1i=N1, ci=CI, n2i=N2, convention="revman")
    e, h = egger_test(yi, vi), harbord_test(AI, N1, CI, N2)
    assert h.bias == pytest.approx(e.intercept, rel=1e-10)
    assert h.pval == pytest.approx(e.pval, rel=1e-9)


@pytest.mark.parametrize("measure", ["OR", "RR"])
def test_peters_is_weighted_regression_on_inverse_n(measure):
    # Peters et al. 2006: log ratio on 1/N, weights 1/(1/events + 1/non-events); the slope measures asymmetry
    a, b, c, d = AI, N1 - AI, CI, N2 - CI
    y = np.log(a * d / (b * c)) if measure == "OR" else np.log(a / N1) - np.log(c / N2)  # no zero cells in bcg
    n, m1, m2 = N1 + N2, a + c, b + d
    beta, se, df = _ols(y, np.column_stack([np.ones_like(n), 1 / n]), 1 / (1 / m1 + 1 / m2))
    r = peters_test(AI, N1, CI, N2, measure=measure)
    assert (r.bias, r.se, r.limit_estimate) == pytest.approx((beta[1], se[1], beta[0]), rel=1e-9)
    assert r.statistic == pytest.approx(beta[1] / se[1], rel=1e-9) and r.df == df == 11


def test_uninformative_tables_left_out_and_counted():
    ai, n1, ci, n2 = [0, 10, 3, 5, 2], [20, 10, 40, 50, 30], [0, 12, 8, 9, 4], [25, 12, 41, 48, 33]
    for r in (harbord_test(ai, n1, ci, n2), peters_test(ai, n1, ci, n2, "RR")):
        assert r.k == 3 and r.k_excluded == 2 and r.df == 1  # no events; every participant had the event


def test_too_few_tables_say_why():
    r = harbord_test([1, 2], [10, 10], [3, 4], [10, 10])
    assert np.isnan(r.pval) and "at least 3" in r.reason
    r = peters_test([0, 1, 2, 3], [10, 10, 10, 10], [0, 3, 4, 5], [10, 10, 10, 10])  # every N = 20
    assert r.k == 3 and r.k_excluded == 1 and np.isnan(r.bias) and "same in every table" in r.reason
    r = peters_test([0, 1, 2, 3], [10, 12, 10, 30], [0, 3, 4, 5], [10, 10, 14, 10])
    assert r.k == 3 and r.k_excluded == 1 and r.reason == "" and np.isfinite(r.pval)


def test_peters_refuses_other_measures_and_bad_counts():
    with pytest.raises(ValueError, match="odds ratios or log risk ratios"):
        peters_test(AI, N1, CI, N2, measure="RD")
    with pytest.raises(ValueError, match="ai"):
        harbord_test([5, 12, 3], [10, 10, 10], [1, 2, 3], [10, 10, 10])


def test_binary_bias_test_picks_harbord_for_odds_ratios_and_peters_for_risk_ratios():
    for measure, expected in (("OR", harbord_test(AI, N1, CI, N2)), ("PETO", harbord_test(AI, N1, CI, N2)),
                              ("RR", peters_test(AI, N1, CI, N2, "RR"))):
        assert binary_bias_test(AI, N1, CI, N2, measure) == expected
    for measure in ("RD", "SMD", "MD"):
        with pytest.raises(ValueError, match="Egger"):
            binary_bias_test(AI, N1, CI, N2, measure)
