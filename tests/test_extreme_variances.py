"""Variances that passed validation used to crash every page (vi = 1e-308: ZeroDivisionError in I2). The engine now
refuses, with words, variances whose inverse-variance weights overflow or swamp each other (``rma.VI_RANGE``,
``rma.VI_SPREAD``), and still computes everything inside those limits.

Closed forms written here: the fixed-effect estimate sum(w y) / sum(w) and the DerSimonian-Laird tau2
max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w)). Tolerance ``REL``: the engine sums in another order (a few ulps);
with one weight 1e7 times the others the DL denominator loses ~7 digits to cancellation, hence 1e-6 there.
"""

from __future__ import annotations

import numpy as np
import pytest

from peerstats import (cumulative, egger_test, leave_one_out, meta_regression, pool, subgroup_test, trim_and_fill)
from peerstats.rma import VI_RANGE, VI_SPREAD

REL = 1e-12
REL_CANCEL = 1e-6
YI = np.array([0.1, 0.25, 0.3, -0.1, 0.5])
GROUPS = np.array(list("aabbb"))

CALLS = {
    "pool": lambda yi, vi, m: pool(yi, vi, method=m),
    "pool-knha": lambda yi, vi, m: pool(yi, vi, method=m, test="knha"),
    "leave_one_out": lambda yi, vi, m: leave_one_out(yi, vi, method=m),
    "cumulative": lambda yi, vi, m: cumulative(yi, vi, np.arange(len(yi)), method=m),
    "subgroup_test": lambda yi, vi, m: subgroup_test(yi, vi, GROUPS, method=m),
    "egger_test": lambda yi, vi, m: egger_test(yi, vi),
    "trim_and_fill": lambda yi, vi, m: trim_and_fill(yi, vi, method=m),
    "meta_regression": lambda yi, vi, m: meta_regression(yi, vi, np.arange(5.0), method=m),
}
METHODS = ("FE", "DL", "REML", "PM")


@pytest.mark.parametrize("tiny", [1e-308, 1e-200, 1e-101, 1e13, 1e300, 1e308],
                         ids=["1e-308", "1e-200", "1e-101", "1e13", "1e300", "1e308"])
@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
def test_out_of_range_variance_is_refused_in_words(call, tiny):
    vi = np.array([tiny, 0.1, 0.2, 0.05, 0.08])
    for m in METHODS:
        with pytest.raises(ValueError, match=r"vi must lie between .* at index 0"):
            CALLS[call](YI, vi, m)


@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
def test_variances_too_far_apart_are_refused_in_words(call):
    vi = np.array([1e-12, 0.1, 0.2, 0.05, 0.08])       # each inside VI_RANGE, 2e11 apart
    with pytest.raises(ValueError, match=r"span more than 8 orders of magnitude \(1e-12 at index 0, 0.2 at index 2\)"):
        CALLS[call](YI, vi, "DL")


@pytest.mark.parametrize("scale", [1e-99, 1e-50, 1e-8, 1.0, 1e8, 1e11], ids=lambda s: f"scale-{s:g}")
@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
def test_inside_the_limits_everything_computes(call, scale):
    vi = np.array([1.0, 2.0, 4.0, 0.5, 0.8]) * scale
    for m in METHODS:
        CALLS[call](YI, vi, m)                          # no exception of any kind
    w = 1 / vi
    fe = pool(YI, vi, method="FE")
    assert fe.estimate == pytest.approx(np.sum(w * YI) / np.sum(w), rel=REL)
    assert np.isfinite(fe.i2) and np.isfinite(fe.se)


def test_one_dominant_weight_still_pools_like_the_closed_form():
    vi = np.array([1e-8, 0.1, 0.2, 0.05, 0.08])        # 2e7 apart: inside VI_SPREAD
    assert vi.max() / vi.min() < VI_SPREAD and vi.min() > VI_RANGE[0]
    w = 1 / vi
    mu_fe = np.sum(w * YI) / np.sum(w)
    q = np.sum(w * (YI - mu_fe) ** 2)
    tau2 = max(0.0, (q - 4) / (w.sum() - np.sum(w ** 2) / w.sum()))
    wr = 1 / (vi + tau2)
    res = pool(YI, vi, method="DL")
    assert res.tau2 == pytest.approx(tau2, rel=REL_CANCEL)
    assert res.estimate == pytest.approx(np.sum(wr * YI) / wr.sum(), rel=REL_CANCEL)
    assert np.isfinite(res.i2) and 0 <= res.i2 <= 100
    for m in ("REML", "PM"):
        assert np.isfinite(pool(YI, vi, method=m).i2)
