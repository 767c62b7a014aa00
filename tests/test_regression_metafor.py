"""peerstats.meta_regression against R metafor ``rma(yi, vi, mods = M, method, test)`` and ``predict(newmods=)``.

Every case of ``validation/regression_reference.json`` (written by ``validation/regression_reference.R``) is one
parametrised test whose id is the case id, e.g. ``reg-REML-knha-bcg-ablat-alloc``. The JSON is pinned: these tests
never need R. Inputs were rounded to 12 significant digits before metafor saw them; outputs are stored to 12.

A comparison passes when ``|actual - expected| <= atol + rtol * |expected|``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import peerstats
from peerstats import meta_regression
from peerstats.regression import dummy_columns

# Closed forms (FE and DL): both sides evaluate the same linear algebra in double precision from identical inputs;
# the reference is rounded to 12 significant digits (relative error <= 5e-13). 1e-9 leaves room for the conditioning
# of X'WX (bcg's year column, ~1960, with an intercept: condition number ~1e8 amplifies the rounding of the inverse).
RTOL_CLOSED = 1e-9
# REML (Fisher scoring) and PM (root finding): metafor ran with threshold = tol = 1e-12, the engine converges to
# ~1e-12 in tau2; every quantity that depends on tau2 inherits that, and the conditioning above multiplies it.
RTOL_ITER = 1e-7
# Absolute floor for values that are 0 or cross 0 (a truncated tau2, a coefficient near 0, a tail p-value), and for
# REML stopping a few 1e-13 above the tau2 = 0 boundary: far below any reported digit.
ATOL = 1e-10
# A CI bound is coef -/+ crit * se: where it lands near 0 it is the difference of two larger numbers, so its error is
# relative to |coef| + crit * se, not to the bound itself (bcg / bundled year columns: intercepts of ~50 whose bounds
# can fall within 1e-3 of 0). The bounds get that cancellation-aware floor: rtol * (|centre| + 2 * half-width).
# I2 (percent) and H2 magnify a boundary residual of tau2 by 100 / s2 and 1 / s2 (s2 >= ~1e-3 here).
ATOL_RATIO = 1e-7

REFERENCE = Path(__file__).resolve().parent.parent / "validation" / "regression_reference.json"
DATA = json.loads(REFERENCE.read_text())
CASES = [pytest.param(c, id=c["id"]) for c in DATA["cases"]]


def _arr(x) -> np.ndarray:
    """jsonlite stores length-1 arrays unboxed; null means NA."""
    return np.atleast_1d(np.asarray([np.nan if v is None else float(v) for v in np.atleast_1d(x).tolist()],
                                    dtype=float))


def _mods(case) -> np.ndarray:
    """The k x (p - 1) moderator matrix (jsonlite writes a one-column matrix as a list of 1-element rows)."""
    m = np.asarray(case["inputs"]["mods"], dtype=float)
    return m.reshape(len(case["inputs"]["yi"]), -1)


def test_reference_has_enough_cases():
    ids = [c["id"] for c in DATA["cases"]]
    assert len(ids) >= 60 and len(set(ids)) == len(ids)
    combos = {(c["args"]["method"], c["args"]["test"]) for c in DATA["cases"]}
    assert combos == {(m, t) for m in ("FE", "DL", "REML", "PM") for t in ("z", "knha")}


@pytest.mark.parametrize("case", CASES)
def test_meta_regression_matches_metafor(case):
    a, e = case["args"], case["expected"]
    r = meta_regression(case["inputs"]["yi"], case["inputs"]["vi"], _mods(case), method=a["method"], test=a["test"],
                        level=a["level"])
    rtol = RTOL_ITER if a["method"] in ("REML", "PM") else RTOL_CLOSED
    bad = []

    def check(name, actual, expected, atol=ATOL, rtol=rtol):
        act, exp = np.atleast_1d(np.asarray(actual, dtype=float)), _arr(expected)
        if act.shape != exp.shape:
            bad.append(f"{name}: shape {act.shape} != {exp.shape}")
        elif not np.allclose(act, exp, rtol=rtol, atol=atol, equal_nan=True):
            bad.append(f"{name}: {act} != metafor {exp}")

    assert (r.k, r.p) == (e["k"], e["p"])
    for name in ("coef", "se", "statistic", "qm", "qe", "tau2"):
        check(name, getattr(r, name), e[name])
    scale = np.abs(_arr(e["coef"])) + 2 * _arr(e["se"])
    for name in ("ci_low", "ci_high"):
        check(name, getattr(r, name), e[name], atol=ATOL + rtol * scale)
    # p-values: a relative error x in a statistic becomes ~ statistic * x in the tail (10x the statistic's tolerance)
    for name in ("pval", "qm_pval", "qe_pval"):
        check(name, getattr(r, name), e[name], rtol=10 * rtol)
    for name in ("i2", "h2", "r2"):
        check(name, getattr(r, name), e[name], atol=ATOL_RATIO)
    assert (r.qm_df, r.qe_df) == (e["qm_df"], e["qe_df"])
    pr = r.predict(np.asarray(case["inputs"]["newmods"], dtype=float).reshape(3, -1))
    check("predict.pred", pr.pred, e["pred"])
    check("predict.se", pr.se, e["pred_se"])
    scale = np.abs(_arr(e["pred"])) + 2 * (_arr(e["pred_pi_high"]) - _arr(e["pred"]))
    for mine, theirs in (("ci_low", "pred_ci_low"), ("ci_high", "pred_ci_high"), ("pi_low", "pred_pi_low"),
                         ("pi_high", "pred_pi_high")):
        check(f"predict.{mine}", getattr(pr, mine), e[theirs], atol=ATOL + rtol * scale)
    assert not bad, "; ".join(bad)


def test_exported_from_the_package():
    assert peerstats.meta_regression is meta_regression


def test_predict_single_setting_gives_floats():
    case = next(c for c in DATA["cases"] if c["id"] == "reg-REML-z-bcg-ablat")
    r = meta_regression(case["inputs"]["yi"], case["inputs"]["vi"], _mods(case), method="REML")
    one = r.predict(33.0)
    assert isinstance(one.pred, float)
    # by hand: b0 + b1 * 33, se = sqrt(v00 + 2 * 33 v01 + 33^2 v11), PI = pred +/- 1.959964 sqrt(se^2 + tau2)
    b, v = r.coef, r.vb
    se = np.sqrt(v[0, 0] + 2 * 33 * v[0, 1] + 33 ** 2 * v[1, 1])
    assert one.pred == pytest.approx(b[0] + 33 * b[1], rel=1e-12)
    assert one.se == pytest.approx(se, rel=1e-12)
    assert one.pi_high - one.pred == pytest.approx(1.959963984540054 * np.sqrt(se ** 2 + r.tau2), rel=1e-12)


def test_dummy_columns_match_r_factor_coding():
    mods, levels = dummy_columns(["random", "alternate", "systematic", "random"])
    assert levels == ("alternate", "random", "systematic")  # sorted, first is the reference
    assert mods.tolist() == [[1, 0], [0, 0], [0, 1], [1, 0]]


@pytest.mark.parametrize("mods, message", [
    ([[1.0], [1.0], [1.0], [1.0]], "collinear"),                      # a constant moderator duplicates the intercept
    ([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0], [4.0, 8.0]], "collinear"),    # two proportional columns
    ([[1.0], [2.0], [np.nan], [4.0]], "row 2"),
    ([[1.0], [2.0], [3.0]], "k = 4 rows"),
])
def test_bad_moderators_are_named(mods, message):
    with pytest.raises(ValueError, match=message):
        meta_regression([0.1, 0.2, 0.3, 0.4], [0.01] * 4, mods)


def test_needs_residual_degrees_of_freedom():
    with pytest.raises(ValueError, match="needs more than 2 studies"):
        meta_regression([0.1, 0.2], [0.01, 0.02], [1.0, 2.0])


def test_fitted_line_is_predict_on_a_grid():
    case = next(c for c in DATA["cases"] if c["id"] == "reg-DL-z-bcg-ablat")
    from peerstats.regression import fitted_line

    r = meta_regression(case["inputs"]["yi"], case["inputs"]["vi"], _mods(case), method="DL")
    line = fitted_line(r, _mods(case)[:, 0], n=5)
    x = _mods(case)[:, 0]
    assert line["x"].tolist() == pytest.approx(np.linspace(x.min(), x.max(), 5).tolist())
    # straight line: pred = b0 + b1 x
    assert line["pred"].to_numpy() == pytest.approx(r.coef[0] + r.coef[1] * line["x"].to_numpy(), rel=1e-12)
    with pytest.raises(ValueError, match="one moderator"):
        fitted_line(meta_regression(case["inputs"]["yi"], case["inputs"]["vi"], np.column_stack([x, x ** 2])), x)
