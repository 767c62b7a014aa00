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

from .core import (METHODS, NAN, TESTS, VI_RANGE, VI_SPREAD, check_options, chi2_sf, fit_model, intercept_design,
                   q_profile, ratio, validate_yi_vi, z_crit, z_pval)

__all__ = ["METHODS", "TESTS", "PoolResult", "pool", "single_study"]
# METHODS, TESTS, VI_RANGE and VI_SPREAD live in peerstats.core; importing them from here keeps working.
__all__ += ["VI_RANGE", "VI_SPREAD"]


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


def single_study(yi: np.ndarray, vi: np.ndarray, method: str, test: str, level: float) -> PoolResult:
    """The :class:`PoolResult` of one study (k = 1): the study itself, with a z-interval (no df for t); heterogeneity
    is undefined and reported as nan. ``yi`` and ``vi`` are validated arrays of length 1."""
    est, se = float(yi[0]), float(math.sqrt(vi[0]))
    crit = z_crit(level)
    z = est / se
    return PoolResult(
        method=method, test=test, level=level, k=1, estimate=est, se=se, ci_low=est - crit * se,
        ci_high=est + crit * se, statistic=z, pval=z_pval(z), df=math.inf, tau2=NAN,
        tau2_ci_low=NAN, tau2_ci_high=NAN, i2=NAN, i2_ci_low=NAN, i2_ci_high=NAN, h2=NAN, q=0.0, q_df=0,
        q_pval=NAN, pi_low=est - crit * se, pi_high=est + crit * se, weights=np.array([100.0]),
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
    check_options(method, test, level)
    yi, vi = validate_yi_vi(yi, vi)
    k = yi.size
    if k == 1:
        return single_study(yi, vi, method, test, level)
    X = intercept_design(k)
    m = fit_model(yi, vi, X, method, test, level)
    est = float(m.beta[0])
    se = float(math.sqrt(m.vb[0, 0]))
    crit = m.crit
    stat = float(ratio(est, se))
    half_pi = crit * math.sqrt(se * se + m.tau2)
    if method == "FE":
        t_lo = t_hi = i_lo = i_hi = NAN
    else:
        t_lo, t_hi, i_lo, i_hi = q_profile(yi, vi, X, level, m.s2)
    return PoolResult(
        method=method, test=test, level=level, k=k, estimate=est, se=se, ci_low=est - crit * se,
        ci_high=est + crit * se, statistic=stat, pval=m.pvalue(stat), df=float(k - 1) if test == "knha" else math.inf,
        tau2=m.tau2, tau2_ci_low=t_lo, tau2_ci_high=t_hi, i2=m.i2, i2_ci_low=i_lo, i2_ci_high=i_hi, h2=m.h2, q=m.q,
        q_df=m.q_df, q_pval=chi2_sf(m.q, m.q_df), pi_low=est - half_pi, pi_high=est + half_pi,
        weights=100.0 * m.w / m.w.sum(), converged=True, iterations=m.iterations,
    )
