"""Small-study effects and publication bias: Egger's regression test (``regtest``), trim-and-fill (``trimfill``)
and the funnel plot's pseudo-confidence contour.

See :mod:`peerstats.rma` for the model, estimators and references.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ConvergenceError
from .regression import meta_regression
from .core import (
    NAN, check_options, fit_model, intercept_design, t_crit, t_pval, validate_yi_vi, z_crit,
)
from .rma import PoolResult, pool

__all__ = ['EggerResult', 'TrimFillResult', 'egger_test', 'trim_and_fill', 'funnel_limits']

# ----------------------------------------------------------------------------------------------------------------
# small-study effects
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EggerResult:
    """Egger's regression test (metafor ``regtest(model="lm", predictor="sei")``).

    The weighted regression :math:`y_i = b_0 + b_1\\sqrt{v_i} + \\epsilon_i` with weights :math:`1/v_i` and a
    multiplicative error variance is the classic Egger regression of :math:`y_i/\\sqrt{v_i}` on
    :math:`1/\\sqrt{v_i}` with intercept and slope swapped.

    Attributes
    ----------
    intercept, se : float
        Egger's bias coefficient (:math:`b_1`) and its standard error.
    statistic, df, pval : float, int, float
        :math:`t = b_1 / SE(b_1)` on ``k - 2`` df and its two-sided p-value.
    limit_estimate, limit_ci_low, limit_ci_high : float
        :math:`b_0`, the effect expected in an infinitely large study, with its t-based confidence interval
        (regtest's ``est``, ``ci.lb``, ``ci.ub``).
    k : int
    """

    intercept: float
    se: float
    statistic: float
    df: int
    pval: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float
    k: int
    reason: str = ""  # why the fields are nan (k < 3, or all vi equal); empty otherwise


_EQUAL_VI = ("all studies have the same sampling variance (or so nearly the same that the standard errors, once their "
             "mean is removed, vary by less than 1e-7 of their size), so the standard error (the regressor) cannot be "
             "separated from the intercept: the test is undefined (metafor's regtest stops: 'Model matrix no longer "
             "of full rank')")


def egger_test(yi, vi, level: float = 0.95) -> EggerResult:
    """Egger's regression test for funnel-plot asymmetry.

    The regression is solved by :func:`peerstats.regression.meta_regression` (``method="FE"``: weighted least
    squares on a QR-orthogonalised design, as R's ``lm``), and its standard errors are multiplied by
    :math:`\\sqrt{Q_E / (k - 2)}` (``lm``'s multiplicative error variance). Solving the normal equations directly
    loses about :math:`\\log_{10}` of their condition number in digits, and with nearly equal variances (a regressor
    that barely varies) that is every digit.

    Returns all-``nan`` fields (with the given k) and a ``reason`` when k < 3 (the regression has no residual degrees
    of freedom) or when the standard errors are equal or nearly so: R's ``lm`` QR rule (a column whose norm, after the
    intercept is projected out, is below 1e-7 of its own) drops the regressor and metafor's ``regtest`` stops.
    """
    yi, vi = validate_yi_vi(yi, vi)
    k = yi.size
    if k < 3:
        return EggerResult(NAN, NAN, NAN, max(k - 2, 0), NAN, NAN, NAN, NAN, k,
                           f"Egger's test needs at least 3 studies; got k = {k}")
    try:
        fit = meta_regression(yi, vi, np.sqrt(vi), method="FE")
    except ValueError:  # the only ValueError left after _validate and k >= 3: sqrt(vi) collinear with the intercept
        return EggerResult(NAN, NAN, NAN, k - 2, NAN, NAN, NAN, NAN, k, _EQUAL_VI)
    df = k - 2
    se = fit.se * np.sqrt(fit.qe / df)
    b0, b1 = fit.coef
    with np.errstate(divide="ignore", invalid="ignore"):  # se = 0 (a perfect fit): t = +/-inf, as R
        t = float(np.divide(b1, se[1]))
    crit = t_crit(level, df)
    return EggerResult(float(b1), float(se[1]), float(t), df, t_pval(t, df), float(b0),
                       float(b0 - crit * se[0]), float(b0 + crit * se[0]), k)


@dataclass(frozen=True)
class TrimFillResult:
    """Trim-and-fill (metafor ``trimfill``, estimator L0).

    Attributes
    ----------
    k0 : int
        Estimated number of missing studies.
    side : str
        ``"left"`` or ``"right"``: where studies are estimated to be missing.
    estimate, se, ci_low, ci_high, pval, tau2, i2 : float
        The model refitted to the observed plus filled studies.
    k : int
        Observed plus filled studies.
    filled : pandas.DataFrame
        ``yi``, ``vi`` of the imputed studies (mirror images of the trimmed ones).
    observed_estimate : float
        The estimate of the model on the observed studies only.
    """

    k0: int
    side: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pval: float
    tau2: float
    i2: float
    k: int
    filled: pd.DataFrame = field(repr=False)
    observed_estimate: float = NAN
    result: PoolResult | None = field(default=None, repr=False)


def trim_and_fill(yi, vi, method: str = "DL", estimator: str = "L0", side: str | None = None,
                  test: str = "z", level: float = 0.95, maxiter: int = 100) -> TrimFillResult:
    """Duval & Tweedie's trim-and-fill, as metafor ``trimfill(rma(yi, vi, method=method))``.

    Algorithm
    ---------
    1. Side: unless given, fit ``rma(yi, vi, mods = ~ sqrt(vi), method)`` with
       :func:`~peerstats.regression.meta_regression`; a negative slope puts the missing studies on the ``"right"``
       (then all ``yi`` are negated so that the missing side is the left one), otherwise on the ``"left"`` (small
       studies show larger effects), as metafor.
    2. Sort by ``yi``. Repeat until k0 is stable: pool the ``k - k0`` smallest, centre all ``yi`` on that estimate,
       rank the absolute centred values (ties: first), sum the ranks of the positive ones (``S_r``), and set
       :math:`k_0 = \\max(0, \\mathrm{round}((4 S_r - k(k+1)) / (2k - 1)))` (L0).
    3. Fill: mirror the ``k0`` largest ``yi`` around the last trimmed estimate, keep their ``vi``, refit on all.

    Parameters
    ----------
    estimator : {"L0", "R0"}
        L0 (metafor's default) or R0.
    side : {"left", "right"}, optional
        Required when all ``vi`` are equal or nearly so (sqrt(vi) collinear with the intercept by R's ``lm()`` rule,
        see :func:`egger_test`: the side regression is undefined; metafor stops with an error).
    test : {"z", "knha"}
        Test of the observed and of the filled model. metafor's ``trimfill(fit)`` refits the filled data with its
        default ``test = "z"`` whatever the fit's test; the engine uses ``test`` for both, which equals metafor's
        ``trimfill(fit, test = "knha")`` (extra arguments reach the refit), so a Knapp-Hartung view stays
        Knapp-Hartung after filling.
    """
    check_options(method, test, level)
    if estimator not in ("L0", "R0"):
        raise ValueError(f"estimator must be 'L0' or 'R0'; got {estimator!r}")
    if side not in (None, "left", "right"):
        raise ValueError(f"side must be None, 'left' or 'right'; got {side!r}")
    yi, vi = validate_yi_vi(yi, vi)
    k = yi.size
    if k < 3:
        raise ValueError(f"trim-and-fill needs at least 3 studies; got {k}")
    observed = pool(yi, vi, method, test, level)
    if side is None:
        try:
            slope = meta_regression(yi, vi, np.sqrt(vi), method=method).coef[1]
        except ValueError:  # sqrt(vi) collinear with the intercept by R's lm() rule (see egger_test)
            raise ValueError("all studies have the same sampling variance (or so nearly the same that the standard "
                             "errors vary by less than 1e-7 of their size), so the side where studies are missing "
                             "cannot be estimated from the funnel's asymmetry (metafor's side regression drops "
                             "sqrt(vi) and stops); pass side='left' or side='right'") from None
        side = "right" if slope < 0 else "left"  # metafor: beta[2] < 0 -> "right", else "left"
    y = -yi if side == "right" else yi.copy()
    order = np.argsort(y, kind="stable")
    y, v = y[order], vi[order]

    k0, k0_prev, beta = 0, -1, NAN
    for _ in range(maxiter):
        if k0 == k0_prev:
            break
        k0_prev = k0
        beta = fit_model(y[: k - k0], v[: k - k0], intercept_design(k - k0), method, "z", level).beta[0]
        centred = y - beta
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)  # R's rank(ties='first')
        signed = np.sign(centred) * ranks
        if estimator == "L0":
            sr = signed[signed > 0].sum()
            k0 = (4 * sr - k * (k + 1)) / (2 * k - 1)
        else:
            neg = -signed[signed < 0]
            k0 = (k - (neg.max() if neg.size else 0)) - 1
        k0 = int(max(0, np.round(k0)))
    else:
        raise ConvergenceError(f"trim-and-fill did not converge in {maxiter} iterations")

    if k0 > 0:
        fill_y = 2 * beta - y[k - k0:]
        fill_v = v[k - k0:]
        if side == "right":
            fill_y = -fill_y
        filled = pd.DataFrame({"yi": fill_y, "vi": fill_v})
        res = pool(np.concatenate([yi, fill_y]), np.concatenate([vi, fill_v]), method, test, level)
    else:
        filled = pd.DataFrame({"yi": np.array([], dtype=float), "vi": np.array([], dtype=float)})
        res = observed
    return TrimFillResult(k0, side, res.estimate, res.se, res.ci_low, res.ci_high, res.pval, res.tau2, res.i2,
                          res.k, filled, observed.estimate, res)


def funnel_limits(estimate: float, se_max: float, level: float = 0.95, n: int = 50) -> pd.DataFrame:
    """Pseudo confidence limits of a funnel plot: ``estimate +/- z_{1-alpha/2} * se`` for se in ``[0, se_max]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``se``, ``ci_low``, ``ci_high``; ``n`` rows from se = 0 to ``se_max``.
    """
    if not (np.isfinite(estimate) and np.isfinite(se_max) and se_max > 0):
        raise ValueError("estimate must be finite and se_max finite and > 0")
    if not (0 < level < 1):
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    z = z_crit(level)
    se = np.linspace(0.0, float(se_max), int(n))
    return pd.DataFrame({"se": se, "ci_low": estimate - z * se, "ci_high": estimate + z * se})
