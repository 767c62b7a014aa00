"""The engine's kernel: input checks, distribution functions, weighted least squares, the tau2 estimators and the
model fit every method family builds on (pool, subgroups, meta-regression, leave-one-out, influence, bias tests,
selection models). Modelled on PyMARE's ``stats.py``: public, documented, array in and array out.

Shapes: ``y`` and ``vi`` are ``(k,)`` float arrays (effects and their sampling variances), ``X`` a ``(k, p)`` design
matrix whose first column is the intercept, ``w`` ``(k,)`` weights.

The model
---------
:math:`y = X\\beta + u + e` with :math:`u \\sim N(0, \\tau^2 I)`, :math:`e \\sim N(0, \\mathrm{diag}(v))`. Given
:math:`\\tau^2` the weights are :math:`W = \\mathrm{diag}(1/(v_i + \\tau^2))` and

.. math::

    \\hat\\beta = (X^\\top W X)^{-1} X^\\top W y, \\qquad V_\\beta = (X^\\top W X)^{-1}, \\qquad
    Q(\\tau^2) = \\sum_i w_i (y_i - x_i^\\top\\hat\\beta)^2 .

:func:`estimate_tau2` gives FE (0), DL (the method of moments on :math:`Q(0)`), REML (Fisher scoring) or PM (the root of
:math:`Q(\\tau^2) = k - p`); :func:`fit_model` adds the Knapp-Hartung scaling and the heterogeneity statistics;
:func:`q_profile` the Q-profile interval of :math:`\\tau^2`. :mod:`peerstats.rma` documents the estimators and
statistics in full, with references; :func:`peerstats.pool` is this kernel's intercept-only consumer.

The iterative solvers work on the unit scale (:func:`unit_scale`) so that their absolute tolerances
(:data:`REML_THRESHOLD`, :data:`ROOT_XTOL`) mean the same thing for data of any scale.

References
----------
.. [1] Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the random-effects model.
   J Educ Behav Stat, 30, 261-293.
.. [2] Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in meta-analysis. Stat Med 26, 37-52.
.. [3] Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression with a single covariate.
   Stat Med, 22, 2693-2710.
.. [4] PyMARE, ``pymare/stats.py`` (``weighted_least_squares``, ``q_gen``, ``q_profile``): the model for this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .errors import ConvergenceError, NoStudiesError

__all__ = [
    "METHODS", "TESTS", "NAN", "VI_RANGE", "VI_SPREAD", "REML_THRESHOLD", "MAXITER", "ROOT_XTOL",
    "z_crit", "t_crit", "z_pval", "t_pval", "chi2_sf", "chi2_isf",
    "validate_yi_vi", "check_options",
    "WLSResult", "weighted_least_squares", "trace_p", "q_gen", "unit_scale", "estimate_tau2", "ModelFit", "fit_model",
    "q_profile", "ratio", "intercept_design",
]

#: The heterogeneity estimators (``method``) and tests (``test``) the engine offers.
METHODS = ("FE", "DL", "REML", "PM")
TESTS = ("z", "knha")

NAN = float("nan")
REML_THRESHOLD = 1e-12  # stop Fisher scoring when tau2 changes by less than this (metafor: 1e-5)
MAXITER = 1000
ROOT_XTOL = 1e-14  # brentq absolute tolerance for PM and the Q-profile bounds (metafor's uniroot: ~1.2e-4)


# ----------------------------------------------------------------------------------------------------------------
# distribution functions: scipy.special ufuncs (about 50 times faster per call than scipy.stats objects, and the same
# numbers: scipy.stats.norm/t/chi2/f are built on these)
# ----------------------------------------------------------------------------------------------------------------


def z_crit(level: float) -> float:
    """The two-sided normal critical value :math:`z_{(1+\\text{level})/2}` (1.959964 for ``level=0.95``)."""
    return float(special.ndtri(0.5 + level / 2))


def t_crit(level: float, df: float) -> float:
    """The two-sided Student t critical value :math:`t_{(1+\\text{level})/2,\\,df}`."""
    return float(special.stdtrit(df, 0.5 + level / 2))


def z_pval(z: float) -> float:
    """Two-sided normal p-value :math:`2\\Phi(-|z|)`."""
    return float(2 * special.ndtr(-abs(z)))


def t_pval(t: float, df: float) -> float:
    """Two-sided Student t p-value :math:`2 F_{t,df}(-|t|)`."""
    return float(2 * special.stdtr(df, -abs(t)))


def chi2_sf(q: float, df: float) -> float:
    """Upper tail :math:`P(\\chi^2_{df} > q)` (the p-value of a Q statistic)."""
    return float(special.chdtrc(df, q))


def chi2_isf(p: float, df: float) -> float:
    """The value x with P(chi2_df > x) = p."""
    return float(special.chdtri(df, p))


# ----------------------------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------------------------


#: Sampling variances the engine accepts, and the largest ratio max(vi) / min(vi) in one analysis. Beyond them the
#: weights 1/vi (and sums of their squares) overflow, or one weight swamps the others so that the traces of the
#: REML/DL formulas (sum w - sum w^2 / sum w) cancel to 0 and I2 = tau2 / (tau2 + s2) divides by zero: found by a
#: grid of vi from 1e-308 to 1e308 through every estimator (tests/test_extreme_variances.py).
VI_RANGE = (1e-100, 1e12)
VI_SPREAD = 1e8


def validate_yi_vi(yi, vi, *, allow_empty: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return ``yi`` and ``vi`` as 1-d float arrays; raise with the offending index.

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Effects and their sampling variances.
    allow_empty : bool
        Accept k = 0 (otherwise :class:`~peerstats.errors.NoStudiesError`).

    Raises
    ------
    NoStudiesError
        k = 0 (unless ``allow_empty``).
    ValueError
        Shapes differ or are not 1-d; a ``yi`` not finite; a ``vi`` not finite, not > 0, outside :data:`VI_RANGE`, or
        the variances spanning more than :data:`VI_SPREAD` (the message names the index).
    """
    yi = np.atleast_1d(np.asarray(yi, dtype=float))
    vi = np.atleast_1d(np.asarray(vi, dtype=float))
    if yi.ndim != 1 or vi.ndim != 1:
        raise ValueError("yi and vi must be one-dimensional")
    if yi.shape != vi.shape:
        raise ValueError(f"yi and vi must have the same length; got {yi.size} and {vi.size}")
    if yi.size == 0 and not allow_empty:
        raise NoStudiesError("no studies to pool (k = 0)")
    bad = ~np.isfinite(yi)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"yi must be finite; got {float(yi[i])!r} at index {i}")
    bad = ~(np.isfinite(vi) & (vi > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"vi must be finite and > 0; got {float(vi[i])!r} at index {i}")
    lo, hi = VI_RANGE
    bad = (vi < lo) | (vi > hi)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"vi must lie between {lo:g} and {hi:g} (outside it the inverse-variance weights overflow or "
                         f"lose all precision); got {float(vi[i])!r} at index {i}")
    if vi.size and vi.max() > VI_SPREAD * vi.min():
        i, j = int(np.argmin(vi)), int(np.argmax(vi))
        raise ValueError(f"the variances span more than {math.log10(VI_SPREAD):.0f} orders of magnitude "
                         f"({float(vi[i]):.3g} at index {i}, {float(vi[j]):.3g} at index {j}): their weights cannot "
                         "be combined in double precision")
    return yi, vi


def check_options(method: str, test: str, level: float) -> None:
    """Raise ``ValueError`` unless ``method`` is in :data:`METHODS`, ``test`` in :data:`TESTS` and 0 < level < 1."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if test not in TESTS:
        raise ValueError(f"test must be one of {TESTS}; got {test!r}")
    if not (0 < level < 1):
        raise ValueError(f"level must be in (0, 1); got {level!r}")


# ----------------------------------------------------------------------------------------------------------------
# the weighted-least-squares core (intercept-only or with a small moderator matrix X)
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WLSResult:
    """Weighted least squares of ``y`` on ``X`` (:func:`weighted_least_squares`).

    Attributes
    ----------
    beta : ndarray, shape (p,)
        :math:`(X^\\top W X)^{-1} X^\\top W y`.
    vb : ndarray, shape (p, p)
        :math:`(X^\\top W X)^{-1}` (unscaled).
    resid : ndarray, shape (k,)
        :math:`y - X\\beta`.
    q : float
        :math:`\\sum w_i\\,\\mathrm{resid}_i^2`.
    w : ndarray, shape (k,)
        The weights used.
    """

    beta: np.ndarray  # (p,)
    vb: np.ndarray  # (p, p) = (X'WX)^-1
    resid: np.ndarray  # y - X beta
    q: float  # sum w resid^2
    w: np.ndarray


def weighted_least_squares(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> WLSResult:
    """Weighted least squares of ``y`` (k,) on ``X`` (k, p) with weights ``w`` (k,).

    A one-column ``X`` is taken to be the intercept (a column of ones): then :math:`\\hat\\beta = \\sum w y / \\sum w`
    by scalar arithmetic, with no matrix inverse.
    """
    if X.shape[1] == 1:  # intercept-only (every one-column design here): scalar arithmetic, no matrix inverse
        sw = w.sum()
        mu = float(np.dot(w, y)) / sw
        resid = y - mu
        return WLSResult(np.array([mu]), np.array([[1.0 / sw]]), resid, float(np.dot(w, resid * resid)), w)
    xw = X * w[:, None]
    vb = np.linalg.inv(X.T @ xw)
    beta = vb @ (xw.T @ y)
    resid = y - X @ beta
    return WLSResult(beta, vb, resid, float(np.dot(w, resid * resid)), w)


def trace_p(X: np.ndarray, w: np.ndarray, vb: np.ndarray) -> float:
    """:math:`\\mathrm{tr}(P)` with :math:`P = W - W X (X^\\top W X)^{-1} X^\\top W` (``vb`` is the inverse)."""
    if X.shape[1] == 1:
        return float(w.sum() - np.dot(w, w) * vb[0, 0])
    b = X.T @ (X * (w * w)[:, None])
    return float(w.sum() - np.trace(vb @ b))


def q_gen(y: np.ndarray, vi: np.ndarray, X: np.ndarray, tau2: float) -> float:
    """The generalised Q statistic :math:`Q(\\tau^2) = \\sum w_i (y_i - x_i^\\top\\hat\\beta)^2`, :math:`w_i = 1/(v_i+\\tau^2)`
    (decreasing in :math:`\\tau^2`; PyMARE's ``q_gen``)."""
    return weighted_least_squares(y, X, 1.0 / (vi + tau2)).q


def _upper_bracket(fun, start: float) -> float:
    """Double ``hi`` until ``fun(hi) < 0`` (fun decreasing in tau2)."""
    hi = max(start, 1e-8)
    for _ in range(200):
        if fun(hi) < 0:
            return hi
        hi *= 2.0
    raise ConvergenceError("could not bracket the root of the Q-statistic equation")


def _tau2_dl(y, vi, X) -> float:
    w = 1.0 / vi
    fit = weighted_least_squares(y, X, w)
    k, p = X.shape
    return max(0.0, (fit.q - (k - p)) / trace_p(X, w, fit.vb))


def _tau2_pm(y, vi, X) -> tuple[float, int]:
    k, p = X.shape
    target = k - p
    fun = lambda t: q_gen(y, vi, X, t) - target  # noqa: E731  (decreasing in t)
    if fun(0.0) <= 0:
        return 0.0, 0
    hi = _upper_bracket(fun, 10.0 * max(_tau2_dl(y, vi, X), float(np.var(y)), 1e-4))
    root, info = optimize.brentq(fun, 0.0, hi, xtol=ROOT_XTOL, rtol=4 * np.finfo(float).eps, full_output=True,
                                 maxiter=MAXITER, disp=False)
    if not info.converged:
        raise ConvergenceError(f"PM estimator did not converge in {info.iterations} iterations")
    return float(root), int(info.iterations)


def _tau2_reml(y, vi, X) -> tuple[float, int]:
    """REML by Fisher scoring with step halving at the boundary, as metafor, starting from the DL estimate.

    Fisher scoring can oscillate on awkward data (metafor fails there with its defaults too); the steps are then
    damped by 1/2 and 1/4 (metafor's ``control=list(stepadj=...)``) before a :class:`ConvergenceError` is raised.
    """
    iterations = 0
    for stepadj in (1.0, 0.5, 0.25):
        tau2, it = _fisher_scoring(y, vi, X, stepadj)
        iterations += it
        if tau2 is not None:
            return tau2, iterations
    raise ConvergenceError(f"REML estimator did not converge in {MAXITER} Fisher-scoring iterations, even with "
                           "damped steps (1/2, 1/4); try method='DL' or 'PM'")


def _fisher_scoring(y, vi, X, stepadj: float) -> tuple[float | None, int]:
    """One Fisher-scoring run; returns (tau2, iterations), or (None, iterations) without convergence."""
    tau2 = _tau2_dl(y, vi, X)
    for it in range(1, MAXITER + 1):
        w = 1.0 / (vi + tau2)
        fit = weighted_least_squares(y, X, w)
        py = w * fit.resid  # P y
        w2 = w * w
        b = X.T @ (X * w2[:, None])  # X'W^2X
        c = X.T @ (X * (w2 * w)[:, None])  # X'W^3X
        vb = fit.vb
        tr_p = float(w.sum() - np.trace(vb @ b))
        tr_pp = float(w2.sum() - 2.0 * np.trace(vb @ c) + np.trace(vb @ b @ vb @ b))
        adj = stepadj * (float(np.dot(py, py)) - tr_p) / tr_pp
        while tau2 + adj < 0.0:
            adj /= 2.0
            if abs(adj) < 1e-300:
                adj = -tau2
                break
        tau2_new = tau2 + adj
        change = abs(tau2_new - tau2)
        tau2 = tau2_new
        if change <= REML_THRESHOLD * max(1.0, tau2):
            return max(tau2, 0.0), it
    return None, MAXITER


def unit_scale(vi) -> tuple[float, float]:
    """A power of 4 near the mean sampling variance, and its square root (a power of 2).

    The iterative solvers' stopping rules and root-finding tolerances are absolute; solving on ``y / r`` and
    ``vi / c`` (``c = r^2``) and multiplying tau2 by ``c`` makes them scale-free (issue 11: with vi ~ 1e-10 REML and PM
    drifted while reporting convergence). Powers of 2 scale floating-point numbers exactly, so data already on the
    unit scale gives bit-identical results.
    """
    m = float(np.mean(vi))
    e = int(round(math.log(m, 4))) if m > 0 and np.isfinite(m) else 0
    return 4.0 ** e, 2.0 ** e


def estimate_tau2(y, vi, X, method) -> tuple[float, int]:
    """The between-study variance of the model with design ``X`` by ``method`` (see :data:`METHODS`).

    Returns
    -------
    (tau2, iterations)
        tau2 >= 0 on the data's scale; 0 for FE or when k <= p (no residual df, as metafor). ``iterations`` counts
        Fisher-scoring steps (REML) or root-finder steps (PM); 0 otherwise.

    Raises
    ------
    ConvergenceError
        REML or PM did not converge.
    """
    if method == "FE" or X.shape[0] <= X.shape[1]:  # no residual df: tau2 = 0, as metafor's fit of k = p studies
        return 0.0, 0
    if method == "DL":
        return _tau2_dl(y, vi, X), 0
    c, r = unit_scale(vi)
    # tau2 depends on X only through its column space: scale each column by a power of 2 near its largest entry, so
    # that a moderator on a tiny scale (e.g. sqrt(vi) ~ 1e-99 in trim-and-fill's side regression) stays well
    # conditioned once the data are on the unit scale (exact in floating point)
    colmax = np.max(np.abs(X), axis=0)
    colscale = np.where(colmax > 0, 2.0 ** np.round(np.log2(np.where(colmax > 0, colmax, 1.0))), 1.0)
    Xs = X / colscale
    tau2, it = _tau2_pm(y / r, vi / c, Xs) if method == "PM" else _tau2_reml(y / r, vi / c, Xs)
    return tau2 * c, it


@dataclass(frozen=True)
class ModelFit:
    """One fitted model (:func:`fit_model`): what pool, subgroups, meta-regression and the diagnostics read.

    Attributes
    ----------
    k, p : int
        Studies and coefficients.
    method, test, level
        As given.
    beta : ndarray, shape (p,)
        Coefficients under the random-effects weights.
    vb : ndarray, shape (p, p)
        Their variance-covariance matrix (Knapp-Hartung-scaled where ``test == "knha"``).
    tau2, q, q_df, s2 : float, float, int, float
        Between-study variance; Cochran's Q (fixed-effect weights) on ``q_df = k - p``; the typical within-study
        variance :math:`s^2 = (k-p)/\\mathrm{tr}(P_0)`.
    w : ndarray, shape (k,)
        Random-effects weights :math:`1/(v_i + \\tau^2)`.
    iterations : int
        Of the tau2 estimator.
    """

    k: int
    p: int
    method: str
    test: str
    level: float
    beta: np.ndarray
    vb: np.ndarray  # variance-covariance of beta (KnHa-scaled where test == "knha")
    tau2: float
    q: float
    q_df: int
    s2: float  # typical within-study variance
    w: np.ndarray  # random-effects weights
    iterations: int

    @property
    def crit(self) -> float:
        if self.test == "knha":
            return t_crit(self.level, self.k - self.p)
        return z_crit(self.level)

    def pvalue(self, statistic: float) -> float:
        if self.test == "knha":
            return t_pval(statistic, self.k - self.p)
        return z_pval(statistic)

    def omnibus(self) -> tuple[float, float]:
        """``(QM, p)``: the test that every coefficient but the intercept is 0 (metafor's omnibus moderator test).

        :math:`Q_M = b^\\top V_b^{-1} b` over the non-intercept coefficients, chi-squared on ``p - 1`` df; with
        ``"knha"`` :math:`Q_M / (p-1)` on F(p-1, k-p).
        """
        b, vb = self.beta[1:], self.vb[1:, 1:]
        qm = float(b @ np.linalg.solve(vb, b))
        if self.test == "knha":
            qm /= self.p - 1
            return qm, float(special.fdtrc(self.p - 1, self.k - self.p, qm))
        return qm, chi2_sf(qm, self.p - 1)

    @property
    def i2(self) -> float:
        if self.q_df < 1:
            return NAN
        if self.method == "FE":
            return 100.0 * max(0.0, (self.q - self.q_df) / self.q) if self.q > 0 else 0.0
        return 100.0 * self.tau2 / (self.tau2 + self.s2)

    @property
    def h2(self) -> float:
        if self.q_df < 1:
            return NAN
        if self.method == "FE":
            return self.q / self.q_df
        return (self.tau2 + self.s2) / self.s2


def fit_model(y: np.ndarray, vi: np.ndarray, X: np.ndarray, method: str, test: str, level: float) -> ModelFit:
    """Fit the (mixed-effects) meta-regression of ``y`` on ``X``: tau2 by ``method``, then weighted least squares.

    With ``test="knha"`` the variance of :math:`\\hat\\beta` is multiplied by :math:`\\sum w_i r_i^2/(k-p)` (Knapp &
    Hartung 2003; not truncated at 1, as metafor; 0 when the residuals vanish). Inputs are not checked: callers run
    :func:`validate_yi_vi` and :func:`check_options` first.
    """
    k, p = X.shape
    tau2, iterations = estimate_tau2(y, vi, X, method)
    w0 = 1.0 / vi
    fe = weighted_least_squares(y, X, w0)
    tr_p0 = trace_p(X, w0, fe.vb)
    s2 = (k - p) / tr_p0 if k > p else NAN
    w = 1.0 / (vi + tau2)
    re = weighted_least_squares(y, X, w)
    vb = re.vb
    if test == "knha" and k > p:
        # Knapp-Hartung factor; zero when the residuals vanish (identical effects), as metafor (RSS <= eps -> 0)
        rss = re.q if re.q > np.finfo(float).eps else 0.0
        vb = vb * (rss / (k - p))
    return ModelFit(k, p, method, test, level, re.beta, vb, tau2, fe.q, k - p, s2, w, iterations)


def ratio(est, se):
    """``est / se`` with IEEE semantics: +/-inf for se = 0 (nan for 0/0), as R; no ZeroDivisionError."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(est, se)


def intercept_design(k: int) -> np.ndarray:
    """The intercept-only design matrix: shape (k, 1), a column of ones."""
    return np.ones((k, 1))


def q_profile(y, vi, X, level, s2) -> tuple[float, float, float, float]:
    """Q-profile confidence interval for tau2 (Viechtbauer 2007) and the I2 interval it implies (``confint.rma``).

    The bounds solve :math:`Q(\\tau^2) = \\chi^2_{1-\\alpha/2,\\,k-p}` (lower) and :math:`\\chi^2_{\\alpha/2,\\,k-p}`
    (upper), each truncated at 0; :math:`I^2 = 100\\,\\tau^2/(\\tau^2 + s^2)` at each bound.

    Returns
    -------
    (tau2_low, tau2_high, i2_low, i2_high)
    """
    k, p = X.shape
    df = k - p
    alpha = 1 - level
    c, r = unit_scale(vi)  # solve on the unit scale (see unit_scale), report on the data's scale
    y, vi = y / r, vi / c
    q0 = q_gen(y, vi, X, 0.0)
    bounds = []
    for crit in (chi2_isf(alpha / 2, df), chi2_isf(1 - alpha / 2, df)):
        if q0 < crit:
            bounds.append(0.0)
            continue
        fun = lambda t, c=crit: q_gen(y, vi, X, t) - c  # noqa: E731
        hi = _upper_bracket(fun, 10.0 * max(float(np.var(y)), float(np.max(vi)), 1e-4))
        bounds.append(float(optimize.brentq(fun, 0.0, hi, xtol=ROOT_XTOL, rtol=4 * np.finfo(float).eps,
                                            maxiter=MAXITER)))
    lo, hi = bounds[0] * c, bounds[1] * c
    return lo, hi, 100 * lo / (lo + s2), 100 * hi / (hi + s2)
