"""Property tests of the statistics engine (hypothesis).

- Permuting the studies changes nothing (every method and test; weights follow their studies).
- Adding a constant c to every yi shifts every location estimate (estimate, CI, PI, leave-one-out and cumulative
  estimates, Egger's limit estimate, trim-and-fill) by c and leaves tau2, I2, H2, Q and their intervals unchanged.
- FE equals DL (and PM) when their tau2 is 0 (Q <= df).
- Weights are percentages: they sum to 100.

Tolerances: a permutation or a shift only changes the order of floating-point sums, and the rounding of yi + c (a few
ulps of |c|); REML and the Q-profile are solved to ~1e-12. ``REL`` and ``ABS`` (1e-9) are far above that and far
below anything reported.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from peerstats import (ConvergenceError, cumulative, egger_test, leave_one_out, pool, subgroup_test, trim_and_fill)

REL = 1e-9
ABS = 1e-9
# I2 is in percent and H2 = 1 + tau2 / s2: a 1e-12 wobble of tau2 at the boundary becomes up to 1e-7 there
# (s2 >= 1e-3 below).
ABS_RATIO = 1e-7
METHODS = ("FE", "DL", "REML", "PM")
TESTS = ("z", "knha")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LOCATION = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high")
SCALE = ("se", "statistic_abs", "tau2", "tau2_ci_low", "tau2_ci_high", "q", "q_pval")
RATIO = ("i2", "h2", "i2_ci_low", "i2_ci_high")

yi_values = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
vi_values = st.floats(1e-3, 1.0, allow_nan=False, allow_infinity=False)


@st.composite
def studies(draw, min_k=2, max_k=25):
    k = draw(st.integers(min_k, max_k))
    yi = np.array(draw(st.lists(yi_values, min_size=k, max_size=k)))
    vi = np.array(draw(st.lists(vi_values, min_size=k, max_size=k)))
    return yi, vi


@st.composite
def random_studies(draw, min_k=3, max_k=40):
    """Studies drawn by numpy from a hypothesis-chosen seed: no exactly tied or mirror-image values, which matter for
    trim-and-fill's ranks (ties are broken by position, as in metafor, so a permutation of tied studies may
    legitimately change k0)."""
    k = draw(st.integers(min_k, max_k))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    tau2 = draw(st.sampled_from([0.0, 0.02, 0.2, 1.0]))
    vi = np.exp(rng.uniform(np.log(0.005), np.log(0.5), k))
    yi = 0.3 + rng.normal(0, math.sqrt(tau2), k) + rng.normal(0, np.sqrt(vi))
    return yi, vi


def fit_or_reject(fn, *args):
    """Call fn; reject the example (hypothesis.assume) when REML's Fisher scoring does not converge.

    Data such as yi = (0, 0, 0, 0, 0, 1), vi = (1, 1, 1, 1, 1, 0.125) make Fisher scoring oscillate; metafor stops
    there too ("Fisher scoring algorithm did not converge"). The engine must then raise ConvergenceError, never return
    junk; that it raises is the contract, so such examples say nothing about permutation or shift invariance.
    """
    try:
        return fn(*args)
    except ConvergenceError:
        assume(False)


def close(a, b, rel=REL, abs_=ABS) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    same = (np.isnan(a) & np.isnan(b)) | (a == b)
    with np.errstate(invalid="ignore"):
        return bool(np.all(same | (np.abs(a - b) <= abs_ + rel * np.maximum(np.abs(a), np.abs(b)))))


def fields(r) -> dict:
    d = {f: getattr(r, f) for f in (*LOCATION, "se", "tau2", "tau2_ci_low", "tau2_ci_high", "q", "q_pval", *RATIO,
                                    "pval")}
    d["statistic_abs"] = abs(r.statistic)
    return d


def assert_same_model(r1, r2, shift: float = 0.0) -> None:
    """r2 is r1 refitted on permuted or shifted data: locations move by ``shift``, the rest is unchanged."""
    f1, f2 = fields(r1), fields(r2)
    for f in LOCATION:
        assert close(f1[f] + shift, f2[f]), (f, f1[f] + shift, f2[f])
    for f in SCALE:
        if f == "statistic_abs" and shift != 0.0:
            continue  # estimate / se moves with the estimate
        assert close(f1[f], f2[f]), (f, f1[f], f2[f])
    for f in RATIO:
        assert close(f1[f], f2[f], abs_=ABS_RATIO), (f, f1[f], f2[f])
    if shift == 0.0:
        assert close(f1["pval"], f2["pval"], abs_=1e-12), ("pval", f1["pval"], f2["pval"])


@SETTINGS
@given(data=studies(), seed=st.integers(0, 2**32 - 1))
@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("method", METHODS)
def test_pool_is_permutation_invariant(method, test, data, seed):
    yi, vi = data
    perm = np.random.default_rng(seed).permutation(yi.size)
    r1 = fit_or_reject(pool, yi, vi, method, test)
    r2 = fit_or_reject(pool, yi[perm], vi[perm], method, test)
    assert_same_model(r1, r2)
    assert close(r1.weights[perm], r2.weights)


@SETTINGS
@given(data=random_studies(), seed=st.integers(0, 2**32 - 1))
@pytest.mark.parametrize("method", METHODS)
def test_diagnostics_are_permutation_invariant(method, data, seed):
    yi, vi = data
    perm = np.random.default_rng(seed).permutation(yi.size)
    # leave-one-out: the row omitting study perm[j] of the permuted data is the row omitting study perm[j] here.
    l1 = fit_or_reject(leave_one_out, yi, vi, method).set_index("omitted")
    l2 = fit_or_reject(leave_one_out, yi[perm], vi[perm], method)
    l2["omitted"] = perm[l2["omitted"].to_numpy()]
    l2 = l2.set_index("omitted").loc[l1.index]
    for c in ("estimate", "se", "ci_low", "ci_high", "q", "tau2"):
        assert close(l1[c], l2[c]), c
    assert close(l1["i2"], l2["i2"], abs_=ABS_RATIO)
    e1, e2 = egger_test(yi, vi), egger_test(yi[perm], vi[perm])
    for f in ("intercept", "se", "statistic", "pval", "limit_estimate", "limit_ci_low", "limit_ci_high"):
        assert close(getattr(e1, f), getattr(e2, f)), f
    t1 = fit_or_reject(trim_and_fill, yi, vi, method)
    t2 = fit_or_reject(trim_and_fill, yi[perm], vi[perm], method)
    assert (t1.k0, t1.side, t1.k) == (t2.k0, t2.side, t2.k)
    for f in ("estimate", "se", "ci_low", "ci_high", "tau2"):
        assert close(getattr(t1, f), getattr(t2, f)), f


@SETTINGS
@given(data=studies(min_k=4, max_k=30), seed=st.integers(0, 2**32 - 1),
       labels=st.lists(st.sampled_from("abc"), min_size=30, max_size=30))
@pytest.mark.parametrize("method", METHODS)
def test_subgroup_test_is_permutation_invariant(method, data, seed, labels):
    yi, vi = data
    groups = np.array(labels[: yi.size], dtype=object)
    perm = np.random.default_rng(seed).permutation(yi.size)
    s1 = fit_or_reject(subgroup_test, yi, vi, groups, method)
    s2 = fit_or_reject(subgroup_test, yi[perm], vi[perm], groups[perm], method)
    assert set(s1.subgroups) == set(s2.subgroups)
    assert s1.df == s2.df
    assert close(s1.q_between, s2.q_between)
    for g in s1.subgroups:
        assert close(s1.subgroups[g].estimate, s2.subgroups[g].estimate)
        assert close(s1.subgroups[g].se, s2.subgroups[g].se)


@SETTINGS
@given(data=studies(), c=st.floats(-5, 5, allow_nan=False))
@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("method", METHODS)
def test_adding_c_shifts_locations_only(method, test, data, c):
    yi, vi = data
    r1 = fit_or_reject(pool, yi, vi, method, test)
    r2 = fit_or_reject(pool, yi + c, vi, method, test)
    assert_same_model(r1, r2, shift=c)
    assert close(r1.weights, r2.weights)


@SETTINGS
@given(data=random_studies(), c=st.floats(-5, 5, allow_nan=False))
@pytest.mark.parametrize("method", METHODS)
def test_adding_c_shifts_diagnostics(method, data, c):
    yi, vi = data
    order = np.arange(yi.size)[::-1]
    for fn in (lambda y: leave_one_out(y, vi, method), lambda y: cumulative(y, vi, order, method)):
        f1, f2 = fit_or_reject(fn, yi), fit_or_reject(fn, yi + c)
        for col in ("estimate", "ci_low", "ci_high"):
            assert close(f1[col] + c, f2[col]), col
        for col in ("se", "q", "tau2"):
            assert close(f1[col], f2[col]), col
        assert close(f1["i2"], f2["i2"], abs_=ABS_RATIO)
    e1, e2 = egger_test(yi, vi), egger_test(yi + c, vi)
    # Egger: yi + c = (b0 + c) + b1 sei: the limit estimate moves, the bias coefficient and its test do not.
    for f in ("limit_estimate", "limit_ci_low", "limit_ci_high"):
        assert close(getattr(e1, f) + c, getattr(e2, f)), f
    for f in ("intercept", "se", "statistic"):
        assert close(getattr(e1, f), getattr(e2, f)), f
    t1 = fit_or_reject(trim_and_fill, yi, vi, method)
    t2 = fit_or_reject(trim_and_fill, yi + c, vi, method)
    assert (t1.k0, t1.side) == (t2.k0, t2.side)
    for f in ("estimate", "ci_low", "ci_high", "observed_estimate"):
        assert close(getattr(t1, f) + c, getattr(t2, f)), f
    assert close(t1.filled["yi"] + c, t2.filled["yi"])


@st.composite
def homogeneous_studies(draw):
    """Studies with Q <= k - 1, so that the DL and PM tau2 are 0: deviations d from a centre, rescaled by
    u * sqrt(df / Q(d)) with 0 < u <= 1, which multiplies Q by u^2 df / Q(d)."""
    k = draw(st.integers(2, 25))
    vi = np.array(draw(st.lists(vi_values, min_size=k, max_size=k)))
    d = np.array(draw(st.lists(st.floats(-1, 1), min_size=k, max_size=k)))
    u = draw(st.floats(0.0, 0.999))
    mu = draw(st.floats(-2, 2))
    w = 1 / vi
    q = float(np.sum(w * (d - np.sum(w * d) / np.sum(w)) ** 2))
    scale = u * math.sqrt((k - 1) / q) if q > 1e-12 else 0.0  # (tiny Q: rescaling would overflow)
    return mu + scale * d, vi


@SETTINGS
@given(data=homogeneous_studies())
@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("method", ["DL", "PM"])
def test_fe_equals_random_effects_when_tau2_is_zero(method, test, data):
    yi, vi = data
    fe = pool(yi, vi, "FE", test)
    re = pool(yi, vi, method, test)
    assert fe.q <= fe.q_df * (1 + 1e-9)
    assert re.tau2 == 0.0
    for f in ("estimate", "se", "ci_low", "ci_high", "statistic", "pval", "pi_low", "pi_high", "q", "q_pval"):
        assert close(getattr(fe, f), getattr(re, f)), f
    assert close(fe.weights, re.weights)
    assert fe.i2 == re.i2 == 0.0
    # (H2 differs by definition: metafor's FE H2 is Q / df, its random-effects H2 is 1 + tau2 / s2 = 1.)


@SETTINGS
@given(data=studies(min_k=1, max_k=40))
@pytest.mark.parametrize("test", TESTS)
@pytest.mark.parametrize("method", METHODS)
def test_weights_sum_to_100(method, test, data):
    yi, vi = data
    r = fit_or_reject(pool, yi, vi, method, test)
    assert r.weights.shape == yi.shape
    assert np.all(r.weights > 0)
    assert math.isclose(r.weights.sum(), 100.0, rel_tol=1e-12)
