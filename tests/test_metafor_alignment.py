"""The statistics engine against R metafor.

Every case of ``validation/metafor_reference.json`` (written by ``validation/metafor_reference.R``; see
``validation/README.md``) is one parametrised test whose id is the case id. The JSON is pinned: these tests never need
R. Each case holds its inputs (rounded to 12 significant digits *before* metafor saw them, so both sides start from
identical numbers) and metafor's outputs, rounded to 12 significant digits.

A comparison passes when ``|actual - expected| <= atol + rtol * |expected|`` (the numpy ``isclose`` rule).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from peerstats import (ConvergenceError, NoStudiesError, cumulative, egger_test, funnel_limits, leave_one_out,
                       mixed_subgroup_test, pool, smd, smd_from_f, smd_from_t, subgroup_test, trim_and_fill)

# ---------------------------------------------------------------------------------------------------------------
# Tolerances
# ---------------------------------------------------------------------------------------------------------------
# Closed forms (FE and DL pooling, Cochran's Q, escalc SMD, Egger's weighted least squares, funnel limits): both sides
# evaluate the same formula in double precision from identical inputs; the stored reference is rounded to 12
# significant digits (relative error <= 5e-13). 1e-10 leaves room for summation order and a few ulps of
# amplification, nothing more.
RTOL_CLOSED = 1e-10
# Absolute floor for values that are exactly or nearly 0 (e.g. a DL tau2 of 0, an estimate that crosses 0, an SMD of
# 0): relative error means nothing there; 1e-12 is far below any reported digit.
ATOL_CLOSED = 1e-12
# Iterative estimators (REML by Fisher scoring, PM by root finding) and the Q-profile roots of confint(): metafor was
# run with control(threshold = 1e-12, tol = 1e-12) and confint tol = 1e-13, the engine solves to ~1e-12, so the roots
# agree to about 1e-11 absolute; quantities that depend on tau2 (estimate, se, CI, I2, weights ...) inherit that.
# 1e-8 relative (and 1e-10 absolute for values at the tau2 = 0 boundary, where metafor's step-halving Fisher scoring
# stops a few 1e-13 above 0) is four orders of magnitude looser than that and still far below any reported digit.
RTOL_ITER = 1e-8
ATOL_ITER = 1e-10
# I2 (percent) = 100 tau2 / (tau2 + s2) and H2 = 1 + tau2 / s2 magnify that boundary residual of tau2 by 100 / s2 and
# 1 / s2 (s2, the typical within-study variance, is >= ~1e-3 in the reference data): an REML tau2 of 3e-13 is an I2 of
# 7e-10 percent. Their absolute floor is therefore 1e-7 (percent, or H2 units) for the iterative estimators.
ATOL_ITER_RATIO = 1e-7
# Tail p-values: a relative error e in a statistic x becomes about x * |d log p / dx| * e in p (e.g. z = 10 turns
# 1e-13 into ~1e-11; Q = 150 on 12 df into ~1e-11); R's pnorm/pt/pchisq and scipy's sf are each accurate to ~1e-14
# relative. The p-value gets the tolerance of the statistic it comes from times 10; p-values below 1e-300 (underflow
# on both sides) compare with the absolute floor.
PVAL_FACTOR = 10.0

REFERENCE = Path(__file__).resolve().parent.parent / "validation" / "metafor_reference.json"
DATA = json.loads(REFERENCE.read_text())
CASES = DATA["cases"]
ITERATIVE = {"REML", "PM"}
# Fields that metafor defines for k = 1 but the peerstats contract (issue 2) declares undefined: metafor reports
# tau2 = 0, I2 = 0, H2 = 1 and QEp = 1 for a single study; heterogeneity cannot be estimated from one study, so the
# engine returns nan. Estimate, se, CI, statistic, p-value and Q (= 0) are still compared with metafor.
K1_NAN_FIELDS = ("tau2", "i2", "h2", "q_pval")


def _cases(fn: str) -> list:
    return [pytest.param(c, id=c["id"]) for c in CASES if c["fn"] == fn]


def _arr(x) -> np.ndarray:
    """JSON arrays of length 1 are stored unboxed by jsonlite; null means NA/NaN; "Inf"/"-Inf" are infinities."""
    return np.atleast_1d(np.asarray([np.nan if v is None else float(v) for v in np.atleast_1d(x).tolist()],
                                    dtype=float))


class Mismatch(list):
    """Collects every disagreement of one case, so a failure lists them all."""

    def check(self, name: str, actual, expected, rtol: float, atol: float) -> None:
        a = np.atleast_1d(np.asarray(actual, dtype=float))
        e = _arr(expected)
        if a.shape != e.shape:
            self.append(f"{name}: shape {a.shape} != expected {e.shape}")
            return
        same = (np.isnan(a) & np.isnan(e)) | (a == e)  # nan == nan and inf == inf count as agreement
        with np.errstate(invalid="ignore"):
            ok = same | (np.abs(a - e) <= atol + rtol * np.abs(e))
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            rel = abs(a[i] - e[i]) / abs(e[i]) if e[i] != 0 else math.inf
            where = f"[{i}]" if a.size > 1 else ""
            self.append(f"{name}{where}: engine {a[i]!r} vs metafor {e[i]!r} (rel. diff {rel:.3g}; "
                        f"rtol {rtol:g}, atol {atol:g}; {int((~ok).sum())} of {a.size} differ)")

    def check_nan(self, name: str, actual) -> None:
        a = np.atleast_1d(np.asarray(actual, dtype=float))
        if not np.isnan(a).all():
            self.append(f"{name}: engine {a!r}, contract says nan")

    def check_equal(self, name: str, actual, expected) -> None:
        if actual != expected:
            self.append(f"{name}: engine {actual!r} vs metafor {expected!r}")

    def done(self, case_id: str) -> None:
        assert not self, f"{case_id} disagrees with metafor:\n  " + "\n  ".join(self)


def _tol(method: str | None) -> tuple[float, float]:
    return (RTOL_ITER, ATOL_ITER) if method in ITERATIVE else (RTOL_CLOSED, ATOL_CLOSED)


def _check_model_fields(m: Mismatch, prefix: str, actual: dict, expected: dict, method: str, k: int) -> None:
    """estimate ... h2 of one pooled model (a pool result, a leave1out / cumul row or a subgroup)."""
    rtol, atol = _tol(method)
    for f in ("estimate", "se", "ci_low", "ci_high", "statistic"):
        if f in expected:
            m.check(prefix + f, actual[f], expected[f], rtol, atol)
    if "pval" in expected:
        m.check(prefix + "pval", actual["pval"], expected["pval"], PVAL_FACTOR * rtol, 1e-300)
    if "q" in expected:  # Cochran's Q uses the FE weights 1/vi whatever the method: a closed form
        m.check(prefix + "q", actual["q"], expected["q"], RTOL_CLOSED, ATOL_CLOSED)
    if k == 1:
        for f in K1_NAN_FIELDS:
            if f in expected:
                m.check_nan(prefix + f, actual[f])
        return
    if "q_pval" in expected:
        m.check(prefix + "q_pval", actual["q_pval"], expected["q_pval"], PVAL_FACTOR * RTOL_CLOSED, 1e-300)
    if "tau2" in expected:
        m.check(prefix + "tau2", actual["tau2"], expected["tau2"], rtol, atol)
    for f in ("i2", "h2"):
        if f in expected:
            m.check(prefix + f, actual[f], expected[f], rtol, ATOL_ITER_RATIO if method in ITERATIVE else atol)


# ---------------------------------------------------------------------------------------------------------------
# pool
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("pool"))
def test_pool(case):
    a, x, e = case["args"], case["inputs"], case["expected"]
    method, test = a["method"], a["test"]
    res = pool(_arr(x["yi"]), _arr(x["vi"]), method=method, test=test, level=a["level"])
    m = Mismatch()
    k = e["k"]
    m.check_equal("k", res.k, k)
    m.check_equal("q_df", res.q_df, e["q_df"])
    _check_model_fields(m, "", vars(res), e, method, k)
    rtol, atol = _tol(method)
    m.check("weights", res.weights, e["weights"], rtol, atol)
    # metafor uses t(k - 1) for knha (except k = 1, where it switches to z itself) and the normal otherwise.
    m.check("df", res.df, math.inf if e["df"] is None else e["df"], 0, 0)
    if e["pi_low"] is None:
        # predict() gives no prediction interval for an FE model (or k = 1); with tau2 = 0 it is the CI itself.
        m.check("pi_low (= ci_low)", res.pi_low, e["ci_low"], rtol, atol)
        m.check("pi_high (= ci_high)", res.pi_high, e["ci_high"], rtol, atol)
    else:
        m.check("pi_low", res.pi_low, e["pi_low"], rtol, atol)
        m.check("pi_high", res.pi_high, e["pi_high"], rtol, atol)
    if "tau2_ci_low" in e:
        for f in ("tau2_ci_low", "tau2_ci_high", "i2_ci_low", "i2_ci_high"):
            m.check(f, getattr(res, f), e[f], RTOL_ITER, ATOL_ITER)
    else:
        # confint() is not defined for FE models nor for k = 1; the engine reports nan (documented).
        for f in ("tau2_ci_low", "tau2_ci_high", "i2_ci_low", "i2_ci_high"):
            m.check_nan(f, getattr(res, f))
    m.done(case["id"])


# ---------------------------------------------------------------------------------------------------------------
# leave1out and cumul
# ---------------------------------------------------------------------------------------------------------------
def _check_frame(case, frame, index_col: str) -> None:
    a, e = case["args"], case["expected"]
    m = Mismatch()
    n = len(_arr(e["estimate"]))
    if len(frame) != n:
        m.append(f"rows: engine {len(frame)} vs metafor {n}")
        m.done(case["id"])
    m.check(index_col, frame[index_col].to_numpy(), e["index"], 0, 0)
    ks = frame["k"].to_numpy() if "k" in frame else np.full(n, len(case["inputs"]["yi"]) - 1)
    for j in range(n):
        row = {c: frame[c].iloc[j] for c in frame.columns}
        exp = {f: _arr(e[f])[j] for f in ("estimate", "se", "statistic", "pval", "ci_low", "ci_high", "q", "q_pval",
                                          "tau2", "i2", "h2") if e[f] is not None}
        if e["tau2"] is None:  # metafor's leave1out/cumul have no tau2 column for FE models, where tau2 = 0
            assert a["method"] == "FE"
            if ks[j] > 1:
                m.check(f"row {j}: tau2 (FE)", row["tau2"], 0.0, 0, 0)
        _check_model_fields(m, f"row {j}: ", row, exp, a["method"], int(ks[j]))
    if "k" in e:
        m.check("k", ks, e["k"], 0, 0)
    m.done(case["id"])


@pytest.mark.parametrize("case", _cases("leave_one_out"))
def test_leave_one_out(case):
    a, x = case["args"], case["inputs"]
    frame = leave_one_out(_arr(x["yi"]), _arr(x["vi"]), method=a["method"], test=a["test"], level=a["level"])
    _check_frame(case, frame, "omitted")


@pytest.mark.parametrize("case", _cases("cumulative"))
def test_cumulative(case):
    a, x = case["args"], case["inputs"]
    frame = cumulative(_arr(x["yi"]), _arr(x["vi"]), _arr(x["order"]), method=a["method"], test=a["test"],
                       level=a["level"])
    _check_frame(case, frame, "added")


# ---------------------------------------------------------------------------------------------------------------
# Egger (regtest) and trim-and-fill
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("egger_test"))
def test_egger(case):
    x, e = case["inputs"], case["expected"]
    res = egger_test(_arr(x["yi"]), _arr(x["vi"]))
    m = Mismatch()
    for f in ("intercept", "se", "statistic", "limit_estimate", "limit_ci_low", "limit_ci_high"):
        m.check(f, getattr(res, f), e[f], RTOL_CLOSED, ATOL_CLOSED)
    m.check("pval", res.pval, e["pval"], PVAL_FACTOR * RTOL_CLOSED, 1e-300)
    m.check_equal("df", res.df, e["df"])
    m.done(case["id"])


@pytest.mark.parametrize("case", _cases("trim_and_fill"))
def test_trim_and_fill(case):
    a, x, e = case["args"], case["inputs"], case["expected"]
    res = trim_and_fill(_arr(x["yi"]), _arr(x["vi"]), method=a["method"], estimator=a["estimator"])
    m = Mismatch()
    m.check_equal("k0", res.k0, e["k0"])
    m.check_equal("side", res.side, e["side"])
    m.check_equal("k", res.k, e["k"])
    rtol, atol = _tol(a["method"])
    for f in ("estimate", "se", "ci_low", "ci_high", "tau2", "observed_estimate"):
        m.check(f, getattr(res, f), e[f], rtol, atol)
    m.check("i2", res.i2, e["i2"], rtol, ATOL_ITER_RATIO if a["method"] in ITERATIVE else atol)
    m.check("pval", res.pval, e["pval"], PVAL_FACTOR * rtol, 1e-300)
    m.check("filled yi", res.filled["yi"].to_numpy(), e["filled_yi"] if e["k0"] else [], rtol, atol)
    m.check("filled vi", res.filled["vi"].to_numpy(), e["filled_vi"] if e["k0"] else [], RTOL_CLOSED, ATOL_CLOSED)
    m.done(case["id"])


# ---------------------------------------------------------------------------------------------------------------
# Subgroups
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("subgroup_test"))
def test_subgroup_test(case):
    a, x, e = case["args"], case["inputs"], case["expected"]
    groups = [str(g) for g in np.atleast_1d(x["groups"])]
    res = subgroup_test(_arr(x["yi"]), _arr(x["vi"]), groups, method=a["method"], test=a["test"], level=a["level"])
    m = Mismatch()
    rtol, atol = _tol(a["method"])
    m.check("q_between", res.q_between, e["q_between"], rtol, atol)
    m.check_equal("df", res.df, e["df"])
    m.check("pval", res.pval, e["pval"], PVAL_FACTOR * rtol, 1e-300)
    labels = [str(v) for v in np.atleast_1d(e["labels"])]
    m.check_equal("subgroup labels (first-appearance order)", list(res.subgroups), labels)
    for label in labels:
        if label not in res.subgroups:
            continue
        sub_e = e["subgroups"][label]
        sub_a = vars(res.subgroups[label])
        m.check_equal(f"{label}: k", sub_a["k"], sub_e["k"])
        _check_model_fields(m, f"{label}: ", sub_a, sub_e, a["method"], sub_e["k"])
    m.done(case["id"])


@pytest.mark.parametrize("case", _cases("mixed_subgroup_test"))
def test_mixed_subgroup_test(case):
    a, x, e = case["args"], case["inputs"], case["expected"]
    groups = [str(g) for g in np.atleast_1d(x["groups"])]
    res = mixed_subgroup_test(_arr(x["yi"]), _arr(x["vi"]), groups, method=a["method"])
    m = Mismatch()
    rtol, atol = _tol(a["method"])
    m.check("qm", res.qm, e["qm"], rtol, atol)
    m.check_equal("qm_df", res.qm_df, e["qm_df"])
    m.check("qm_pval", res.qm_pval, e["qm_pval"], PVAL_FACTOR * rtol, 1e-300)
    m.check("tau2", res.tau2, e["tau2"], rtol, atol)
    m.check("qe", res.qe, e["qe"], RTOL_CLOSED, ATOL_CLOSED)
    m.check_equal("qe_df", res.qe_df, e["qe_df"])
    m.check("qe_pval", res.qe_pval, e["qe_pval"], PVAL_FACTOR * RTOL_CLOSED, 1e-300)
    # R's factor() sorts the levels; the first is the intercept (reference level).
    m.check_equal("levels", [str(v) for v in res.levels], [str(v) for v in np.atleast_1d(e["levels"])])
    co = res.coefficients
    m.check("coef estimate", co["estimate"].to_numpy(), e["coef_estimate"], rtol, atol)
    m.check("coef se", co["se"].to_numpy(), e["coef_se"], rtol, atol)
    m.check("coef statistic (zval)", co["statistic"].to_numpy(), e["coef_zval"], rtol, atol)
    m.check("coef pval", co["pval"].to_numpy(), e["coef_pval"], PVAL_FACTOR * rtol, 1e-300)
    m.done(case["id"])


# ---------------------------------------------------------------------------------------------------------------
# Effect sizes and funnel limits
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("smd") + _cases("smd_from_t") + _cases("smd_from_f"))
def test_effect_sizes(case):
    x, e = case["inputs"], case["expected"]
    if case["fn"] == "smd":
        yi, vi = smd(_arr(x["m1"]), _arr(x["sd1"]), _arr(x["n1"]), _arr(x["m2"]), _arr(x["sd2"]), _arr(x["n2"]))
    elif case["fn"] == "smd_from_t":
        yi, vi = smd_from_t(_arr(x["t"]), _arr(x["n1"]), _arr(x["n2"]))
    else:
        yi, vi = smd_from_f(_arr(x["f"]), _arr(x["n1"]), _arr(x["n2"]), _arr(x["sign"]))
    m = Mismatch()
    m.check("yi", yi, e["yi"], RTOL_CLOSED, ATOL_CLOSED)
    m.check("vi", vi, e["vi"], RTOL_CLOSED, ATOL_CLOSED)
    m.done(case["id"])


@pytest.mark.parametrize("case", _cases("funnel_limits"))
def test_funnel_limits(case):
    a, x, e = case["args"], case["inputs"], case["expected"]
    frame = funnel_limits(x["estimate"], x["se_max"], level=a["level"], n=a["n"])
    m = Mismatch()
    for f in ("se", "ci_low", "ci_high"):
        m.check(f, frame[f].to_numpy(), e[f], RTOL_CLOSED, ATOL_CLOSED)
    m.done(case["id"])


def test_reference_covers_every_function():
    """The pinned reference is the one the R script writes, and it exercises what issue 2 asks for."""
    assert DATA["generated_by"] == "validation/metafor_reference.R"
    assert DATA["n_cases"] == len(CASES) >= 150
    fns = {c["fn"] for c in CASES}
    assert fns >= {"pool", "leave_one_out", "cumulative", "egger_test", "trim_and_fill", "subgroup_test",
                   "mixed_subgroup_test", "smd", "smd_from_t", "smd_from_f", "funnel_limits"}
    pools = [c for c in CASES if c["fn"] == "pool"]
    assert {(c["args"]["method"], c["args"]["test"]) for c in pools} == {
        (mth, t) for mth in ("FE", "DL", "REML", "PM") for t in ("z", "knha")}
    ks = {c["expected"]["k"] for c in pools}
    assert {1, 2, 3, 5, 10, 30, 100, 300} <= ks
    assert any(c["expected"]["q"] < c["expected"]["q_df"] for c in pools)  # Q < df
    assert {"bcg", "normand", "raudenbush"} <= {c.get("dataset") for c in CASES}
    assert len({c["id"] for c in CASES}) == len(CASES)


# ---------------------------------------------------------------------------------------------------------------
# Edge cases issue 2 demands (hand values, no R needed)
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM"])
def test_k0_raises_no_studies_error(method):
    with pytest.raises(NoStudiesError):
        pool([], [], method=method)
    with pytest.raises(NoStudiesError):
        pool(np.array([]), np.array([]), method=method, test="knha")


def test_no_studies_error_is_a_value_error():
    # The app can catch either; callers that do not know NoStudiesError still get a ValueError.
    assert issubclass(NoStudiesError, ValueError)


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM"])
@pytest.mark.parametrize("test", ["z", "knha"])
def test_k1_returns_the_study_itself(method, test):
    # One study with yi = 0.4, vi = 0.09: se = 0.3, z = 0.4 / 0.3, CI = 0.4 -/+ 1.959963984540054 * 0.3
    # (a t interval needs df = k - 1 = 0, so the z interval is used, as metafor does for k = 1).
    r = pool([0.4], [0.09], method=method, test=test)
    assert r.k == 1
    assert r.estimate == pytest.approx(0.4, rel=1e-15)
    assert r.se == pytest.approx(0.3, rel=1e-15)
    assert r.ci_low == pytest.approx(0.4 - 1.959963984540054 * 0.3, rel=1e-14)
    assert r.ci_high == pytest.approx(0.4 + 1.959963984540054 * 0.3, rel=1e-14)
    assert r.statistic == pytest.approx(4 / 3, rel=1e-14)
    assert r.weights.tolist() == [100.0]
    for f in ("tau2", "i2", "h2", "q_pval", "tau2_ci_low", "tau2_ci_high", "i2_ci_low", "i2_ci_high"):
        assert math.isnan(getattr(r, f)), f


# Three studies with yi = 0.1, 0.2, 0.15 and vi = 0.04 each: the FE mean is 0.15 and
# Q = (0.05^2 + 0.05^2 + 0) / 0.04 = 0.125 < df = 2.
Q_LT_DF = ([0.1, 0.2, 0.15], [0.04, 0.04, 0.04])


@pytest.mark.parametrize("method", ["DL", "PM"])
def test_q_below_df_gives_zero_tau2(method):
    # DL: max(0, Q - df) / C = 0. PM: the generalised Q at tau2 = 0 is Q = 0.125 < k - 1, so no positive root.
    r = pool(*Q_LT_DF, method=method)
    assert r.q == pytest.approx(0.125, rel=1e-12)
    assert r.q < r.q_df
    assert r.tau2 == 0.0
    assert r.i2 == 0.0
    assert r.h2 == 1.0
    assert r.estimate == pytest.approx(0.15, rel=1e-12)


def test_q_below_df_fe_i2_is_zero():
    # FE: I2 = 100 max(0, (Q - df) / Q) = 0, H2 = Q / df = 0.0625.
    r = pool(*Q_LT_DF, method="FE")
    assert r.i2 == 0.0
    assert r.h2 == pytest.approx(0.0625, rel=1e-12)


def test_identical_studies_reml_tau2_zero():
    # All yi equal: every residual is 0, the REML score is negative at tau2 = 0, so tau2 = 0 and I2 = 0.
    r = pool([0.3, 0.3, 0.3, 0.3], [0.01, 0.02, 0.03, 0.04], method="REML")
    assert r.tau2 == pytest.approx(0.0, abs=1e-12)
    assert r.i2 == pytest.approx(0.0, abs=1e-9)
    assert r.q == 0.0


@pytest.mark.parametrize("bad", [0.0, -0.01, math.nan, math.inf])
@pytest.mark.parametrize("index", [0, 2])
def test_bad_vi_raises_value_error_naming_the_index(bad, index):
    vi = [0.01, 0.02, 0.03, 0.04]
    vi[index] = bad
    with pytest.raises(ValueError, match=rf"\bindex {index}\b"):
        pool([0.1, 0.2, 0.3, 0.4], vi)


def test_non_finite_yi_raises_value_error_naming_the_index():
    with pytest.raises(ValueError, match=r"\bindex 1\b"):
        pool([0.1, math.nan, 0.3], [0.01, 0.02, 0.03])


def test_reml_oscillating_fisher_scoring_falls_back_to_damped_steps():
    # Fisher scoring oscillates with growing steps on these data: metafor's rma(y, v, method = "REML") stops with
    # "Fisher scoring algorithm did not converge". With a damped step, rma(..., control = list(stepadj = 0.5,
    # threshold = 1e-12, maxiter = 10000)) converges to tau2 = 0.08834727172474, estimate 0.50501393839124,
    # se 0.32824281551731. The engine retries with damped steps and must land on that root.
    yi, vi = [0, 0, 0, 0, 0, 1], [1, 1, 1, 1, 1, 0.125]
    r = pool(yi, vi, method="REML")
    assert r.tau2 == pytest.approx(0.08834727172474, rel=RTOL_ITER)
    assert r.estimate == pytest.approx(0.50501393839124, rel=RTOL_ITER)
    assert r.se == pytest.approx(0.32824281551731, rel=RTOL_ITER)


def test_reml_non_convergence_raises_instead_of_returning_junk(monkeypatch):
    # With an iteration budget of 2, Fisher scoring cannot reach the 1e-12 threshold on the bcg-like data above, at
    # any step size: the engine must say so rather than return the last iterate.
    import peerstats.core as core

    monkeypatch.setattr(core, "MAXITER", 2)
    with pytest.raises(ConvergenceError, match="REML"):
        pool([0, 0, 0, 0, 0, 1], [1, 1, 1, 1, 1, 0.125], method="REML")
