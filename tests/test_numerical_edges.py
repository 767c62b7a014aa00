"""The numerical edges of issue 20 against R metafor, and (meta-regression) against exact rational arithmetic.

Every case of ``validation/edges_reference.json`` (written by ``validation/edges_reference.R``; the JSON is pinned, so
these tests never need R) is one parametrised test whose id is the case id, e.g. ``regtest-sei-vi-spread2e-6-pos`` or
``reg-REML-z-year-quadratic``. Inputs are stored as 17-digit strings, so the engine sees metafor's exact doubles.

A comparison passes when ``|actual - expected| <= atol + rtol * |expected|``.

The edges: nearly equal sampling variances (Egger / PET-PEESE / trim-and-fill), ill-conditioned meta-regression
designs, the selection model on small numeric scales, and numeric factor levels (``dummy_columns``).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from test_robustness_metafor import (  # the same comparison: |a - e| <= atol + rtol |e|, nan = nan
    _arr,
    _close,
)

from peerstats import (
    egger_test,
    meta_regression,
    pet_peese,
    selection_model,
    trim_and_fill,
)
from peerstats.regression import dummy_columns
from peerstats.selmodel import _StepModel

EPS = np.finfo(float).eps
# Well-conditioned closed forms (FE and DL fits, intercept-only refits): the same formulas in double precision from
# identical inputs; 1e-9 relative as in tests/test_metafor_alignment.py.
RTOL_CLOSED = 1e-9
# REML and PM: both sides iterate to ~1e-12 in tau2 (threshold = tol = 1e-12 in metafor); everything that depends on
# tau2 inherits that (tests/test_regression_metafor.py uses the same 1e-7).
RTOL_ITER = 1e-7
# Absolute floor for values at or crossing 0 (a truncated tau2, a coefficient near 0): far below any reported digit.
ATOL = 1e-10
# Ill-conditioned least squares. Both sides solve by Householder QR, which is backward stable: the forward error of a
# coefficient is bounded by (a small multiple of) kappa * eps, with kappa the condition number of the column-scaled
# weighted design (QR does not care about column scale). For the Egger/PET/PEESE regressions kappa ~ 1 / (the
# regressor's norm after removing the intercept, relative to its norm): R's lm() rank measure, stored by the R script.
# Observed against metafor: at most 4.6 kappa eps (Egger / PET, about 2e-9 at the smallest spread metafor fits) and
# 0.8 kappa eps (meta-regression); against exact arithmetic 2.8 kappa eps. 20 kappa eps leaves room for k-term sums
# and the t quantile, and is still ~1e5 times tighter than the errors of the normal equations the engine used to
# invert (Egger: 2.4e-3 at a spread of 2e-6; meta-regression: 3e-4 on x2 = x1 + 1e-6 N(0, 1)).
KAPPA_FACTOR = 20


def rtol_ls(kappa: float, floor: float = RTOL_CLOSED) -> float:
    """Relative tolerance of a least-squares quantity with condition number ``kappa`` (see ``KAPPA_FACTOR``)."""
    return max(floor, KAPPA_FACTOR * kappa * EPS)


# Selection model. metafor maximises with optim(BFGS, reltol 1e-13) on transformed parameters, the engine with BFGS
# plus Newton polishing: near a maximum the log-likelihood is flat to second order, so the parameters agree to a
# fraction of their standard errors (as tests/test_robustness_metafor.py: 1e-3 se, observed <= 4e-4 there), the
# log-likelihood itself to 1e-8 relative, and the standard errors (numDeriv Richardson against central differences of
# an analytic gradient) to 1e-3. These are fractions of the data's own scale (a standard error, a log-likelihood): no
# absolute constant, so they hold for tau2 ~ 1e-15 as for tau2 ~ 0.05.
SE_FRACTION = 1e-3
RTOL_LL = 1e-8
RTOL_SE = 1e-3

DATA = json.loads((Path(__file__).resolve().parent.parent / "validation" / "edges_reference.json").read_text())
CASES = DATA["cases"]


def _cases(fn: str, error: bool | None = None):
    out = []
    for c in CASES:
        if c["fn"] == fn and (error is None or ("error" in c["expected"]) == error):
            out.append(pytest.param(c, id=c["id"]))
    return out


def _exact(strings) -> np.ndarray:
    """Inputs are stored as '%.17g' strings: they read back to the doubles metafor used."""
    return np.array([float(s) for s in np.atleast_1d(strings)], dtype=float)


def _pval_rtol(rtol: float, stat: float) -> float:
    """A two-sided p-value's relative error is about stat^2 times the statistic's (d log p / d log t ~ t^2)."""
    return rtol * max(1.0, float(stat) ** 2)


def test_reference_has_every_edge():
    fns = [c["fn"] for c in CASES]
    assert {f: fns.count(f) for f in set(fns)} == {"regtest": 36, "trim_and_fill": 90, "meta_regression": 40,
                                                   "selection_model": 10, "dummy_columns": 2}
    # the comparisons are not vacuous: metafor answers on both sides of lm()'s rank threshold
    spreads = {c["spread"]: "error" in c["expected"] for c in CASES if c["fn"] == "regtest"}
    assert not any(v for s, v in spreads.items() if s >= 2e-6) and all(v for s, v in spreads.items() if s <= 3e-7)


# ---------------------------------------------------------------------------------------------------------------
# 1. nearly equal sampling variances
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("regtest"))
def test_regtest_nearly_equal_variances(case):
    x, e = case["inputs"], case["expected"]
    yi, vi = _exact(x["yi"]), _exact(x["vi"])
    egger, pp = egger_test(yi, vi), pet_peese(yi, vi)
    if "error" in e:
        # metafor: "Model matrix no longer of full rank after addition of predictor. Cannot fit model." The engine:
        # nan with the reason in words (it used to raise LinAlgError / "math domain error" or return a slope off by
        # 99.99 % here)
        assert "Model matrix no longer of full rank" in e["error"]
        for res in (egger, pp):
            assert "same sampling variance" in res.reason and "1e-7" in res.reason, res.reason
        assert math.isnan(egger.intercept) and math.isnan(egger.limit_estimate) and math.isnan(pp.estimate)
        assert pp.choice == ""
        return
    rtol = rtol_ls(1.0 / case["lm_relative_residual"])
    errors = []
    assert egger.df == pp.df == e["df"]
    if case["args"]["predictor"] == "sei":
        fields = {"slope": egger.intercept, "slope_se": egger.se, "slope_t": egger.statistic,
                  "limit_estimate": egger.limit_estimate, "limit_ci_low": egger.limit_ci_low,
                  "limit_ci_high": egger.limit_ci_high}
        pet = {"limit_estimate": pp.pet, "limit_ci_low": pp.pet_ci_low, "limit_ci_high": pp.pet_ci_high,
               "intercept_se": pp.pet_se, "intercept_t": pp.pet_statistic}
        for name, value in pet.items():
            _close(f"PET {name}", value, e[name], rtol, ATOL, errors)
        _close("slope_pval", egger.pval, e["slope_pval"], _pval_rtol(rtol, e["slope_t"]), 1e-15, errors)
        _close("PET pval", pp.pet_pval, e["intercept_pval"], _pval_rtol(rtol, e["intercept_t"]), 1e-15, errors)
    else:
        fields = {"limit_estimate": pp.peese, "limit_ci_low": pp.peese_ci_low, "limit_ci_high": pp.peese_ci_high,
                  "intercept_se": pp.peese_se, "intercept_t": pp.peese_statistic}
        _close("PEESE pval", pp.peese_pval, e["intercept_pval"], _pval_rtol(rtol, e["intercept_t"]), 1e-15, errors)
    for name, value in fields.items():
        _close(name, value, e[name], rtol, ATOL, errors)
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize("case", _cases("trim_and_fill"))
def test_trim_and_fill_nearly_equal_variances(case):
    x, e, a = case["inputs"], case["expected"], case["args"]
    yi, vi = _exact(x["yi"]), _exact(x["vi"])
    side = None if a["side"] == "auto" else a["side"]
    if "error" in e:
        # metafor's side regression drops sqrt(vi) as redundant and stops on the missing slope ("missing value where
        # TRUE/FALSE needed"); the engine says why and what to do (it used to pick a side from noise, or raise
        # LinAlgError)
        assert "missing value" in e["error"]
        with pytest.raises(ValueError, match="same sampling variance.*pass side="):
            trim_and_fill(yi, vi, method=a["method"], side=side)
        return
    res = trim_and_fill(yi, vi, method=a["method"], side=side)
    rtol = RTOL_ITER if a["method"] == "REML" else RTOL_CLOSED
    errors = []
    assert (res.side, res.k0, res.k) == (e["side"], e["k0"], e["k"])
    for name in ("estimate", "se", "ci_low", "ci_high", "tau2"):
        _close(name, getattr(res, name), e[name], rtol, ATOL, errors)
    _close("pval", res.pval, e["pval"], _pval_rtol(rtol, res.estimate / res.se), 1e-15, errors)
    if res.k0:
        _close("filled yi", np.sort(res.filled["yi"].to_numpy()), np.sort(_arr(e["filled_yi"])), rtol, ATOL, errors)
        _close("filled vi", np.sort(res.filled["vi"].to_numpy()), np.sort(_arr(e["filled_vi"])), 0, 0, errors)
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


def test_trim_and_fill_side_follows_the_slope_sign():
    # the "pos" data rise with vi (small studies show larger effects: missing on the left), the "neg" data fall
    sides = {c["dataset"]: c["expected"]["side"] for c in CASES
             if c["fn"] == "trim_and_fill" and c["args"]["side"] == "auto" and "error" not in c["expected"]}
    assert sides and all(s == ("left" if d.endswith("pos") else "right") for d, s in sides.items())


# ---------------------------------------------------------------------------------------------------------------
# 2. meta-regression on ill-conditioned designs
# ---------------------------------------------------------------------------------------------------------------
def _design(case):
    x = case["inputs"]
    mods = np.array([_exact(row) for row in x["mods"]])
    return _exact(x["yi"]), _exact(x["vi"]), mods.reshape(len(x["yi"]), -1)


def _kappa(vi, mods) -> float:
    """Condition number of the weighted design sqrt(W0) [1, mods] with unit-norm columns."""
    a = np.column_stack([np.ones(len(vi)), mods]) / np.sqrt(vi)[:, None]
    return float(np.linalg.cond(a / np.linalg.norm(a, axis=0)))


@pytest.mark.parametrize("case", _cases("meta_regression"))
def test_meta_regression_ill_conditioned(case):
    e, a = case["expected"], case["args"]
    yi, vi, mods = _design(case)
    if "error" in e:
        # metafor drops x2 = x1 + 1e-9 N(0, 1) ("Redundant predictors dropped from the model."); the engine refuses in
        # words instead of fitting another model than the one asked for (it used to raise LinAlgError for REML/PM)
        assert "Redundant predictors" in e["error"]
        with pytest.raises(ValueError, match="collinear.*redundant predictor"):
            meta_regression(yi, vi, mods, method=a["method"], test=a["test"], level=a["level"])
        return
    r = meta_regression(yi, vi, mods, method=a["method"], test=a["test"], level=a["level"])
    floor = RTOL_ITER if a["method"] in ("REML", "PM") else RTOL_CLOSED
    rtol = rtol_ls(_kappa(vi, mods), floor)
    errors = []
    assert (r.k, r.p) == (e["k"], e["p"])
    for name in ("coef", "se", "statistic", "qm", "qe", "tau2"):
        _close(name, getattr(r, name), e[name], rtol, ATOL, errors)
    _close("vb", r.vb.ravel(order="F"), e["vb"], rtol, ATOL * np.max(np.abs(_arr(e["vb"]))), errors)
    scale = np.abs(_arr(e["coef"])) + 2 * _arr(e["se"])  # a CI bound near 0 is a difference of larger numbers
    _close("ci_low", r.ci_low, e["ci_low"], 0, rtol * scale, errors)
    _close("ci_high", r.ci_high, e["ci_high"], 0, rtol * scale, errors)
    _close("qm_pval", r.qm_pval, e["qm_pval"], _pval_rtol(rtol, math.sqrt(r.qm)), 1e-15, errors)
    _close("qe_pval", r.qe_pval, e["qe_pval"], _pval_rtol(rtol, math.sqrt(r.qe)), 1e-15, errors)
    for name in ("i2", "h2", "r2"):
        _close(name, getattr(r, name), e[name], rtol, 1e-7, errors)
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


def test_reml_converges_where_metafor_needs_a_better_basis():
    # metafor's own REML stops ("Fisher scoring algorithm did not converge") on the raw designs of these cases; the
    # engine converges on them (checked against metafor's fit on an orthogonal basis above). Not vacuous:
    failing = [c["id"] for c in CASES if c["fn"] == "meta_regression" and c.get("raw_design_error")]
    assert len(failing) >= 6 and all("-REML-" in i for i in failing), failing


def _exact_fit(yi, vi, mods, method):
    """FE or DL meta-regression in exact rational arithmetic: (coef, qe, qm, tau2) as Fractions (DL's tau2 enters the
    weights as a Fraction, so the whole chain is exact)."""
    k = len(yi)
    y = [Fraction(v) for v in yi]
    v = [Fraction(x) for x in vi]
    X = [[Fraction(1)] + [Fraction(m) for m in row] for row in mods]
    p = len(X[0])

    def inverse(a):
        n = len(a)
        m = [row[:] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(a)]
        for c in range(n):
            piv = next(r for r in range(c, n) if m[r][c] != 0)
            m[c], m[piv] = m[piv], m[c]
            f = m[c][c]
            m[c] = [t / f for t in m[c]]
            for r in range(n):
                if r != c and m[r][c] != 0:
                    g = m[r][c]
                    m[r] = [s - g * t for s, t in zip(m[r], m[c])]
        return [row[n:] for row in m]

    def wls(w):
        xtwx = [[sum(w[i] * X[i][a] * X[i][b] for i in range(k)) for b in range(p)] for a in range(p)]
        inv = inverse(xtwx)
        xtwy = [sum(w[i] * X[i][a] * y[i] for i in range(k)) for a in range(p)]
        beta = [sum(inv[a][b] * xtwy[b] for b in range(p)) for a in range(p)]
        resid = [y[i] - sum(X[i][a] * beta[a] for a in range(p)) for i in range(k)]
        return beta, inv, sum(w[i] * resid[i] ** 2 for i in range(k))

    w0 = [1 / x for x in v]
    beta, inv, qe = wls(w0)
    tau2 = Fraction(0)
    if method == "DL":
        # tr(P) = sum w - tr((X'WX)^-1 X'W^2X)
        xtw2x = [[sum(w0[i] ** 2 * X[i][a] * X[i][b] for i in range(k)) for b in range(p)] for a in range(p)]
        tr_p = sum(w0) - sum(inv[a][b] * xtw2x[b][a] for a in range(p) for b in range(p))
        tau2 = max(Fraction(0), (qe - (k - p)) / tr_p)
        beta, inv, _ = wls([1 / (x + tau2) for x in v])
    sub = inverse([row[1:] for row in inv[1:]])
    b = beta[1:]
    qm = sum(b[i] * sub[i][j] * b[j] for i in range(p - 1) for j in range(p - 1))
    return beta, qe, qm, tau2


EXACT_CASES = [pytest.param(c, id=c["id"]) for c in CASES if c["fn"] == "meta_regression"
               and c["args"]["method"] in ("FE", "DL") and c["args"]["test"] == "z" and "error" not in c["expected"]]


@pytest.mark.parametrize("case", EXACT_CASES)
def test_meta_regression_matches_exact_arithmetic(case):
    # Independent of metafor: the closed-form fits in rational arithmetic. (metafor on the raw design is off by up
    # to 5e-4 in QE/QM/tau2 here, from the cancellation in P = W - W X (X'WX)^-1 X'W; the engine by <= 5e-10.)
    yi, vi, mods = _design(case)
    method = case["args"]["method"]
    r = meta_regression(yi, vi, mods, method=method)
    beta, qe, qm, tau2 = _exact_fit(yi, vi, mods, method)
    rtol = rtol_ls(_kappa(vi, mods))
    errors = []
    _close("coef", r.coef, [float(b) for b in beta], rtol, 0, errors)
    _close("qe", r.qe, float(qe), rtol, 0, errors)
    _close("qm", r.qm, float(qm), rtol, 0, errors)
    _close("tau2", r.tau2, float(tau2), rtol, 0, errors)
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


# ---------------------------------------------------------------------------------------------------------------
# 3. selection model on small numeric scales
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("selection_model"))
def test_selection_model_small_scales(case):
    x, e = case["inputs"], case["expected"]
    yi, vi = _exact(x["yi"]), _exact(x["vi"])
    steps = tuple(_arr(case["args"]["steps"]))
    res = selection_model(yi, vi, steps=steps)
    errors = []
    # 1. the likelihood itself, at metafor's estimates (mapped back to the data's scale)
    at_metafor = _StepModel(yi, vi, np.asarray(res.steps)).loglik(float(e["estimate"]), float(e["tau2"]),
                                                                  _arr(e["delta"]))
    _close("ll at metafor's estimates", at_metafor, e["ll"], RTOL_LL, 0, errors)
    _close("ll0", res.ll0, e["ll0"], RTOL_LL, 0, errors)
    # 2. the engine's maximum is at least metafor's; and far above metafor's direct fit on the raw scale, which stops
    # early (why the reference is the unit-scale fit)
    tol_ll = RTOL_LL * abs(float(e["ll"]))
    if res.ll < float(e["ll"]) - tol_ll:
        errors.append(f"engine maximum {res.ll!r} below metafor's {e['ll']!r}")
    direct = case.get("expected_direct")
    if direct and not np.isnan(_arr(direct["ll"])[0]):
        assert res.ll >= float(direct["ll"]) - tol_ll
    assert res.ll >= res.ll0 - tol_ll and res.lrt >= 0
    assert list(res.k_per_interval) == [int(v) for v in np.atleast_1d(e["k_per_interval"])]
    assert all(0 <= d <= 100 for d in res.delta), res.delta  # a delta of 6.4e6 was returned on the raw scale
    delta = _arr(e["delta"])
    if np.any(delta[1:] < 1e-3) or np.any(delta[1:] > 99.5):
        # a delta at its bound: the likelihood is flat along it; only the maximum and the warning are comparable
        assert res.warning, "metafor's delta is at its bound; the engine should warn"
        _close("lrt", res.lrt, e["lrt"], 1e-4, 0, errors)
        assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)
        return
    se, se_t, se_d = _arr(e["se"])[0], _arr(e["se_tau2"])[0], _arr(e["se_delta"])[1:]
    # 3. estimates within a fraction of metafor's standard errors (on the data's scale: se ~ 1e-7 for c = 1e-7)
    _close("estimate", res.estimate, e["estimate"], 0, SE_FRACTION * se, errors)
    _close("tau2", res.tau2, e["tau2"], 0, SE_FRACTION * se_t, errors)
    _close("delta", res.delta[1:], delta[1:], 0, SE_FRACTION * se_d, errors)
    _close("lrt", res.lrt, e["lrt"], SE_FRACTION, 0, errors)
    # 4. standard errors and intervals
    _close("se", res.se, se, RTOL_SE, 0, errors)
    _close("se_tau2", res.se_tau2, se_t, RTOL_SE, 0, errors)
    _close("se_delta", res.se_delta[1:], se_d, RTOL_SE, 0, errors)
    _close("ci_low", res.ci_low, e["ci_low"], 0, SE_FRACTION * se, errors)
    _close("ci_high", res.ci_high, e["ci_high"], 0, SE_FRACTION * se, errors)
    assert not res.warning
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


def test_selection_model_is_scale_equivariant():
    # y -> a y, v -> a^2 v: same p-values, so the same deltas and LRT; mu and se times a, tau2 times a^2,
    # log-likelihoods minus k log a. Closed-form expectations from the unit-scale fit (a a power of 2: exact data)
    base = next(c for c in CASES if c["id"] == "selmodel-s025-scale1")
    yi, vi = _exact(base["inputs"]["yi"]), _exact(base["inputs"]["vi"])
    ref = selection_model(yi, vi)
    for a in (2.0 ** -20, 2.0 ** -40, 2.0 ** 10):
        res = selection_model(yi * a, vi * a * a)
        assert res.estimate == pytest.approx(ref.estimate * a, rel=1e-12)
        assert res.se == pytest.approx(ref.se * a, rel=1e-12)
        assert res.tau2 == pytest.approx(ref.tau2 * a * a, rel=1e-12)
        assert res.delta == pytest.approx(ref.delta, rel=1e-12)
        assert res.lrt == pytest.approx(ref.lrt, rel=1e-12)
        assert res.ll == pytest.approx(ref.ll - ref.k * math.log(a), rel=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# 4. numeric factor levels
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("dummy_columns"))
def test_dummy_columns_sorts_numbers_as_r_factor(case):
    x, e = case["inputs"], case["expected"]
    mods, levels = dummy_columns(x["groups"])
    # R: levels(factor(c(10, 9, 2.5, 100))) is "2.5" "9" "10" "100" (a text sort made "10" the reference)
    assert list(levels) == list(e["levels"])
    assert [f"factor(g){lv}" for lv in levels[1:]] == list(e["terms"][1:])
    r = meta_regression(_exact(x["yi"]), _exact(x["vi"]), mods, method=case["args"]["method"])
    rtol = RTOL_ITER if case["args"]["method"] == "REML" else RTOL_CLOSED
    errors = []
    for name in ("coef", "se", "qm", "tau2"):
        _close(name, getattr(r, name), e[name], rtol, ATOL, errors)
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


def test_dummy_columns_labels_and_missing_groups():
    # integral floats print as R prints them; text stays a text sort; a missing group is not a level
    assert dummy_columns([2.0, 10.0, 1.0])[1] == ("1", "2", "10")
    assert dummy_columns(["10", "9", "2.5"])[1] == ("10", "2.5", "9")  # character codes: R sorts them as text too
    with pytest.raises(ValueError, match="group 1 is missing"):
        dummy_columns([1.0, float("nan"), 2.0])
