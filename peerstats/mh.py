"""Fixed-effect pooling of 2x2 tables: Mantel-Haenszel (risk ratio, odds ratio, risk difference) and Peto.

Mirrors metafor's ``rma.mh`` and ``rma.peto`` with their defaults. Results are :class:`BinaryPoolResult`, whose
fields are named like :class:`peerstats.meta.PoolResult`'s where the concept is the same. Ratios are on the log scale
(``estimate`` is a log risk ratio / log odds ratio); :meth:`BinaryPoolResult.natural` exponentiates.

Mantel-Haenszel (tables :math:`i` with cells :math:`a_i, b_i, c_i, d_i`, arm sizes :math:`n_{1i}, n_{2i}`, total
:math:`N_i`; no continuity correction in the sums)

- OR: :math:`R_i = a_i d_i / N_i`, :math:`S_i = b_i c_i / N_i`, :math:`\\hat\\theta = \\sum R_i / \\sum S_i`, variance
  of its log by Robins, Breslow & Greenland (1986): with :math:`P_i = (a_i + d_i)/N_i`, :math:`Q_i = (b_i+c_i)/N_i`,
  :math:`\\frac12\\big[\\sum P_iR_i / R^2 + \\sum (P_iS_i + Q_iR_i)/(RS) + \\sum Q_iS_i / S^2\\big]`.
- RR: :math:`R = \\sum a_i n_{2i}/N_i`, :math:`S = \\sum c_i n_{1i}/N_i`, :math:`\\hat\\theta = R/S`, variance of its
  log (Greenland & Robins 1985) :math:`\\sum (n_{1i} n_{2i} (a_i + c_i)/N_i^2 - a_i c_i / N_i) / (RS)`.
- RD: :math:`\\hat\\theta = \\sum (a_i n_{2i} - c_i n_{1i})/N_i \\,/\\, \\sum n_{1i} n_{2i} / N_i`, with the
  Sato, Greenland & Robins (1989) variance.

Peto: :math:`\\log\\hat\\theta = \\sum (a_i - E_i) / \\sum V_i`, :math:`SE = (\\sum V_i)^{-1/2}`, with
:math:`E_i = n_{1i}(a_i + c_i)/N_i` and :math:`V_i = (a_i+c_i)(b_i+d_i) n_{1i} n_{2i} / (N_i^2 (N_i - 1))`.

Heterogeneity, as metafor: the observed outcomes are ``escalc(measure)`` with 1/2 added to every cell of a table with
a zero cell, and tables with no events (or only events) in both arms left out (``drop00 = TRUE``); ``k_yi`` tables
remain. Mantel-Haenszel: :math:`Q = \\sum (y_i - \\hat\\theta)^2 / v_i` on :math:`k_{yi} - 1` df; Peto:
:math:`Q = \\sum (a_i - E_i)^2 / V_i - (\\sum (a_i - E_i))^2 / \\sum V_i`. :math:`I^2 = 100\\max(0, (Q - df)/Q)`,
:math:`H^2 = Q/df`; with :math:`k_{yi} \\le 1`: Q = 0, its p-value 1, I2 = 0, H2 = 1 (metafor's values). These are
fixed-effect methods: ``tau2`` is 0, as in metafor and :func:`peerstats.pool` with ``method="FE"``.

References
----------
.. [1] Mantel, N., & Haenszel, W. (1959). Statistical aspects of the analysis of data from retrospective studies of
   disease. J Natl Cancer Inst 22, 719-748.
.. [2] Robins, J., Breslow, N., & Greenland, S. (1986). Estimators of the Mantel-Haenszel variance consistent in
   both sparse data and large-strata limiting models. Biometrics 42, 311-323.
.. [3] Greenland, S., & Robins, J. M. (1985). Estimation of a common effect parameter from sparse follow-up data.
   Biometrics 41, 55-68.
.. [4] Sato, T., Greenland, S., & Robins, J. M. (1989). On the variance estimator for the Mantel-Haenszel risk
   difference. Biometrics 45, 1323-1324.
.. [5] Yusuf, S. et al. (1985). Beta blockade during and after myocardial infarction: an overview of the randomized
   trials. Prog Cardiovasc Dis 27, 335-371.
.. [6] Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .core import chi2_sf, z_crit, z_pval
from .errors import NoStudiesError
from .escalc import RATIO, binary_cells, effect_sizes

__all__ = ["BinaryPoolResult", "pool_mh", "pool_peto", "MH_MEASURES"]

MH_MEASURES = ("RR", "OR", "RD")


@dataclass(frozen=True)
class BinaryPoolResult:
    """The result of :func:`pool_mh` or :func:`pool_peto` (metafor ``rma.mh`` / ``rma.peto``).

    Attributes
    ----------
    method : {"MH", "PETO"}
    measure : {"RR", "OR", "RD", "PETO"}
    level : float
    k : int
        Tables pooled (double-zero tables included: they add nothing to the ratio sums but count for RD).
    k_yi : int
        Tables with an observed outcome (double zeros left out): the heterogeneity statistics use these.
    estimate, se : float
        Pooled effect (log scale for RR, OR, PETO) and its standard error.
    ci_low, ci_high : float
        Confidence interval on the same scale.
    statistic, pval : float
        z and its two-sided p-value.
    df : float
        ``inf`` (a z test), as :class:`~peerstats.meta.PoolResult`.
    tau2 : float
        0 (fixed-effect methods).
    i2, h2 : float
        I-squared (percent) and H-squared from ``q``.
    q, q_df, q_pval : float, int, float
        Cochran's Q (Peto's Q for ``"PETO"``), ``k_yi - 1`` and the p-value.
    weights : numpy.ndarray
        Each table's weight in percent (metafor ``weights()``): OR :math:`b_i c_i/N_i`, RR :math:`c_i n_{1i}/N_i`,
        RD :math:`n_{1i} n_{2i}/N_i`, Peto :math:`V_i`. These are the weights RevMan shows.
    """

    method: str
    measure: str
    level: float
    k: int
    k_yi: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    pval: float
    df: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pval: float
    weights: np.ndarray = field(repr=False)

    @property
    def ratio(self) -> bool:
        """True when ``estimate`` is a log ratio (RR, OR, PETO)."""
        return self.measure in RATIO

    def natural(self) -> tuple[float, float, float]:
        """``(estimate, ci_low, ci_high)`` on the measure's natural scale: exponentiated for ratios."""
        if self.ratio:
            return math.exp(self.estimate), math.exp(self.ci_low), math.exp(self.ci_high)
        return self.estimate, self.ci_low, self.ci_high


def _check_level(level):
    if not (0 < level < 1):
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")


def _tables(ai, n1i, ci, n2i):
    a, b, c, d = binary_cells(ai, n1i, ci, n2i)
    ok = np.isfinite(a) & np.isfinite(b) & np.isfinite(c) & np.isfinite(d)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise ValueError(f"every table needs ai, n1i, ci and n2i; a value is missing at index {i}")
    if a.size == 0:
        raise NoStudiesError("no tables to pool")
    return a, b, c, d


def _heterogeneity(q, k_yi):
    if k_yi > 1:
        df = k_yi - 1
        return q, df, chi2_sf(q, df), max(0.0, 100 * (q - df) / q) if q > 0 else 0.0, q / df
    return 0.0, 0, 1.0, 0.0, 1.0


def _result(method, measure, level, k, k_yi, est, se, q, w):
    if not (math.isfinite(se) and se > 0 and math.isfinite(est)):
        raise ValueError(f"the pooled {measure} has no usable standard error (SE = {se:g}): e.g. every participant "
                         "had the event (or none did) in every study")
    crit = z_crit(level)
    z = est / se
    q, q_df, q_pval, i2, h2 = _heterogeneity(q, k_yi)
    return BinaryPoolResult(method=method, measure=measure, level=level, k=k, k_yi=k_yi, estimate=float(est),
                            se=float(se), ci_low=float(est - crit * se), ci_high=float(est + crit * se),
                            statistic=float(z), pval=z_pval(z), df=math.inf, tau2=0.0,
                            i2=float(i2), h2=float(h2), q=float(q), q_df=int(q_df), q_pval=float(q_pval),
                            weights=100 * w / w.sum())


def _observed(measure, a, b, c, d):
    """metafor's observed outcomes for the Q test: corrected tables, double zeros (either way) left out."""
    yi, vi = effect_sizes(measure, ai=a, bi=b, ci=c, di=d)
    keep = ~(((a == 0) & (c == 0)) | ((b == 0) & (d == 0))) & np.isfinite(yi) & np.isfinite(vi)
    return yi[keep], vi[keep]


def pool_mh(ai, n1i, ci, n2i, measure: str = "OR", level: float = 0.95) -> BinaryPoolResult:
    """Mantel-Haenszel fixed-effect pooling of 2x2 tables (metafor ``rma.mh(ai, n1i, ci, n2i, measure)``).

    Parameters
    ----------
    ai, ci : array_like
        Events in the intervention and control arms.
    n1i, n2i : array_like
        Arm sizes.
    measure : {"OR", "RR", "RD"}
    level : float
        Confidence level.

    Returns
    -------
    BinaryPoolResult
        ``estimate`` is the log MH odds / risk ratio, or the MH risk difference.

    Raises
    ------
    ValueError
        Unknown measure, a missing or impossible count (negative, events > N), or a pooled ratio that is not
        estimable (no events in one arm of every table: metafor returns NA), or a standard error of 0 (every
        participant had the event, or none did, in every table: metafor returns SE 0 and no test).
    NoStudiesError
        No tables.

    Examples
    --------
    >>> r = pool_mh([4, 6], [50, 60], [8, 9], [50, 58], measure="RR")
    >>> round(r.natural()[0], 4)
    0.5771
    """
    measure = str(measure).upper()
    if measure not in MH_MEASURES:
        raise ValueError(f"Mantel-Haenszel pools RR, OR or RD; got {measure!r}")
    _check_level(level)
    a, b, c, d = _tables(ai, n1i, ci, n2i)
    n1, n2 = a + b, c + d
    n = n1 + n2
    if measure == "OR":
        p, qq = (a + d) / n, (b + c) / n
        r_i, s_i = a * d / n, b * c / n
        r, s = r_i.sum(), s_i.sum()
        if r == 0 or s == 0:
            raise ValueError("the Mantel-Haenszel odds ratio is not estimable: "
                             + ("no table has events in the intervention arm and non-events in the control arm"
                                if r == 0 else "no table has events in the control arm and non-events in the "
                                               "intervention arm"))
        est = math.log(r / s)
        var = 0.5 * ((p * r_i).sum() / r**2 + (p * s_i + qq * r_i).sum() / (r * s) + (qq * s_i).sum() / s**2)
        w = s_i
    elif measure == "RR":
        r, s = (a * n2 / n).sum(), (c * n1 / n).sum()
        if a.sum() == 0 or c.sum() == 0:
            raise ValueError("the Mantel-Haenszel risk ratio is not estimable: no events in the "
                             + ("intervention" if a.sum() == 0 else "control") + " arm of any study")
        est = math.log(r / s)
        var = ((n1 * n2 * (a + c) / n**2) - a * c / n).sum() / (r * s)
        w = c * n1 / n
    else:
        wsum = (n1 * n2 / n).sum()
        est = (a * n2 / n - c * n1 / n).sum() / wsum
        var = (est * (c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + (n1 / n) * (n2 / n) * (n2 - n1) / 2).sum()
               + (a * (n2 - c) / n + c * (n1 - a) / n).sum() / 2) / wsum**2
        w = n1 * n2 / n
    yi, vi = _observed(measure, a, b, c, d)
    q = max(0.0, float(((yi - est) ** 2 / vi).sum())) if yi.size > 1 else 0.0
    return _result("MH", measure, level, a.size, yi.size, est, math.sqrt(var), q, w)


def pool_peto(ai, n1i, ci, n2i, level: float = 0.95) -> BinaryPoolResult:
    """Peto's one-step odds ratio (metafor ``rma.peto(ai, n1i, ci, n2i)``).

    Parameters
    ----------
    ai, n1i, ci, n2i, level
        As :func:`pool_mh`: events and sizes of the intervention and control arms, confidence level.

    Returns
    -------
    BinaryPoolResult
        ``estimate`` is the log Peto odds ratio.

    Raises
    ------
    ValueError
        A missing or impossible count, or no table with both outcomes (every :math:`V_i = 0`: metafor stops).
    NoStudiesError
        No tables.

    Examples
    --------
    >>> r = pool_peto([4, 6], [50, 60], [8, 9], [50, 58])
    >>> round(r.natural()[0], 4)
    0.5445
    """
    _check_level(level)
    a, b, c, d = _tables(ai, n1i, ci, n2i)
    n1, n2 = a + b, c + d
    n = n1 + n2
    xt, yt = a + c, b + d
    e = xt * n1 / n
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(n > 1, xt * yt * (n1 / n) * (n2 / n) / (n - 1), 0.0)
    if v.sum() == 0:
        raise ValueError("Peto's method cannot be used: one of the two outcomes never occurred in any study")
    o_e = a - e
    est = o_e.sum() / v.sum()
    pos = v > 0
    q = max(0.0, float((o_e[pos] ** 2 / v[pos]).sum() - o_e.sum() ** 2 / v.sum()))
    k_yi = _observed("PETO", a, b, c, d)[0].size
    return _result("PETO", "PETO", level, a.size, k_yi, est, math.sqrt(1 / v.sum()), q, v)
