"""Publication-bias adjustments: PET-PEESE and the Vevea-Hedges step-function selection model.

PET and PEESE (Stanley & Doucouliagos 2014) are the weighted regressions of metafor
``regtest(yi, vi = vi, model = "lm", predictor = "sei")`` and ``predictor = "vi"``: ordinary weighted least squares
of :math:`y_i` on :math:`\\sqrt{v_i}` (PET) or on :math:`v_i` (PEESE) with weights :math:`1/v_i` and a multiplicative
residual variance :math:`s^2 = \\sum w_i e_i^2 / (k - 2)`; the intercept (the effect of a study with infinite
precision, the "limit estimate") has standard error :math:`\\sqrt{s^2 [(X'WX)^{-1}]_{11}}` and a t interval on
:math:`k - 2` df.

The selection model (Vevea & Hedges 1995) adds to the random-effects model :math:`y_i \\sim N(\\mu, v_i + \\tau^2)`
a step function of the one-sided p-value :math:`p_i = 1 - \\Phi(y_i / \\sqrt{v_i})` (metafor's
``alternative = "greater"``): with cut-points :math:`0 < s_1 < \\dots < s_{J-1} < s_J = 1`, a study whose p-value
lies in :math:`(s_{j-1}, s_j]` is published with relative probability :math:`\\delta_j` (:math:`\\delta_1 = 1`). The
log-likelihood maximised over :math:`(\\mu, \\tau^2 \\ge 0, \\delta_2 \\dots \\delta_J \\in [0, 100])` is

.. math:: \\ell = \\sum_i \\Big[\\log \\delta_{j(i)} + \\log \\phi\\big(y_i; \\mu, v_i + \\tau^2\\big) - \\log A_i\\Big],
   \\qquad A_i = \\sum_j \\delta_j \\big[\\Phi(u_{ij}) - \\Phi(u_{i,j-1})\\big],

with :math:`u_{ij} = (\\mu - \\sqrt{v_i}\\, z_{1-s_j}) / \\sqrt{v_i + \\tau^2}` (:math:`\\Phi(u_{i0}) = 0`,
:math:`\\Phi(u_{iJ}) = 1`), as metafor ``selmodel(rma(yi, vi, method = "ML"), type = "stepfun", steps = ...)``.
Standard errors come from the inverse of the observed information (the numerical Hessian of :math:`-\\ell` in
:math:`(\\mu, \\tau^2, \\delta_2, \\dots)`). The likelihood-ratio test compares :math:`\\ell` with the ML
random-effects model (all :math:`\\delta_j = 1`) on :math:`J - 1` df.

References
----------
.. [1] Stanley, T. D., & Doucouliagos, H. (2014). Meta-regression approximations to reduce publication selection
   bias. Research Synthesis Methods, 5, 60-78.
.. [2] Vevea, J. L., & Hedges, L. V. (1995). A general linear model for estimating effect size in the presence of
   publication bias. Psychometrika, 60, 419-435.
.. [3] Viechtbauer, W. metafor: ``regtest``, ``selmodel`` (version 3.8).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .regression import meta_regression
from .core import NAN, t_crit, t_pval, validate_yi_vi, z_crit

__all__ = ["PetPeeseResult", "SelectionModelResult", "equal_variances", "pet_peese", "selection_model"]

_DELTA_MAX = 100.0  # metafor's delta.max for the step function; delta.min is 0
_EPS10 = 10 * np.finfo(float).eps  # metafor treats tau2 below 10 machine epsilons as 0


def equal_variances(vi: np.ndarray) -> bool:
    """True when all sampling variances are equal (to 1e-10 relative): regressions on sqrt(vi) or vi are singular."""
    vi = np.asarray(vi, dtype=float)
    return bool(np.ptp(vi) <= 1e-10 * np.max(np.abs(vi)))


# ----------------------------------------------------------------------------------------------------------------
# PET-PEESE
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PetPeeseResult:
    """PET, PEESE and the conditional PET-PEESE estimate.

    Attributes
    ----------
    pet, pet_se, pet_ci_low, pet_ci_high, pet_statistic, pet_pval : float
        PET limit estimate (intercept of the regression on the standard error) with its t test and interval
        (``regtest(..., predictor = "sei")``: ``est``, ``ci.lb``, ``ci.ub``).
    peese, peese_se, peese_ci_low, peese_ci_high, peese_statistic, peese_pval : float
        The same for PEESE (regression on the variance, ``predictor = "vi"``).
    df : int
        ``k - 2``.
    choice : str
        ``"PEESE"`` if PET's intercept differs from zero (two-sided p < ``alpha``), else ``"PET"``
        (Stanley & Doucouliagos 2014: when there is a genuine effect, PEESE is less biased); ``""`` when undefined.
    estimate, ci_low, ci_high : float
        The chosen estimate and interval.
    k : int
    level, alpha : float
    reason : str
        Why the results are ``nan`` (empty otherwise).
    """

    pet: float
    pet_se: float
    pet_ci_low: float
    pet_ci_high: float
    pet_statistic: float
    pet_pval: float
    peese: float
    peese_se: float
    peese_ci_low: float
    peese_ci_high: float
    peese_statistic: float
    peese_pval: float
    df: int
    choice: str
    estimate: float
    ci_low: float
    ci_high: float
    k: int
    level: float
    alpha: float
    reason: str = ""


def _limit(yi, vi, predictor, crit, df):
    """Intercept of the weighted regression of yi on predictor: (est, se, ci_low, ci_high, t, p).

    Solved by :func:`peerstats.regression.meta_regression` (``method="FE"``: weighted least squares on a
    QR-orthogonalised design, as R's ``lm``; the normal equations lose every digit when the variances are nearly
    equal). Raises ValueError when the predictor is collinear with the intercept by ``lm``'s rule.
    """
    fit = meta_regression(yi, vi, predictor, method="FE")
    s2 = fit.qe / df
    b0 = float(fit.coef[0])
    se = math.sqrt(fit.vb[0, 0] * s2)
    t = b0 / se if se > 0 else math.copysign(math.inf, b0) if b0 != 0 else NAN
    return b0, se, b0 - crit * se, b0 + crit * se, t, t_pval(t, df) if np.isfinite(t) else (0.0 if t else NAN)


def pet_peese(yi, vi, level: float = 0.95, alpha: float = 0.05) -> PetPeeseResult:
    """PET, PEESE and the conditional PET-PEESE estimator (Stanley & Doucouliagos 2014).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    level : float
        Confidence level of the t intervals (``regtest(level=)``).
    alpha : float
        Two-sided significance level of PET's test of a zero intercept that selects PEESE.

    Returns
    -------
    PetPeeseResult
        All estimates ``nan`` with a ``reason`` when k < 3 (no residual degrees of freedom) or all ``vi`` are equal or
        nearly so: R's ``lm`` QR rule (a column whose norm, after the intercept is projected out, is below 1e-7 of
        its own) drops the predictor, the intercept is not identified and metafor's ``regtest`` stops.
    """
    if not (0 < level < 1):
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    if not (0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}")
    yi, vi = validate_yi_vi(yi, vi)
    k = yi.size
    reason = ""
    if k < 3:
        reason = f"PET-PEESE needs at least 3 studies (k - 2 residual df); got k = {k}"
    else:
        df = k - 2
        crit = t_crit(level, df)
        try:
            pet = _limit(yi, vi, np.sqrt(vi), crit, df)
            peese = _limit(yi, vi, vi, crit, df)
        except ValueError:  # the only ValueError left after _validate and k >= 3: a predictor collinear with 1
            reason = ("all studies have the same sampling variance (or so nearly the same that the standard errors, "
                      "once their mean is removed, vary by less than 1e-7 of their size), so the regression on the "
                      "standard error (or variance) has a constant predictor and no limit estimate (metafor's "
                      "regtest stops: 'Model matrix no longer of full rank')")
    if reason:
        nan6 = (NAN,) * 6
        return PetPeeseResult(*nan6, *nan6, max(k - 2, 0), "", NAN, NAN, NAN, k, level, alpha, reason)
    choice = "PEESE" if pet[5] < alpha else "PET"
    chosen = peese if choice == "PEESE" else pet
    return PetPeeseResult(*pet, *peese, df, choice, chosen[0], chosen[2], chosen[3], k, level, alpha)


# ----------------------------------------------------------------------------------------------------------------
# Step-function selection model
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectionModelResult:
    """Vevea-Hedges step-function selection model (metafor ``selmodel(..., type = "stepfun")``).

    Attributes
    ----------
    estimate, se, ci_low, ci_high, pval : float
        Adjusted pooled effect :math:`\\hat\\mu`, its standard error, Wald z interval and p-value.
    tau2, se_tau2 : float
        Between-study variance and its standard error (``nan`` at the boundary tau2 = 0, see Notes).
    delta, se_delta : tuple of float
        One relative selection weight per p-value interval (the first fixed at 1, its se ``nan``).
    steps : tuple of float
        The interval bounds including the final 1.
    k_per_interval : tuple of int
        Number of observed one-sided p-values in each interval.
    lrt, lrt_df, lrt_pval : float, int, float
        Likelihood-ratio test of :math:`\\delta_2 = \\dots = \\delta_J = 1` against the ML random-effects model.
    ll, ll0 : float
        Maximised log-likelihoods with and without selection.
    unadjusted : float
        The ML random-effects estimate (no selection).
    k : int
    warning : str
        Non-empty when a delta is (almost) at its bound 0 or 100 (metafor warns likewise).
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pval: float
    tau2: float
    se_tau2: float
    delta: tuple
    se_delta: tuple
    steps: tuple
    k_per_interval: tuple
    lrt: float
    lrt_df: int
    lrt_pval: float
    ll: float
    ll0: float
    unadjusted: float
    k: int
    warning: str = ""


class _StepModel:
    """Log-likelihood of the step-function model and its gradient in natural parameters (mu, tau2, delta_2..)."""

    def __init__(self, yi, vi, steps):
        self.y, self.v = yi, vi
        self.sv = np.sqrt(vi)
        self.steps = steps
        p = special.ndtr(-yi / self.sv)  # one-sided p-values (alternative "greater")
        self.group = np.searchsorted(steps, p, side="left")  # index j with s_{j-1} < p <= s_j
        # cut-points on the y scale: p <= s  <=>  y >= sqrt(v) z_{1-s}; inner steps only (s_J = 1 -> -inf)
        self.cut = self.sv[:, None] * special.ndtri(1 - steps[None, :-1])  # (k, J-1)
        # metafor treats tau2 below 10 machine epsilons as 0; relative to the variances here, so that the rule means
        # the same on any scale (selection_model fits on the unit scale, where the two agree)
        self.tau2_zero = _EPS10 * float(np.mean(vi))

    def parts(self, mu, tau2, delta):
        s2 = self.v + tau2
        s = np.sqrt(s2)
        u = (mu - self.cut) / s[:, None]  # (k, J-1)
        cdf = np.concatenate([np.zeros((self.y.size, 1)), special.ndtr(u), np.ones((self.y.size, 1))], axis=1)
        pdf = np.concatenate([np.zeros((self.y.size, 1)), np.exp(-0.5 * u * u) / math.sqrt(2 * math.pi),
                              np.zeros((self.y.size, 1))], axis=1)
        uu = np.concatenate([np.zeros((self.y.size, 1)), u, np.zeros((self.y.size, 1))], axis=1)
        prob = np.diff(cdf, axis=1)  # P(p in interval j)
        a = prob @ delta
        return s2, s, prob, pdf, uu, a

    def loglik(self, mu, tau2, delta):
        tau2 = 0.0 if tau2 < self.tau2_zero else tau2
        s2, _, _, _, _, a = self.parts(mu, tau2, delta)
        with np.errstate(divide="ignore"):
            return float(np.sum(np.log(delta[self.group]) - 0.5 * np.log(2 * math.pi * s2)
                                - 0.5 * (self.y - mu) ** 2 / s2 - np.log(a)))

    def grad(self, mu, tau2, delta):
        """Gradient of the log-likelihood in (mu, tau2, delta_2, ..., delta_J)."""
        s2, s, prob, pdf, uu, a = self.parts(mu, tau2, delta)
        r = self.y - mu
        dpdf = np.diff(pdf, axis=1)  # d prob / d u-ish pieces
        da_mu = (dpdf @ delta) / s
        da_t = (np.diff(pdf * (-uu) / (2 * s2[:, None]), axis=1) @ delta)
        g_mu = np.sum(r / s2 - da_mu / a)
        g_t = np.sum(-0.5 / s2 + 0.5 * r * r / (s2 * s2) - da_t / a)
        g_d = []
        for j in range(1, delta.size):
            g_d.append(np.sum((self.group == j) / delta[j]) - np.sum(prob[:, j] / a))
        return np.array([g_mu, g_t, *g_d])


def _hessian(fun_grad, x, h):
    """Symmetrised central-difference Jacobian of an analytic gradient."""
    n = x.size
    hess = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h[j]
        hess[:, j] = (fun_grad(x + e) - fun_grad(x - e)) / (2 * h[j])
    return 0.5 * (hess + hess.T)


def selection_model(yi, vi, steps=(0.025,), level: float = 0.95) -> SelectionModelResult:
    """Vevea-Hedges step-function selection model by maximum likelihood (metafor
    ``selmodel(rma(yi, vi, method = "ML"), type = "stepfun", steps = steps)``; 3PSM by default).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes (positive = benefit: selection favours significant positive results) and sampling variances.
    steps : sequence of float
        Cut-points of the one-sided p-value in (0, 1); 1 is appended. ``(0.025,)`` is the three-parameter model.
    level : float
        Level of the Wald interval of the estimate.

    Returns
    -------
    SelectionModelResult

    Raises
    ------
    ValueError
        If an interval other than the first contains no observed p-value (its weight is not identified; metafor
        stops likewise), or
        k < number of parameters (2 + number of free deltas), or the steps are invalid.

    Notes
    -----
    tau2 is estimated on [0, inf). When the maximum lies at tau2 = 0, ``se_tau2`` is ``nan`` and the standard errors
    of the other parameters come from the Hessian with tau2 held at 0 (metafor differentiates numerically across the
    boundary, where its likelihood is flat for tau2 < 0, and reports standard errors that depend on the step size).

    The model is scale-equivariant: multiplying every ``yi`` by ``r`` and ``vi`` by ``r^2`` leaves the p-values, the
    deltas and the LRT unchanged, multiplies the estimate and its se by ``r``, tau2 by ``r^2``, and shifts both
    log-likelihoods by ``-k log r``. The fit is therefore done on ``yi / r``, ``vi / r^2`` with ``r^2`` a power of 4
    near the mean ``vi`` (exact in floating point) and mapped back, so that the optimiser's start, steps and
    tolerances (absolute numbers) suit any scale; on the raw scale (tau2 ~ 1e-9) the fit returned all-``nan``,
    a delta of 6.4e6 or an LRT of 0. (metafor's ``selmodel`` fails the same way there, so the pinned references
    for small scales are metafor's fits on the unit scale, mapped back.)
    """
    yi, vi = validate_yi_vi(yi, vi)
    e = round(math.log(float(np.mean(vi)), 4))
    r2, r = 4.0 ** e, 2.0 ** e
    yi, vi = yi / r, vi / r2
    if not (0 < level < 1):
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    s = np.unique(np.asarray(steps, dtype=float))
    if s.size == 0 or np.any(~np.isfinite(s)) or np.any(s <= 0) or np.any(s > 1):
        raise ValueError(f"steps must be p-value cut-points in (0, 1]; got {steps!r}")
    if s[-1] != 1:
        s = np.append(s, 1.0)
    J = s.size
    k = yi.size
    if J < 2:
        raise ValueError("steps must contain at least one cut-point below 1")
    if k < 2 + (J - 1):
        raise ValueError(f"too few studies (k = {k}) to fit a selection model with {J - 1 + 2} parameters")
    model = _StepModel(yi, vi, s)
    counts = np.bincount(model.group, minlength=J)
    if np.any(counts[1:] == 0):  # the first interval's weight is fixed at 1, so it may be empty (as metafor)
        empty = [f"{lo:g} < p <= {hi:g}" for lo, hi, c in zip(s[:-1], s[1:], counts[1:]) if c == 0]
        raise ValueError("no observed one-sided p-value in the interval(s) " + ", ".join(empty) +
                         ", so their selection weight cannot be estimated; choose other steps")

    # ML random-effects model (no selection) as start and null model
    mu0, tau20 = _ml_re(yi, vi)
    ll0 = model.loglik(mu0, tau20, np.ones(J))

    def unpack(theta):
        tau2 = math.exp(theta[1]) if theta[1] < 700 else math.inf
        d = _DELTA_MAX * special.expit(theta[2:])
        return theta[0], tau2, np.concatenate([[1.0], d])

    def negll(theta):
        mu, tau2, d = unpack(theta)
        val = -model.loglik(mu, tau2, d)
        return val if np.isfinite(val) else 1e300

    def neggrad(theta):
        mu, tau2, d = unpack(theta)
        tau2e = 0.0 if tau2 < model.tau2_zero else tau2
        g = model.grad(mu, tau2e, d)
        dd = d[1:]
        jac = np.concatenate([[1.0, tau2e], dd * (1 - dd / _DELTA_MAX)])
        return -g * jac

    start = np.concatenate([[mu0, math.log(max(tau20, 1e-4))], np.zeros(J - 1) + special.logit(1 / _DELTA_MAX)])
    best = None
    for x0 in (start, np.concatenate([[mu0, math.log(max(tau20, 1e-4))], np.full(J - 1, -2.0)])):
        res = optimize.minimize(negll, x0, jac=neggrad, method="BFGS", options={"gtol": 1e-10, "maxiter": 10000})
        if best is None or res.fun < best.fun:
            best = res
    mu, tau2, d = unpack(best.x)
    if tau2 < 1e-10:
        tau2 = 0.0
    # polish in natural parameters with Newton steps (BFGS in transformed space stops at ~1e-8 in the gradient)
    free_t = tau2 > 0
    x = np.concatenate([[mu], [tau2] if free_t else [], d[1:]])

    def grad_nat(xx):
        m = xx[0]
        t = xx[1] if free_t else 0.0
        dd = np.concatenate([[1.0], xx[2:] if free_t else xx[1:]])
        g = model.grad(m, t, dd)
        return g if free_t else np.delete(g, 1)

    interior = np.all((d[1:] > 1e-6) & (d[1:] < _DELTA_MAX - 1e-6))
    if interior:
        for _ in range(20):
            h = 1e-5 * np.maximum(np.abs(x), 1e-3)
            H = _hessian(grad_nat, x, h)
            try:
                step = np.linalg.solve(H, grad_nat(x))
            except np.linalg.LinAlgError:
                break
            xn = x - step
            if free_t and xn[1] <= 0:
                break
            if np.any(xn[(2 if free_t else 1):] <= 0):
                break
            x = xn
            if np.max(np.abs(step) / np.maximum(np.abs(x), 1e-8)) < 1e-12:
                break
        mu = x[0]
        tau2 = x[1] if free_t else 0.0
        d = np.concatenate([[1.0], x[2:] if free_t else x[1:]])
    ll = model.loglik(mu, tau2, d)

    # standard errors from the observed information in natural parameters
    h = 1e-5 * np.maximum(np.abs(x), 1e-3)
    x = np.concatenate([[mu], [tau2] if free_t else [], d[1:]])
    cov = None
    if interior:
        try:
            cov = np.linalg.inv(-_hessian(grad_nat, x, h))
        except np.linalg.LinAlgError:
            cov = None
    if cov is None or np.any(np.diag(cov) < 0):
        se, se_t, se_d = NAN, NAN, (NAN,) * (J - 1)
    else:
        diag = np.sqrt(np.diag(cov))
        se = float(diag[0])
        se_t = float(diag[1]) if free_t else NAN
        se_d = tuple(float(v) for v in diag[(2 if free_t else 1):])
    crit = z_crit(level)
    z = mu / se if se > 0 else NAN
    lrt = max(0.0, 2 * (ll - ll0))
    warning = ""
    if np.any(d[1:] <= np.finfo(float).eps ** 0.25) or np.any(d[1:] >= _DELTA_MAX - 100 * np.finfo(float).eps ** 0.25):
        warning = ("a selection weight is (almost) at its bound 0 or 100; treat the adjusted estimate with caution "
                   "(too few studies in an interval)")
    elif not np.isfinite(se):
        warning = ("the observed information matrix could not be inverted (the likelihood is flat at its maximum), "
                   "so the standard errors are unknown")
    # back to the data's scale (see Notes)
    log_r = k * math.log(r)
    return SelectionModelResult(
        estimate=float(mu * r), se=se * r, ci_low=float((mu - crit * se) * r), ci_high=float((mu + crit * se) * r),
        pval=float(2 * special.ndtr(-abs(z))) if np.isfinite(z) else NAN, tau2=float(tau2 * r2),
        se_tau2=se_t * r2, delta=tuple(float(v) for v in d), se_delta=(NAN, *se_d),
        steps=tuple(float(v) for v in s), k_per_interval=tuple(int(c) for c in counts), lrt=float(lrt), lrt_df=J - 1,
        lrt_pval=float(special.chdtrc(J - 1, lrt)), ll=float(ll - log_r), ll0=float(ll0 - log_r),
        unadjusted=float(mu0 * r), k=k, warning=warning)


def _ml_re(yi, vi):
    """ML estimates (mu, tau2) of the random-effects model (metafor ``rma(method = "ML")``), Fisher scoring."""
    w = 1.0 / vi
    mu = float(np.dot(w, yi) / w.sum())
    tau2 = max(0.0, float(np.var(yi)) - float(np.mean(vi)))
    for _ in range(10000):
        w = 1.0 / (vi + tau2)
        mu = float(np.dot(w, yi) / w.sum())
        r = yi - mu
        score = 0.5 * (np.sum(w * w * r * r) - np.sum(w))
        info = 0.5 * np.sum(w * w)
        new = tau2 + score / info
        if new < 0:
            new = 0.0
        if abs(new - tau2) <= 1e-14 * max(1.0, tau2):
            tau2 = new
            break
        tau2 = new
    w = 1.0 / (vi + tau2)
    return float(np.dot(w, yi) / w.sum()), tau2
