"""Engine edge cases from issue 11: equal sampling variances in Egger / trim-and-fill, scale-free REML and PM."""

from __future__ import annotations

import math

import numpy as np
import pytest

from peerstats import egger_test, pool, trim_and_fill

EQUAL_Y = [0.1, 0.5, 0.9, 0.3, 1.4, 0.2]  # the example: every vi = 1/3
EQUAL_V = [1 / 3] * 6


def test_egger_equal_variances_is_nan_with_reason():
    # sqrt(vi) is constant, collinear with the intercept: metafor's lm reports the slope as aliased (NA); the engine
    # used to return a limit estimate of -0.008 with se 2.3e7
    res = egger_test(EQUAL_Y, EQUAL_V)
    assert math.isnan(res.intercept) and math.isnan(res.limit_estimate) and math.isnan(res.pval)
    assert "same sampling variance" in res.reason and res.k == 6


def test_egger_k2_has_reason():
    assert "at least 3" in egger_test([0.1, 0.2], [0.1, 0.2]).reason


def test_trim_and_fill_equal_variances_needs_a_side():
    # metafor stops here too (the side regression's slope is NA: "missing value where TRUE/FALSE needed")
    with pytest.raises(ValueError, match="pass side="):
        trim_and_fill(EQUAL_Y, EQUAL_V)
    # with a side given the rank-based estimator is well defined. Hand computation (L0, left): sorted y =
    # .1 .2 .3 .5 .9 1.4, FE mean of all six = 3.4/6 = .56667; centred: -.467 -.367 -.267 -.067 .333 .833;
    # ranks of |.|: 5 4 2 1 3 6 -> positive ranks 3 + 6 = 9; L0 = (4*9 - 42) / 11 < 0 -> k0 = 0.
    res = trim_and_fill(EQUAL_Y, EQUAL_V, side="left")
    assert res.k0 == 0 and res.estimate == pytest.approx(3.4 / 6, rel=1e-12)


@pytest.mark.parametrize("method", ["REML", "PM"])
@pytest.mark.parametrize("scale", [1e-6, 1e-4, 1e3])
def test_iterative_estimators_are_scale_free(method, scale):
    # Multiplying every yi by s and vi by s^2 multiplies tau2 (and its Q-profile bounds) by s^2 and the estimate by s,
    # exactly (the likelihood and the generalised Q are scale-equivariant). With absolute stopping rules, REML and PM
    # drifted by 2 % and 300,000 % at s = 1e-8 while reporting convergence.
    rng = np.random.default_rng(3)
    vi = np.exp(rng.uniform(np.log(0.01), np.log(0.2), 12))
    yi = 0.3 + rng.normal(0, 0.3, 12) + rng.normal(0, np.sqrt(vi))
    ref = pool(yi, vi, method)
    res = pool(yi * scale, vi * scale ** 2, method)
    assert res.tau2 / scale ** 2 == pytest.approx(ref.tau2, rel=1e-9)
    assert res.estimate / scale == pytest.approx(ref.estimate, rel=1e-9)
    assert res.tau2_ci_low / scale ** 2 == pytest.approx(ref.tau2_ci_low, rel=1e-8, abs=1e-15)
    assert res.tau2_ci_high / scale ** 2 == pytest.approx(ref.tau2_ci_high, rel=1e-8)
    assert res.i2 == pytest.approx(ref.i2, rel=1e-9)
