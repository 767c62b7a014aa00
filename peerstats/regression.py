"""Mixed-effects meta-regression, mirroring R metafor's ``rma(yi, vi, mods = ~ ..., method, test)``.

The model
---------
:math:`y_i = x_i^\\top \\beta + u_i + e_i`, :math:`u_i \\sim N(0, \\tau^2)`, :math:`e_i \\sim N(0, v_i)`, with
:math:`x_i = (1, m_{i1}, \\dots, m_{i,p-1})` (intercept first). Given the residual heterogeneity :math:`\\tau^2`
(estimated by ``method`` from the residuals, the estimators of :mod:`peerstats.rma` with the design matrix ``X``) and
:math:`W = \\mathrm{diag}(1 / (v_i + \\tau^2))`,

.. math:: \\hat\\beta = (X^\\top W X)^{-1} X^\\top W y, \\qquad \\mathrm{Var}(\\hat\\beta) = (X^\\top W X)^{-1}.

- ``test="knha"`` (Knapp & Hartung 2003) multiplies :math:`\\mathrm{Var}(\\hat\\beta)` by
  :math:`\\sum w_i (y_i - x_i^\\top\\hat\\beta)^2 / (k - p)` (not truncated, as metafor) and uses :math:`t_{k-p}`.
- Omnibus test of the moderators: :math:`Q_M = \\hat\\beta_{[-1]}^\\top \\mathrm{Var}(\\hat\\beta)_{[-1,-1]}^{-1}
  \\hat\\beta_{[-1]}` against :math:`\\chi^2_{p-1}`; for ``"knha"`` :math:`F = Q_M / (p - 1)` against
  :math:`F_{p-1, k-p}` (metafor reports that F as ``QM``).
- Residual heterogeneity: :math:`Q_E = \\sum (y_i - x_i^\\top \\hat\\beta_{FE})^2 / v_i` on :math:`k - p` df;
  :math:`I^2 = 100\\,\\tau^2 / (\\tau^2 + s^2)` with :math:`s^2 = (k - p) / \\mathrm{tr}(P)`, :math:`P = W_0 - W_0 X
  (X^\\top W_0 X)^{-1} X^\\top W_0`, :math:`W_0 = \\mathrm{diag}(1/v_i)` (FE model: :math:`100 \\max(0, (Q_E - (k-p))
  / Q_E)`).
- :math:`R^2` (metafor's default ``r2def = "1"``): random-effects models
  :math:`100 \\max(0, (\\hat\\tau^2_0 - \\hat\\tau^2) / \\hat\\tau^2_0)`, :math:`\\hat\\tau^2_0` from the
  intercept-only model with the same estimator, and 0 when :math:`\\hat\\tau^2_0 = 0`; FE models: the adjusted
  :math:`R^2` of the weighted least-squares fit (weights :math:`1/v_i`), :math:`100 \\max(0, 1 - (1 - R^2)
  (k - 1)/(k - p))` with :math:`R^2 = 1 - Q_E / Q_0`, and 0 when every :math:`y_i` is the same.

References
----------
.. [1] Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw, 36(3), 1-48.
.. [2] Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression with a single covariate.
   Stat Med, 22, 2693-2710.
.. [3] Raudenbush, S. W. (2009). Analyzing effect sizes: random-effects models. In The Handbook of Research Synthesis
   and Meta-Analysis (2nd ed., pp. 295-315).
.. [4] Borenstein, M. et al. (2009). Introduction to Meta-Analysis, ch. 20 (proportion of variance explained, R2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .core import NAN, check_options, chi2_sf, fit_model, ratio, t_crit, validate_yi_vi, z_crit

__all__ = ["RegressionResult", "Prediction", "meta_regression", "dummy_columns", "fitted_line"]


@dataclass(frozen=True)
class Prediction:
    """Predicted mean effect at given moderator values (metafor ``predict(fit, newmods=)``).

    Fields are floats for one setting and arrays for several.

    Attributes
    ----------
    pred, se : float or numpy.ndarray
        :math:`x^\\top\\hat\\beta` and :math:`\\sqrt{x^\\top \\mathrm{Var}(\\hat\\beta) x}`.
    ci_low, ci_high : float or numpy.ndarray
        ``pred -/+ crit * se``.
    pi_low, pi_high : float or numpy.ndarray
        Prediction interval for the true effect in a new study with these moderator values:
        ``pred -/+ crit * sqrt(se^2 + tau2)`` (``crit`` from :math:`t_{k-p}` for ``"knha"``, as metafor).
    """

    pred: object
    se: object
    ci_low: object
    ci_high: object
    pi_low: object
    pi_high: object


@dataclass(frozen=True)
class RegressionResult:
    """The result of :func:`meta_regression`. Field names follow metafor's ``rma`` object.

    Attributes
    ----------
    method, test, level : str, str, float
        Estimator of the residual heterogeneity, test and confidence level.
    k, p : int
        Number of studies and of coefficients (intercept included).
    coef, se, statistic, pval, ci_low, ci_high : numpy.ndarray
        Per coefficient, intercept first: estimate, standard error (Knapp-Hartung-scaled for ``"knha"``), z (or t on
        ``k - p`` df), two-sided p-value and confidence interval.
    vb : numpy.ndarray
        The p x p variance-covariance matrix of ``coef``.
    qm, qm_df, qm_pval : float, int, float
        Omnibus test of all moderators (chi-square; an F statistic on ``(qm_df, k - p)`` df for ``"knha"``).
    qe, qe_df, qe_pval : float, int, float
        Test for residual heterogeneity.
    tau2, i2, h2 : float
        Residual between-study variance, residual I2 (percent) and H2.
    r2 : float
        Percent of heterogeneity accounted for by the moderators (see the module docstring).
    df : float
        ``k - p`` for ``"knha"``, ``inf`` for ``"z"``.
    iterations : int
        Iterations of the heterogeneity estimator (0 for closed forms).
    """

    method: str
    test: str
    level: float
    k: int
    p: int
    coef: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pval: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    vb: np.ndarray = field(repr=False)
    qm: float = NAN
    qm_df: int = 0
    qm_pval: float = NAN
    qe: float = NAN
    qe_df: int = 0
    qe_pval: float = NAN
    tau2: float = NAN
    i2: float = NAN
    h2: float = NAN
    r2: float = NAN
    df: float = math.inf
    iterations: int = 0

    def _crit(self, level: float) -> float:
        return t_crit(level, self.k - self.p) if self.test == "knha" else z_crit(level)

    def predict(self, newmods, level: float | None = None) -> Prediction:
        """Predicted effect, CI and prediction interval at moderator values ``newmods`` (no intercept column).

        Parameters
        ----------
        newmods : array_like
            One setting (length ``p - 1``; a scalar for one moderator) or an m x (p - 1) array of settings.
        level : float, optional
            Confidence level; defaults to the model's.

        Returns
        -------
        Prediction
        """
        level = self.level if level is None else level
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1); got {level!r}")
        x = np.asarray(newmods, dtype=float)
        single = x.ndim <= 1 and not (self.p == 2 and x.ndim == 1 and x.size > 1)
        if self.p == 2:
            x = x.reshape(-1, 1)
        else:
            x = np.atleast_2d(x)
        if x.shape[1] != self.p - 1:
            raise ValueError(f"newmods needs {self.p - 1} moderator value(s) per setting; got {x.shape[1]}")
        if not np.all(np.isfinite(x)):
            raise ValueError("newmods must be finite")
        xx = np.column_stack([np.ones(x.shape[0]), x])
        pred = xx @ self.coef
        se = np.sqrt(np.einsum("ij,jk,ik->i", xx, self.vb, xx))
        crit = self._crit(level)
        half_pi = crit * np.sqrt(se * se + self.tau2)
        out = (pred, se, pred - crit * se, pred + crit * se, pred - half_pi, pred + half_pi)
        if single:
            out = tuple(float(v[0]) for v in out)
        return Prediction(*out)


def _design(mods, k: int) -> np.ndarray:
    m = np.asarray(mods, dtype=float)
    if m.ndim == 1:
        m = m.reshape(-1, 1)
    if m.ndim != 2 or m.shape[0] != k:
        raise ValueError(f"mods must be a k x p array with k = {k} rows (one per study); got shape {np.shape(mods)}")
    if m.shape[1] == 0:
        raise ValueError("mods has no columns: use peerstats.pool for an intercept-only model")
    bad = ~np.isfinite(m)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"mods must be finite; got {m[i, j]!r} in row {i}, column {j}")
    X = np.column_stack([np.ones(k), m])
    # R's lm() (and so metafor's rma(), which drops such columns as "redundant predictors"): Householder QR of the
    # unweighted X, a column is redundant when its norm after projecting out the columns before it falls below 1e-7
    # of its own norm. The engine refuses the model instead of dropping the column silently.
    norms = np.linalg.norm(X, axis=0)
    ratio = np.abs(np.diag(np.linalg.qr(X, mode="r"))) / np.where(norms > 0, norms, 1.0)
    if np.any(ratio < 1e-7):
        j = int(np.flatnonzero(ratio < 1e-7)[0])
        raise ValueError(f"the moderators are collinear (or a moderator is constant): moderator column {j - 1} is the "
                         "intercept plus a combination of the columns before it, to within 1e-7 of its size, so the "
                         "design matrix is not of full column rank (R's lm() and metafor drop it as a redundant "
                         "predictor)")
    return X


def meta_regression(yi, vi, mods, method: str = "REML", test: str = "z", level: float = 0.95) -> RegressionResult:
    """Mixed-effects meta-regression (metafor ``rma(yi, vi, mods = ~ ..., method, test, level)``).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and their sampling variances (``vi`` finite and > 0).
    mods : array_like
        k x (p - 1) moderator matrix **without** the intercept column (a 1-d array for one moderator). Code a
        categorical moderator with :func:`dummy_columns`.
    method : {"FE", "DL", "REML", "PM"}
        Estimator of the residual heterogeneity.
    test : {"z", "knha"}
        Normal-theory tests, or Knapp-Hartung with t (coefficients) and F (omnibus) distributions.
    level : float
        Confidence level.

    Returns
    -------
    RegressionResult

    Raises
    ------
    NoStudiesError
        If k = 0.
    ValueError
        Bad ``yi``/``vi``/``mods`` (message names the index), collinear moderators, or ``k <= p`` (no residual
        degrees of freedom: residual heterogeneity cannot be estimated). Collinear means R's ``lm()`` rule, which
        metafor applies before it fits: in the Householder QR of the unweighted design a column whose norm, after
        the intercept and the moderators before it are projected out, is below 1e-7 of its own norm (metafor drops
        such a column with the warning "Redundant predictors dropped from the model."; the engine refuses instead
        of fitting a model other than the one asked for).
    ConvergenceError
        If REML or PM fails to converge.

    Notes
    -----
    The model is fitted on an orthogonalised design (``sqrt(W0) X = Q R``, ``W0 = diag(1/vi)``, ``Xo = X R^-1``)
    and the coefficients and their covariance are mapped back (``beta = R^-1 beta_o``,
    ``Var(beta) = R^-1 Var(beta_o) R^-T``); tau2, ``Q_E`` and ``Q_M`` depend only on the design's column space.
    Ill-conditioned designs (raw year and year^2, a moderator on a large offset, nearly collinear moderators) so
    lose only what their conditioning implies, as a QR solve does, where inverting ``X'WX`` lost up to 6 digits and
    REML did not converge. (metafor's own ``rma`` stops on such designs unless ``control = list(evtol = ...)`` is
    relaxed: it rejects any eigenvalue of the unweighted ``X'X`` below 1e-7, whatever the moderators' units.)

    Examples
    --------
    >>> r = meta_regression([0.1, 0.3, 0.5, 0.4], [0.01, 0.02, 0.04, 0.03], [1.0, 2.0, 3.0, 4.0], method="FE")
    >>> round(float(r.coef[1]), 4)
    0.1209
    """
    check_options(method, test, level)
    yi, vi = validate_yi_vi(yi, vi)
    k = yi.size
    X = _design(mods, k)
    p = X.shape[1]
    if k <= p:
        raise ValueError(f"meta-regression with {p} coefficients needs more than {p} studies; got k = {k}")
    # Fit on an orthogonalised design, as metafor's QR-based solve: sqrt(W0) X = Q R with W0 = diag(1 / vi), and
    # Xo = X R^-1 has Xo' W0 Xo = I, so the normal equations are perfectly conditioned for the fixed-effect weights
    # (and within a factor max(vi + tau2) / min(vi + tau2) of it otherwise); on raw year + year^2 (condition ~1e13)
    # the inverse of X'WX lost 6 digits. Xo spans the same space with its first column still constant (R is upper
    # triangular), so tau2, Q_E and the omnibus test of the non-intercept coefficients are those of X; the
    # coefficients map back as beta = R^-1 beta_o, Var(beta) = R^-1 Var(beta_o) R^-T.
    sw = 1.0 / np.sqrt(vi)
    q_, r_ = np.linalg.qr(X * sw[:, None])
    m = fit_model(yi, vi, q_ / sw[:, None], method, test, level)
    beta = np.linalg.solve(r_, m.beta)
    vb = np.linalg.solve(r_, np.linalg.solve(r_, m.vb).T)
    vb = 0.5 * (vb + vb.T)
    se = np.sqrt(np.diag(vb))
    stat = ratio(beta, se)
    crit = m.crit
    pval = np.array([m.pvalue(float(s)) for s in stat])
    qm, qm_pval = m.omnibus()
    return RegressionResult(
        method=method, test=test, level=level, k=k, p=p, coef=beta, se=se, statistic=stat, pval=pval,
        ci_low=beta - crit * se, ci_high=beta + crit * se, vb=vb, qm=qm, qm_df=p - 1, qm_pval=qm_pval,
        qe=m.q, qe_df=m.q_df, qe_pval=chi2_sf(m.q, m.q_df), tau2=m.tau2, i2=m.i2, h2=m.h2,
        r2=_r2(yi, vi, X, m, method, test, level), df=float(k - p) if test == "knha" else math.inf,
        iterations=m.iterations,
    )


def _r2(yi, vi, X, m, method, test, level) -> float:
    k, p = X.shape
    if method == "FE":
        if np.all(yi == yi[0]):
            return 0.0
        q0 = fit_model(yi, vi, X[:, :1], "FE", "z", level).q  # weighted total sum of squares about the weighted mean
        if q0 <= 0:
            return 0.0
        r2 = 1.0 - m.q / q0
        return max(0.0, 100.0 * (1.0 - (1.0 - r2) * (k - 1) / (k - p)))
    tau2_0 = fit_model(yi, vi, X[:, :1], method, test, level).tau2
    if tau2_0 == 0:
        return 0.0
    return max(0.0, 100.0 * (tau2_0 - m.tau2) / tau2_0)


def dummy_columns(groups) -> tuple[np.ndarray, tuple]:
    """Treatment (dummy) coding of a categorical moderator, as R's ``factor`` in a model formula.

    Levels are sorted as R's ``factor()`` sorts them: numerically when every group is a number (so 2.5 < 9 < 10 <
    100; a text sort would make "10" the reference), as text otherwise. The first level is the reference and gets no
    column. Numeric levels are labelled as R prints them (``as.character``: 15 significant digits, ``10`` not
    ``10.0``).

    Returns
    -------
    (mods, levels) : (numpy.ndarray, tuple)
        A k x (L - 1) 0/1 matrix (column j marks ``levels[j + 1]``) and the sorted levels (strings).

    Raises
    ------
    ValueError
        Fewer than two levels, or a missing (NaN) numeric group: an unknown group is not a level.
    """
    values = list(groups)
    arr = np.asarray(values)
    if values and arr.ndim == 1 and arr.dtype.kind in "iuf":  # numbers (not bool): R sorts them as numbers
        num = arr.astype(float)
        if np.isnan(num).any():
            raise ValueError(f"group {int(np.flatnonzero(np.isnan(num))[0])} is missing (NaN): give every study a "
                             "group, or leave it out")
        label = {float(v): format(float(v), ".15g") for v in num}
        g = [label[float(v)] for v in num]
        levels = tuple(label[v] for v in sorted(label))
    else:
        g = [str(v) for v in values]
        levels = tuple(sorted(set(g)))
    if len(levels) < 2:
        raise ValueError("a categorical moderator needs at least two levels")
    mods = np.array([[1.0 if v == lv else 0.0 for lv in levels[1:]] for v in g])
    return mods, levels


def fitted_line(result: RegressionResult, x, n: int = 60) -> pd.DataFrame:
    """The fitted line of a one-moderator model on ``n`` points spanning ``x``, for a bubble plot.

    Returns
    -------
    DataFrame
        ``x, pred, ci_low, ci_high, pi_low, pi_high`` (:meth:`RegressionResult.predict` at each point).
    """
    if result.p != 2:
        raise ValueError(f"a fitted line needs a model with one moderator; this one has {result.p - 1}")
    x = np.asarray(x, dtype=float)
    grid = np.linspace(float(np.nanmin(x)), float(np.nanmax(x)), n)
    pr = result.predict(grid)
    return pd.DataFrame({"x": grid, "pred": pr.pred, "ci_low": pr.ci_low, "ci_high": pr.ci_high,
                         "pi_low": pr.pi_low, "pi_high": pr.pi_high})
