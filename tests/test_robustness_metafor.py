"""Influence diagnostics, PET-PEESE and the step-function selection model against R metafor.

Every case of ``validation/robustness_reference.json`` (written by ``validation/robustness_reference.R``) is one
parametrised test whose id is the case id; the JSON is pinned, so these tests never need R. Inputs were rounded to 12
significant digits before metafor saw them; outputs are rounded to 12 significant digits.
A comparison passes when ``|actual - expected| <= atol + rtol * |expected|``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from peerstats import baujat, influence, pet_peese, selection_model, trim_and_fill
from peerstats.selmodel import _StepModel

# Closed forms (FE and DL fits, weighted least squares of regtest): the same formulas in double precision from
# identical inputs; the reference is rounded to 12 significant digits. 1e-9 relative leaves room for summation order
# and the amplification in differences such as mu - mu_(i) (DFFITS, Cook's D of a study with little influence).
RTOL_CLOSED = 1e-9
ATOL_CLOSED = 1e-11
# REML and PM leave-one-out fits: metafor ran with threshold/tol 1e-12 and the engine solves to ~1e-12 (see
# tests/test_metafor_alignment.py); tau2 enters every diagnostic, and Cook's D / DFFITS are differences of two
# iterated estimates, so 1e-7 relative with an absolute floor of 1e-9 (boundary fits stop a few 1e-13 above 0).
RTOL_ITER = 1e-7
ATOL_ITER = 1e-9
# selmodel: metafor maximises with optim(BFGS, reltol = 1e-13) on transformed parameters with a numerical gradient,
# the engine with BFGS plus Newton polishing on an analytic gradient. Near a maximum the log-likelihood changes by
# (d / se)^2 / 2 for a parameter error d, so a stopping rule on the function value leaves the parameters uncertain by
# a fraction of their standard error: the engine's maximum is always at least as high as metafor's (observed: never
# more than 5e-11 lower, up to 2e-6 higher where metafor crawls towards tau2 = 0 on its log scale), and the
# parameters agree to within 1e-3 standard errors (observed <= 4e-4) with the tight control, 1e-2 (observed
# <= 7e-3) where metafor only converged with its default control (reltol 1e-8). The log-likelihood function itself is
# compared at metafor's estimates, to 1e-8.
SE_FRACTION_TIGHT = 1e-3
SE_FRACTION_DEFAULT = 1e-2
# tau2 at the boundary, where metafor has no standard error for it: 1e-6 with the tight control (observed 6e-8),
# 1e-4 with the default control (metafor stops at up to 1.4e-5 on its way to 0, with a lower likelihood)
ATOL_SEL = 1e-6
ATOL_SEL_DEFAULT = 1e-4
RTOL_LL = 1e-8
# Standard errors: metafor's numDeriv Hessian (Richardson extrapolation) against central differences of the
# engine's analytic gradient, at maxima that differ as above: 1e-3 relative (observed <= 1e-4).
RTOL_SE = 1e-3

DATA = json.loads((Path(__file__).resolve().parent.parent / "validation" / "robustness_reference.json").read_text())
CASES = DATA["cases"]


def _cases(fn):
    return [pytest.param(c, id=c["id"]) for c in CASES if c["fn"] == fn]


def _arr(x):
    return np.atleast_1d(np.asarray([np.nan if v is None else float(v) for v in np.atleast_1d(x).tolist()], float))


def _close(name, actual, expected, rtol, atol, errors):
    a, e = np.atleast_1d(np.asarray(actual, dtype=float)), _arr(expected)
    if a.shape != e.shape:
        errors.append(f"{name}: shape {a.shape} vs {e.shape}")
        return
    with np.errstate(invalid="ignore"):
        ok = (np.isnan(a) & np.isnan(e)) | (a == e) | (np.abs(a - e) <= atol + rtol * np.abs(e))
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        errors.append(f"{name}[{i}]: engine {a[i]!r} vs metafor {e[i]!r} ({int((~ok).sum())} of {a.size} differ)")


def test_reference_has_enough_cases():
    counts = {fn: sum(c["fn"] == fn and "error" not in c["expected"] for c in CASES)
              for fn in ("influence", "pet_peese", "selection_model")}
    assert all(n >= 40 for n in counts.values()), counts


# ---------------------------------------------------------------------------------------------------------------
# influence
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("influence"))
def test_influence(case):
    x, e, method = case["inputs"], case["expected"], case["args"]["method"]
    frame = influence(_arr(x["yi"]), _arr(x["vi"]), method=method)
    rtol, atol = (RTOL_ITER, ATOL_ITER) if method in ("REML", "PM") else (RTOL_CLOSED, ATOL_CLOSED)
    errors = []
    for col in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "hat", "weight", "dfbetas"):
        _close(col, frame[col].to_numpy(), e[col], rtol, atol, errors)
    _close("qe_del", frame["qe_del"].to_numpy(), e["qe_del"], RTOL_CLOSED, ATOL_CLOSED, errors)  # Cochran's Q
    flags = np.atleast_1d(e["inf"]).astype(bool)
    if not np.array_equal(frame["inf"].to_numpy(), flags):
        errors.append(f"inf: engine {np.flatnonzero(frame['inf'])} vs metafor {np.flatnonzero(flags)}")
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


# ---------------------------------------------------------------------------------------------------------------
# PET-PEESE
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("pet_peese"))
def test_pet_peese(case):
    x, e = case["inputs"], case["expected"]
    res = pet_peese(_arr(x["yi"]), _arr(x["vi"]), level=case["args"]["level"])
    errors = []
    for f in ("pet", "pet_ci_low", "pet_ci_high", "pet_se", "pet_statistic", "peese", "peese_ci_low",
              "peese_ci_high", "peese_se", "peese_statistic"):
        _close(f, getattr(res, f), e[f], RTOL_CLOSED, ATOL_CLOSED, errors)
    for f in ("pet_pval", "peese_pval"):
        _close(f, getattr(res, f), e[f], 10 * RTOL_CLOSED, 1e-300, errors)
    assert res.df == e["df"]
    # the conditional choice (Stanley & Doucouliagos 2014), decided here from metafor's own p-value
    expected_choice = "PEESE" if float(e["pet_pval"]) < 0.05 else "PET"
    assert res.choice == expected_choice
    chosen = "peese" if expected_choice == "PEESE" else "pet"
    _close("estimate", res.estimate, e[chosen], RTOL_CLOSED, ATOL_CLOSED, errors)
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


# ---------------------------------------------------------------------------------------------------------------
# selmodel
# ---------------------------------------------------------------------------------------------------------------
def _sel(case):
    x = case["inputs"]
    return selection_model(_arr(x["yi"]), _arr(x["vi"]), steps=tuple(_arr(case["args"]["steps"])))


def test_selection_model_reference_counts():
    # >= 40 cases fitted by metafor with the tight control, so the parameter comparisons below are not vacuous
    tight = [c for c in CASES if c["fn"] == "selection_model" and "error" not in c["expected"]
             and c["control"] == "tight"]
    assert len(tight) >= 40, len(tight)


@pytest.mark.parametrize("case", _cases("selection_model"))
def test_selection_model(case):
    e = case["expected"]
    if "error" in e:
        x = case["inputs"]
        yi, vi, steps = _arr(x["yi"]), _arr(x["vi"]), tuple(_arr(case["args"]["steps"]))
        if "convergence" in e["error"]:
            # metafor's optimiser gave up (even with its default control); nothing to compare against, but the
            # engine's maximum must be a maximum: the selection model nests the ML model (all delta = 1).
            res = selection_model(yi, vi, steps=steps)
            assert np.isfinite(res.estimate) and res.ll >= res.ll0 - 1e-9
            return
        # metafor stops: an interval with a free weight holds no p-value, or k is below the number of parameters
        assert "intervals do not contain" in e["error"] or "too small" in e["error"], e["error"]
        with pytest.raises(ValueError, match="no observed one-sided p-value|too few studies"):
            selection_model(yi, vi, steps=steps)
        return
    res = _sel(case)
    errors = []
    # 1. The likelihood itself: the engine's log-likelihood evaluated at metafor's estimates equals metafor's ll.
    yi, vi = _arr(case["inputs"]["yi"]), _arr(case["inputs"]["vi"])
    at_metafor = _StepModel(yi, vi, np.asarray(res.steps)).loglik(float(e["estimate"]), float(e["tau2"]),
                                                                  _arr(e["delta"]))
    _close("ll at metafor's estimates", at_metafor, e["ll"], RTOL_LL, 1e-9, errors)
    _close("ll0", res.ll0, e["ll0"], RTOL_LL, 1e-9, errors)
    # 2. The engine's maximum is never lower than metafor's.
    if res.ll < float(e["ll"]) - 1e-9:
        errors.append(f"engine maximum {res.ll!r} below metafor's {e['ll']!r}")
    assert list(res.k_per_interval) == [int(v) for v in np.atleast_1d(e["k_per_interval"])]
    delta = _arr(e["delta"])
    if np.any(delta[1:] < 1e-3) or np.any(delta[1:] > 99.5):
        # a delta at its bound: the likelihood is flat along it, only the maximum and the warning are comparable
        assert res.warning, "metafor's delta is at its bound; the engine should warn"
        assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)
        return
    # 3. The estimates agree to a small fraction of their standard errors (metafor's own, where it has them).
    frac = SE_FRACTION_TIGHT if case["control"] == "tight" else SE_FRACTION_DEFAULT
    se = _arr(e["se"])[0]
    if np.isfinite(se):
        _close("estimate", res.estimate, e["estimate"], 0, frac * se, errors)
    se_t = _arr(e["se_tau2"])[0]
    atol_t = ATOL_SEL if case["control"] == "tight" else ATOL_SEL_DEFAULT
    _close("tau2", res.tau2, e["tau2"], 0, frac * se_t if np.isfinite(se_t) else atol_t, errors)
    se_d = _arr(e["se_delta"])[1:]
    if np.all(np.isfinite(se_d)):
        _close("delta", res.delta[1:], delta[1:], 0, frac * se_d, errors)
    _close("lrt", res.lrt, e["lrt"], frac, 1e-7, errors)
    if res.tau2 > 1e-6 and np.isfinite(se):  # at tau2 = 0 metafor's Hessian crosses the boundary (Notes)
        rtol = RTOL_SE if case["control"] == "tight" else SE_FRACTION_DEFAULT
        _close("se", res.se, se, rtol, 0, errors)
        _close("se_tau2", res.se_tau2, e["se_tau2"], rtol, 0, errors)
        _close("se_delta", res.se_delta[1:], se_d, rtol, 0, errors)
        _close("ci_low", res.ci_low, e["ci_low"], 0, frac * se, errors)
        _close("ci_high", res.ci_high, e["ci_high"], 0, frac * se, errors)
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


def test_selection_model_reports_empty_interval_in_words():
    # every one-sided p-value is below .025 (z > 2.2), so the interval (.025, 1] that carries delta_2 is empty
    with pytest.raises(ValueError, match=r"0.025 < p <= 1"):
        selection_model([1.0, 1.2, 0.9, 1.5], [0.04, 0.05, 0.03, 0.06])


def test_pet_peese_equal_variances_is_nan_with_reason():
    # the example: with equal vi the regressors sqrt(vi) and vi are constant, collinear with the intercept
    res = pet_peese([0.1, 0.5, 0.9, 0.3, 1.4, 0.2], [1 / 3] * 6)
    assert math.isnan(res.pet) and math.isnan(res.peese) and "same sampling variance" in res.reason


# ---------------------------------------------------------------------------------------------------------------
# baujat and trimfill(fit, test = "knha")
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("baujat"))
def test_baujat(case):
    x, e, method = case["inputs"], case["expected"], case["args"]["method"]
    frame = baujat(_arr(x["yi"]), _arr(x["vi"]), method=method)
    rtol, atol = (RTOL_ITER, ATOL_ITER) if method in ("REML", "PM") else (RTOL_CLOSED, ATOL_CLOSED)
    errors = []
    _close("x", frame["x"].to_numpy(), e["x"], rtol, atol, errors)
    _close("y", frame["y"].to_numpy(), e["y"], rtol, atol, errors)
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


@pytest.mark.parametrize("case", _cases("trim_and_fill_knha"))
def test_trim_and_fill_knha_equals_metafor_trimfill_with_test_knha(case):
    # the engine refits the filled data with the view's test; metafor does so when given trimfill(fit, test = "knha")
    x, e, method = case["inputs"], case["expected"], case["args"]["method"]
    res = trim_and_fill(_arr(x["yi"]), _arr(x["vi"]), method=method, test="knha")
    assert (res.k0, res.side, res.k) == (e["k0"], e["side"], e["k"])
    errors = []
    rtol, atol = (RTOL_ITER, ATOL_ITER) if method in ("REML", "PM") else (RTOL_CLOSED, ATOL_CLOSED)
    for f in ("estimate", "se", "ci_low", "ci_high", "tau2"):
        _close(f, getattr(res, f), e[f], rtol, atol, errors)
    _close("pval", res.pval, e["pval"], 10 * rtol, 1e-300, errors)
    assert not errors, f"{case['id']}:\n  " + "\n  ".join(errors)


def test_trim_and_fill_knha_cases_fill_something():
    assert sum(c["expected"]["k0"] > 0 for c in CASES if c["fn"] == "trim_and_fill_knha") >= 4
