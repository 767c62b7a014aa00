"""Random- and fixed-effects meta-analysis, mirroring R's metafor.

Every public function validates its input, computes, and returns a frozen dataclass (or a DataFrame for tables of
models) whose field names follow metafor: ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``tau2``, ``i2`` (percent),
``h2``, ``q``, ``q_df``, ``q_pval``, ``pi_low``, ``pi_high``, ``weights`` (percent).

The model
---------
Study *i* has effect :math:`y_i` with known sampling variance :math:`v_i`. The random-effects model is
:math:`y_i = \\mu + u_i + e_i` with :math:`u_i \\sim N(0, \\tau^2)` and :math:`e_i \\sim N(0, v_i)`; the fixed-effect
(common-effect) model sets :math:`\\tau^2 = 0`. Given :math:`\\tau^2`, the weights are :math:`w_i = 1/(v_i + \\tau^2)`,

.. math:: \\hat\\mu = \\frac{\\sum w_i y_i}{\\sum w_i}, \\qquad SE(\\hat\\mu) = \\Big(\\sum w_i\\Big)^{-1/2}.

Heterogeneity estimators (``method``):

- ``"FE"``: :math:`\\tau^2 = 0`.
- ``"DL"`` (DerSimonian & Laird 1986, the paper's software): with :math:`w_i = 1/v_i`,
  :math:`\\hat\\tau^2 = \\max\\{0, (Q - (k-1)) / (\\sum w_i - \\sum w_i^2 / \\sum w_i)\\}`.
- ``"REML"``: restricted maximum likelihood by Fisher scoring (metafor's algorithm), truncated at 0.
- ``"PM"`` (Paule & Mandel 1982): the root of the generalised Q statistic,
  :math:`\\sum w_i(\\tau^2) (y_i - \\hat\\mu(\\tau^2))^2 = k - 1`, or 0 if none is positive.

Heterogeneity statistics: Cochran's :math:`Q = \\sum (y_i - \\hat\\mu_{FE})^2 / v_i` on :math:`k-1` df; with the
"typical" within-study variance :math:`s^2 = (k-1)\\sum w_i / ((\\sum w_i)^2 - \\sum w_i^2)`, :math:`w_i = 1/v_i`,
metafor defines :math:`I^2 = 100\\,\\tau^2 / (\\tau^2 + s^2)` and :math:`H^2 = (\\tau^2 + s^2)/s^2` for
random-effects models (for DL this equals Higgins' :math:`(Q - df)/Q`), and :math:`I^2 = 100 \\max(0, (Q-df)/Q)`,
:math:`H^2 = Q/df` for the fixed-effect model.

Tests (``test``): ``"z"`` uses the normal distribution; ``"knha"`` (Knapp & Hartung 2003) multiplies the variance of
:math:`\\hat\\mu` by :math:`\\sum w_i (y_i - \\hat\\mu)^2 / (k - 1)` (not truncated, as metafor) and uses
:math:`t_{k-1}`.

References
----------
.. [1] DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. Controlled Clinical Trials, 7, 177-188.
.. [2] Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the random-effects model.
   J Educ Behav Stat, 30, 261-293.
.. [3] Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in meta-analysis. Stat Med 26, 37-52
   (the Q-profile method).
.. [4] Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression with a single covariate.
   Stat Med, 22, 2693-2710.
.. [5] Egger, M. et al. (1997). Bias in meta-analysis detected by a simple, graphical test. BMJ, 315, 629-634.
.. [6] Duval, S., & Tweedie, R. (2000). Trim and fill. Biometrics, 56, 455-463.
.. [7] Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw, 36(3), 1-48.
"""


from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special

from .errors import ConvergenceError, NoStudiesError

__all__ = ["METHODS", "TESTS", "PoolResult", "pool"]



METHODS = ("FE", "DL", "REML", "PM")
TESTS = ("z", "knha")

_NAN = float("nan")
_REML_THRESHOLD = 1e-12  # stop Fisher scoring when tau2 changes by less than this (metafor: 1e-5)
_MAXITER = 1000
_ROOT_XTOL = 1e-14  # brentq absolute tolerance for PM and the Q-profile bounds (metafor's uniroot: ~1.2e-4)


# ----------------------------------------------------------------------------------------------------------------
# distribution functions: scipy.special ufuncs (about 50 times faster per call than scipy.stats objects, and the same
# numbers: scipy.stats.norm/t/chi2/f are built on these)
# ----------------------------------------------------------------------------------------------------------------


def _z_crit(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2))


def _t_crit(level: float, df: float) -> float:
    return float(special.stdtrit(df, 0.5 + level / 2))


def _z_pval(z: float) -> float:
    return float(2 * special.ndtr(-abs(z)))


def _t_pval(t: float, df: float) -> float:
    return float(2 * special.stdtr(df, -abs(t)))


def _chi2_sf(q: float, df: float) -> float:
    return float(special.chdtrc(df, q))


def _chi2_isf(p: float, df: float) -> float:
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


def _validate(yi, vi, *, allow_empty: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return ``yi`` and ``vi`` as 1-d float arrays; raise with the offending index."""
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


def _check_options(method: str, test: str, level: float) -> None:
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
class _WLS:
    """Weighted least squares of y on X. A one-column X is always the intercept in this module."""

    beta: np.ndarray  # (p,)
    vb: np.ndarray  # (p, p) = (X'WX)^-1
    resid: np.ndarray  # y - X beta
    q: float  # sum w resid^2
    w: np.ndarray


def _wls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> _WLS:
    if X.shape[1] == 1:  # intercept-only (every one-column design here): scalar arithmetic, no matrix inverse
        sw = w.sum()
        mu = float(np.dot(w, y)) / sw
        resid = y - mu
        return _WLS(np.array([mu]), np.array([[1.0 / sw]]), resid, float(np.dot(w, resid * resid)), w)
    xw = X * w[:, None]
    vb = np.linalg.inv(X.T @ xw)
    beta = vb @ (xw.T @ y)
    resid = y - X @ beta
    return _WLS(beta, vb, resid, float(np.dot(w, resid * resid)), w)


def _trace_p(X: np.ndarray, w: np.ndarray, vb: np.ndarray) -> float:
    """tr(P) with P = W - W X (X'WX)^-1 X' W."""
    if X.shape[1] == 1:
        return float(w.sum() - np.dot(w, w) * vb[0, 0])
    b = X.T @ (X * (w * w)[:, None])
    return float(w.sum() - np.trace(vb @ b))


def _q_gen(y: np.ndarray, vi: np.ndarray, X: np.ndarray, tau2: float) -> float:
    """The generalised Q statistic sum w_i (y_i - X b)^2 with w_i = 1 / (v_i + tau2)."""
    return _wls(y, X, 1.0 / (vi + tau2)).q


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
    fit = _wls(y, X, w)
    k, p = X.shape
    return max(0.0, (fit.q - (k - p)) / _trace_p(X, w, fit.vb))


def _tau2_pm(y, vi, X) -> tuple[float, int]:
    k, p = X.shape
    target = k - p
    fun = lambda t: _q_gen(y, vi, X, t) - target  # noqa: E731  (decreasing in t)
    if fun(0.0) <= 0:
        return 0.0, 0
    hi = _upper_bracket(fun, 10.0 * max(_tau2_dl(y, vi, X), float(np.var(y)), 1e-4))
    root, info = optimize.brentq(fun, 0.0, hi, xtol=_ROOT_XTOL, rtol=4 * np.finfo(float).eps, full_output=True,
                                 maxiter=_MAXITER, disp=False)
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
    raise ConvergenceError(f"REML estimator did not converge in {_MAXITER} Fisher-scoring iterations, even with "
                           "damped steps (1/2, 1/4); try method='DL' or 'PM'")


def _fisher_scoring(y, vi, X, stepadj: float) -> tuple[float | None, int]:
    """One Fisher-scoring run; returns (tau2, iterations), or (None, iterations) without convergence."""
    tau2 = _tau2_dl(y, vi, X)
    for it in range(1, _MAXITER + 1):
        w = 1.0 / (vi + tau2)
        fit = _wls(y, X, w)
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
        if change <= _REML_THRESHOLD * max(1.0, tau2):
            return max(tau2, 0.0), it
    return None, _MAXITER


def _scale(vi) -> tuple[float, float]:
    """A power of 4 near the mean sampling variance, and its square root (a power of 2).

    The iterative solvers' stopping rules and root-finding tolerances are absolute; solving on ``y / r`` and
    ``vi / c`` (``c = r^2``) and multiplying tau2 by ``c`` makes them scale-free (issue 11: with vi ~ 1e-10 REML and PM
    drifted while reporting convergence). Powers of 2 scale floating-point numbers exactly, so data already on the
    unit scale gives bit-identical results.
    """
    m = float(np.mean(vi))
    e = int(round(math.log(m, 4))) if m > 0 and np.isfinite(m) else 0
    return 4.0 ** e, 2.0 ** e


def _tau2(y, vi, X, method) -> tuple[float, int]:
    if method == "FE" or X.shape[0] <= X.shape[1]:  # no residual df: tau2 = 0, as metafor's fit of k = p studies
        return 0.0, 0
    if method == "DL":
        return _tau2_dl(y, vi, X), 0
    c, r = _scale(vi)
    # tau2 depends on X only through its column space: scale each column by a power of 2 near its largest entry, so
    # that a moderator on a tiny scale (e.g. sqrt(vi) ~ 1e-99 in trim-and-fill's side regression) stays well
    # conditioned once the data are on the unit scale (exact in floating point)
    colmax = np.max(np.abs(X), axis=0)
    colscale = np.where(colmax > 0, 2.0 ** np.round(np.log2(np.where(colmax > 0, colmax, 1.0))), 1.0)
    Xs = X / colscale
    tau2, it = _tau2_pm(y / r, vi / c, Xs) if method == "PM" else _tau2_reml(y / r, vi / c, Xs)
    return tau2 * c, it


@dataclass(frozen=True)
class _Model:
    """Everything one fit needs (internal; pool() turns it into a PoolResult)."""

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
            return _t_crit(self.level, self.k - self.p)
        return _z_crit(self.level)

    def pvalue(self, statistic: float) -> float:
        if self.test == "knha":
            return _t_pval(statistic, self.k - self.p)
        return _z_pval(statistic)

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
        return qm, _chi2_sf(qm, self.p - 1)

    @property
    def i2(self) -> float:
        if self.q_df < 1:
            return _NAN
        if self.method == "FE":
            return 100.0 * max(0.0, (self.q - self.q_df) / self.q) if self.q > 0 else 0.0
        return 100.0 * self.tau2 / (self.tau2 + self.s2)

    @property
    def h2(self) -> float:
        if self.q_df < 1:
            return _NAN
        if self.method == "FE":
            return self.q / self.q_df
        return (self.tau2 + self.s2) / self.s2


def _fit(y: np.ndarray, vi: np.ndarray, X: np.ndarray, method: str, test: str, level: float) -> _Model:
    k, p = X.shape
    tau2, iterations = _tau2(y, vi, X, method)
    w0 = 1.0 / vi
    fe = _wls(y, X, w0)
    tr_p0 = _trace_p(X, w0, fe.vb)
    s2 = (k - p) / tr_p0 if k > p else _NAN
    w = 1.0 / (vi + tau2)
    re = _wls(y, X, w)
    vb = re.vb
    if test == "knha" and k > p:
        # Knapp-Hartung factor; zero when the residuals vanish (identical effects), as metafor (RSS <= eps -> 0)
        rss = re.q if re.q > np.finfo(float).eps else 0.0
        vb = vb * (rss / (k - p))
    return _Model(k, p, method, test, level, re.beta, vb, tau2, fe.q, k - p, s2, w, iterations)


def _ratio(est, se):
    """est / se with IEEE semantics: +/-inf for se = 0 (nan for 0/0), as R; no ZeroDivisionError."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(est, se)


def _ones(k: int) -> np.ndarray:
    """The intercept-only design matrix (a column of ones)."""
    return np.ones((k, 1))


# ----------------------------------------------------------------------------------------------------------------
# pool
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolResult:
    """The result of :func:`pool`. Field names and meanings follow metafor's ``rma`` / ``predict`` / ``confint``.

    Attributes
    ----------
    method, test, level : str, str, float
        The estimator, the test and the confidence level used.
    k : int
        Number of studies.
    estimate, se : float
        Pooled effect and its standard error (Knapp-Hartung-adjusted when ``test == "knha"``).
    ci_low, ci_high : float
        Confidence interval of the pooled effect.
    statistic, pval : float
        z (or t with ``df`` degrees of freedom for ``"knha"``) and its two-sided p-value.
    df : float
        Degrees of freedom of the test: ``k - 1`` for ``"knha"``, ``inf`` for ``"z"``.
    tau2 : float
        Between-study variance (0 for ``"FE"``; ``nan`` when k = 1).
    tau2_ci_low, tau2_ci_high, i2_ci_low, i2_ci_high : float
        Q-profile confidence intervals (as ``confint.rma``); ``nan`` for ``"FE"`` and k = 1.
    i2, h2 : float
        I-squared (percent) and H-squared; ``nan`` when k = 1 (heterogeneity is undefined for one study).
    q, q_df, q_pval : float, int, float
        Cochran's Q, its degrees of freedom ``k - 1`` and p-value (``nan`` when k = 1).
    pi_low, pi_high : float
        Prediction interval for the effect in a new study, ``estimate +/- crit * sqrt(se^2 + tau2)`` (``predict.rma``);
        equal to the CI for ``"FE"`` and for k = 1.
    weights : numpy.ndarray
        Weight of each study in percent (sums to 100), in input order.
    converged : bool
        Always True for a returned result (non-convergence raises :class:`~peerstats.errors.ConvergenceError`).
    iterations : int
        Iterations of the heterogeneity estimator (0 for closed forms).
    """

    method: str
    test: str
    level: float
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    pval: float
    df: float
    tau2: float
    tau2_ci_low: float
    tau2_ci_high: float
    i2: float
    i2_ci_low: float
    i2_ci_high: float
    h2: float
    q: float
    q_df: int
    q_pval: float
    pi_low: float
    pi_high: float
    weights: np.ndarray = field(repr=False)
    converged: bool = True
    iterations: int = 0

    def confidence_interval(self) -> tuple[float, float]:
        """Return ``(ci_low, ci_high)`` of the pooled estimate."""
        return self.ci_low, self.ci_high

    def prediction_interval(self) -> tuple[float, float]:
        """Return ``(pi_low, pi_high)``."""
        return self.pi_low, self.pi_high


def _qprofile(y, vi, X, level, s2) -> tuple[float, float, float, float]:
    """Q-profile confidence interval for tau2 (Viechtbauer 2007) and the I2 interval it implies (confint.rma)."""
    k, p = X.shape
    df = k - p
    alpha = 1 - level
    c, r = _scale(vi)  # solve on the unit scale (see _scale), report on the data's scale
    y, vi = y / r, vi / c
    q0 = _q_gen(y, vi, X, 0.0)
    bounds = []
    for crit in (_chi2_isf(alpha / 2, df), _chi2_isf(1 - alpha / 2, df)):
        if q0 < crit:
            bounds.append(0.0)
            continue
        fun = lambda t, c=crit: _q_gen(y, vi, X, t) - c  # noqa: E731
        hi = _upper_bracket(fun, 10.0 * max(float(np.var(y)), float(np.max(vi)), 1e-4))
        bounds.append(float(optimize.brentq(fun, 0.0, hi, xtol=_ROOT_XTOL, rtol=4 * np.finfo(float).eps,
                                            maxiter=_MAXITER)))
    lo, hi = bounds[0] * c, bounds[1] * c
    return lo, hi, 100 * lo / (lo + s2), 100 * hi / (hi + s2)


def _single(yi: np.ndarray, vi: np.ndarray, method: str, test: str, level: float) -> PoolResult:
    """k = 1: the study itself; heterogeneity is undefined and reported as nan. A z-interval is used (no df for t)."""
    est, se = float(yi[0]), float(math.sqrt(vi[0]))
    crit = _z_crit(level)
    z = est / se
    return PoolResult(
        method=method, test=test, level=level, k=1, estimate=est, se=se, ci_low=est - crit * se,
        ci_high=est + crit * se, statistic=z, pval=_z_pval(z), df=math.inf, tau2=_NAN,
        tau2_ci_low=_NAN, tau2_ci_high=_NAN, i2=_NAN, i2_ci_low=_NAN, i2_ci_high=_NAN, h2=_NAN, q=0.0, q_df=0,
        q_pval=_NAN, pi_low=est - crit * se, pi_high=est + crit * se, weights=np.array([100.0]),
    )


def pool(yi, vi, method: str = "DL", test: str = "z", level: float = 0.95) -> PoolResult:
    """Pool effect sizes with a fixed- or random-effects model (metafor ``rma(yi, vi, method=, test=)``).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and their sampling variances (``vi`` finite and > 0).
    method : {"FE", "DL", "REML", "PM"}
        Heterogeneity estimator; ``"DL"`` is what the paper's software (CMA) uses.
    test : {"z", "knha"}
        Normal-theory test, or the Knapp-Hartung adjustment with a t distribution on ``k - 1`` df.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    PoolResult

    Raises
    ------
    NoStudiesError
        If k = 0.
    ValueError
        If a ``yi`` is not finite or a ``vi`` is not finite and > 0 (the message names the index), or an option is
        unknown.
    ConvergenceError
        If REML or PM fails to converge.

    Notes
    -----
    The confidence interval is ``estimate +/- crit * se`` with ``crit`` the normal (or t) quantile; the prediction
    interval is ``estimate +/- crit * sqrt(se^2 + tau2)``. Q-profile bounds solve
    ``Q_gen(tau2) = chi2_{1-alpha/2, k-1}`` (lower) and ``chi2_{alpha/2, k-1}`` (upper), each truncated at 0, and
    ``I2 = 100 tau2 / (tau2 + s2)`` at each bound.

    Examples
    --------
    >>> r = pool([0.1, 0.3, 0.5], [0.01, 0.02, 0.04])  # DerSimonian-Laird; metafor: rma(yi, vi, method="DL")
    >>> round(r.estimate, 4), round(r.tau2, 4), r.k
    (0.2524, 0.0171, 3)
    >>> round(pool([0.1, 0.3, 0.5], [0.01, 0.02, 0.04], method="FE").estimate, 4)  # sum(w yi) / sum(w), w = 1/vi
    0.2143
    """
    _check_options(method, test, level)
    yi, vi = _validate(yi, vi)
    k = yi.size
    if k == 1:
        return _single(yi, vi, method, test, level)
    X = _ones(k)
    m = _fit(yi, vi, X, method, test, level)
    est = float(m.beta[0])
    se = float(math.sqrt(m.vb[0, 0]))
    crit = m.crit
    stat = float(_ratio(est, se))
    half_pi = crit * math.sqrt(se * se + m.tau2)
    if method == "FE":
        t_lo = t_hi = i_lo = i_hi = _NAN
    else:
        t_lo, t_hi, i_lo, i_hi = _qprofile(yi, vi, X, level, m.s2)
    return PoolResult(
        method=method, test=test, level=level, k=k, estimate=est, se=se, ci_low=est - crit * se,
        ci_high=est + crit * se, statistic=stat, pval=m.pvalue(stat), df=float(k - 1) if test == "knha" else math.inf,
        tau2=m.tau2, tau2_ci_low=t_lo, tau2_ci_high=t_hi, i2=m.i2, i2_ci_low=i_lo, i2_ci_high=i_hi, h2=m.h2, q=m.q,
        q_df=m.q_df, q_pval=_chi2_sf(m.q, m.q_df), pi_low=est - half_pi, pi_high=est + half_pi,
        weights=100.0 * m.w / m.w.sum(), converged=True, iterations=m.iterations,
    )
