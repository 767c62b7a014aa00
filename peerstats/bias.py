"""Small-study effects and publication bias: Egger's regression test (``regtest``), trim-and-fill (``trimfill``)
and the funnel plot's pseudo-confidence contour.

See :mod:`peerstats.rma` for the model, estimators and references.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ConvergenceError
from .escalc import binary_cells, effect_sizes
from .regression import meta_regression
from .core import (
    NAN, check_options, fit_model, intercept_design, t_crit, t_pval, validate_yi_vi, z_crit,
)
from .rma import PoolResult, pool

__all__ = ['EggerResult', 'BinaryBiasResult', 'TrimFillResult', 'egger_test', 'harbord_test', 'peters_test',
           'binary_bias_test', 'BINARY_BIAS_TESTS', 'trim_and_fill', 'funnel_limits']

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
    fit = _lm_regtest(yi, vi, np.sqrt(vi), level)
    if fit is None:
        return EggerResult(NAN, NAN, NAN, k - 2, NAN, NAN, NAN, NAN, k, _EQUAL_VI)
    b0, b1, se1, t, df, p, lo, hi = fit
    return EggerResult(b1, se1, t, df, p, b0, lo, hi, k)


def _lm_regtest(yi, vi, x, level):
    """Weighted regression ``yi = b0 + b1 x`` (weights ``1/vi``, multiplicative error variance: R's ``lm``).

    Returns ``(b0, b1, se(b1), t, df, p, b0 CI low, b0 CI high)`` with ``t = b1/se(b1)`` on ``k - 2`` df, or None
    when ``x`` is collinear with the intercept.
    """
    try:
        fit = meta_regression(yi, vi, x, method="FE")
    except ValueError:  # the only ValueError left after validation and k >= 3: x collinear with the intercept
        return None
    df = yi.size - 2
    se = fit.se * np.sqrt(fit.qe / df)
    b0, b1 = fit.coef
    with np.errstate(divide="ignore", invalid="ignore"):  # se = 0 (a perfect fit): t = +/-inf, as R
        t = float(np.divide(b1, se[1]))
    crit = t_crit(level, df)
    return (float(b0), float(b1), float(se[1]), t, df, t_pval(t, df),
            float(b0 - crit * se[0]), float(b0 + crit * se[0]))


@dataclass(frozen=True)
class BinaryBiasResult:
    """A small-study-effects test made for 2x2 tables: Harbord's or Peters'.

    Attributes
    ----------
    test : str
        ``"Harbord"`` or ``"Peters"``.
    measure : str
        The log ratio the limit estimate is on: ``"OR"`` (Harbord: Peto's log odds ratio) or the measure given.
    predictor : str
        The regressor, in words.
    bias, se, statistic, df, pval : float, float, float, int, float
        The asymmetry coefficient (Harbord: the intercept of :math:`Z/\\sqrt V` on :math:`\\sqrt V`; Peters: the
        slope on :math:`1/N`), its standard error, :math:`t = b/SE(b)` on ``k - 2`` df and its two-sided p-value.
    limit_estimate, limit_ci_low, limit_ci_high : float
        The log ratio expected in an infinitely large study and its t-based confidence interval.
    k : int
        Tables used (those with an event and a non-event: the others carry no information for either test).
    k_excluded : int
        Tables left out because no participant, or every participant, had the event.
    reason : str
        Why the fields are ``nan`` (fewer than 3 usable tables, or a constant regressor); empty otherwise.
    """

    test: str
    measure: str
    predictor: str
    bias: float
    se: float
    statistic: float
    df: int
    pval: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float
    k: int
    k_excluded: int
    reason: str = ""


def _informative(ai, n1i, ci, n2i):
    a, b, c, d = binary_cells(ai, n1i, ci, n2i)
    keep = np.isfinite(a + b + c + d)
    a, b, c, d = a[keep], b[keep], c[keep], d[keep]
    events, non_events = a + c, b + d
    use = (events > 0) & (non_events > 0)
    return a[use], b[use], c[use], d[use], int(use.size - use.sum())


def _binary_bias(test, measure, predictor, yi, vi, x, k_out, level):
    k = yi.size
    if k < 3:
        return BinaryBiasResult(test, measure, predictor, NAN, NAN, NAN, max(k - 2, 0), NAN, NAN, NAN, NAN, k,
                                k_out, f"{test}'s test needs at least 3 tables with an event; got {k}")
    fit = _lm_regtest(yi, vi, x, level)
    if fit is None:
        return BinaryBiasResult(test, measure, predictor, NAN, NAN, NAN, k - 2, NAN, NAN, NAN, NAN, k, k_out,
                                f"the predictor ({predictor}) is the same in every table, so it cannot be separated "
                                "from the intercept: the test is undefined")
    b0, b1, se1, t, df, p, lo, hi = fit
    return BinaryBiasResult(test, measure, predictor, b1, se1, t, df, p, b0, lo, hi, k, k_out)


def harbord_test(ai, n1i, ci, n2i, level: float = 0.95) -> BinaryBiasResult:
    """Harbord's modified test for small-study effects on odds ratios (Harbord, Egger & Sterne 2006).

    For each table the efficient score and its (hypergeometric) variance under no effect are

    .. math:: Z_i = a_i - \\frac{n_{1i} m_{1i}}{N_i}, \\qquad
              V_i = \\frac{n_{1i} n_{2i} m_{1i} m_{2i}}{N_i^2 (N_i - 1)}

    (:math:`m_1` events, :math:`m_2` non-events, :math:`N` participants), and the test regresses
    :math:`Z_i/\\sqrt{V_i}` on :math:`\\sqrt{V_i}` by ordinary least squares: the **intercept** measures asymmetry
    (t on ``k - 2`` df), the slope is the log odds ratio of a study with infinite precision. Because Z and V do not
    depend on the estimated odds ratio, the test avoids the artefactual correlation between a log odds ratio and
    its standard error that inflates Egger's test on binary outcomes. It is algebraically Egger's regression on
    Peto's log odds ratios (:math:`y_i = Z_i/V_i`, :math:`v_i = 1/V_i`), i.e. metafor's
    ``regtest(Z/V, 1/V, model="lm")``, which is how ``validation/bias_binary_reference.R`` pins it.

    No continuity correction is needed; tables with no events or only events (V = 0) carry no information and are
    left out (``k_excluded``). Arm 1 is the intervention.

    References
    ----------
    Harbord RM, Egger M, Sterne JAC. A modified test for small-study effects in meta-analyses of controlled trials
    with binary endpoints. Stat Med 2006;25:3443-57. Cochrane Handbook 6.4, 13.3.5.4.
    """
    a, b, c, d, k_out = _informative(ai, n1i, ci, n2i)
    n1, n2, m1, m2 = a + b, c + d, a + c, b + d
    n = n1 + n2
    z = a - n1 * m1 / n
    v = n1 * n2 * m1 * m2 / (n ** 2 * (n - 1))
    return _binary_bias("Harbord", "OR", "square root of the score variance (√V)", z / v, 1 / v, 1 / np.sqrt(v),
                        k_out, level)


def peters_test(ai, n1i, ci, n2i, measure: str = "OR", level: float = 0.95) -> BinaryBiasResult:
    """Peters' test for small-study effects on a log odds ratio or log risk ratio (Peters et al. 2006).

    Weighted linear regression of the log ratio :math:`y_i` (metafor ``escalc`` with its defaults: 0.5 added to
    the cells of a table with a zero cell) on the inverse of the total sample size,

    .. math:: y_i = b_0 + b_1 \\frac{1}{N_i}, \\qquad w_i = \\frac{1}{1/m_{1i} + 1/m_{2i}} = \\frac{m_{1i} m_{2i}}{N_i},

    with a multiplicative error variance (R's ``lm``). The slope :math:`b_1` measures asymmetry (t on ``k - 2``
    df); :math:`b_0` is the log ratio of an infinitely large study. The predictor, 1/N, does not depend on the
    estimate, so the test avoids Egger's artefact on binary outcomes. metafor:
    ``regtest(yi, vi = N/(m1 m2), ni = N, model = "lm", predictor = "ninv")``. Tables with no events or only events
    (zero weight) are left out.

    References
    ----------
    Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L. Comparison of two methods to detect publication bias in
    meta-analysis. JAMA 2006;295:676-80. Cochrane Handbook 13.3.5.4.
    """
    measure = str(measure).upper()
    if measure not in ("OR", "RR"):
        raise ValueError(f"Peters' test is for log odds ratios or log risk ratios (measure 'OR' or 'RR'); "
                         f"got {measure!r}")
    a, b, c, d, k_out = _informative(ai, n1i, ci, n2i)
    yi, _ = effect_sizes(measure, ai=a, bi=b, ci=c, di=d)
    n = a + b + c + d
    m1, m2 = a + c, b + d
    return _binary_bias("Peters", measure, "inverse of the total sample size (1/N)", np.asarray(yi, float),
                        n / (m1 * m2), 1 / n, k_out, level)


#: The small-study test made for each binary measure (Cochrane Handbook 13.3.5.4): Harbord's score test for odds
#: ratios (Peto's included), Peters' test for risk ratios. Other measures keep Egger's test.
BINARY_BIAS_TESTS = {"OR": "Harbord", "PETO": "Harbord", "RR": "Peters"}


def binary_bias_test(ai, n1i, ci, n2i, measure: str, level: float = 0.95) -> BinaryBiasResult:
    """The small-study test made for a binary measure: :func:`harbord_test` for ``"OR"``/``"PETO"``,
    :func:`peters_test` for ``"RR"`` (:data:`BINARY_BIAS_TESTS`).

    Why not Egger's test: a log odds ratio or log risk ratio and its standard error are computed from the same cells,
    so they are correlated even without small-study effects and Egger's test rejects too often (Harbord et al. 2006;
    Peters et al. 2006). Harbord's score and its variance, and Peters' 1/N, do not depend on the estimate. Harbord's
    test is built on the odds ratio's score, so a risk ratio gets Peters'.

    Raises
    ------
    ValueError
        For a measure with no binary test (RD, MD, SMD, ...): use :func:`egger_test`.
    """
    m = str(measure).upper()
    if m not in BINARY_BIAS_TESTS:
        raise ValueError(f"no small-study test made for 2x2 tables of measure {measure!r} (Harbord's is for odds "
                         "ratios, Peters' for odds or risk ratios): use Egger's test")
    if BINARY_BIAS_TESTS[m] == "Harbord":
        return harbord_test(ai, n1i, ci, n2i, level=level)
    return peters_test(ai, n1i, ci, n2i, measure=m, level=level)


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
