"""Standardised mean differences from the statistics trials report.

Arm 1 is always the peer-support arm and arm 2 the control arm, so a positive ``yi`` means a higher instrument score
under peer support. :func:`align_sign` then turns instrument direction into construct direction.

All functions broadcast over numpy arrays (scalars give 0-d results converted to ``float``) and return an
:class:`EffectSize`, which unpacks like a tuple: ``yi, vi = smd(...)``.

References
----------
.. [1] Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related estimators.
   Journal of Educational Statistics, 6(2), 107-128.
.. [2] Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw 36(3).
   ``escalc(measure="SMD")`` with its default ``vtype="LS"``.
.. [3] Higgins, J. P. T. et al. (eds.) Cochrane Handbook for Systematic Reviews of Interventions, version 6.4,
   section 6.5.2 (extracting estimates of standardised mean differences from reported statistics).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

__all__ = [
    "EffectSize",
    "hedges_j",
    "smd",
    "smd_from_md_ci",
    "smd_from_smd_ci",
    "smd_from_t",
    "smd_from_f",
    "align_sign",
]


@dataclass(frozen=True)
class EffectSize:
    """An effect size and its sampling variance (metafor's ``yi`` and ``vi``).

    Iterable, so ``yi, vi = smd(...)`` works.
    """

    yi: Any
    vi: Any

    def __iter__(self):
        return iter((self.yi, self.vi))


def _out(x):
    """Return a Python float for 0-d results, the array otherwise."""
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


def _check(name: str, values: np.ndarray, *, positive: bool = False, at_least: float | None = None) -> None:
    """Raise ``ValueError`` naming the first offending index of ``values``."""
    flat = np.atleast_1d(values)
    bad = ~np.isfinite(flat)
    if positive:
        bad |= ~(flat > 0)
    if at_least is not None:
        bad |= ~(flat >= at_least)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        rule = "finite"
        if positive:
            rule = "finite and > 0"
        if at_least is not None:
            rule = f"finite and >= {at_least:g}"
        raise ValueError(f"{name} must be {rule}; got {float(flat[i])!r} at index {i}")


def hedges_j(df):
    """Exact small-sample correction factor of Hedges (1981).

    .. math:: J(m) = \\frac{\\Gamma(m/2)}{\\sqrt{m/2}\\,\\Gamma((m-1)/2)}, \\qquad m = n_1 + n_2 - 2

    Parameters
    ----------
    df : array_like
        Degrees of freedom ``m`` (must be > 1).

    Returns
    -------
    float or ndarray
        ``J(m)``, which tends to ``1 - 3 / (4m - 1)`` for large ``m``.
    """
    m = np.asarray(df, dtype=float)
    _check("df", m, at_least=1.0 + 1e-12)
    return _out(np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2)))


def _g_and_variance(d, n1, n2) -> EffectSize:
    """Hedges' g from Cohen's d and metafor's large-sample variance (``vtype="LS"``)."""
    yi = hedges_j(n1 + n2 - 2) * d
    vi = 1.0 / n1 + 1.0 / n2 + yi**2 / (2.0 * (n1 + n2))
    return EffectSize(_out(yi), _out(vi))


def _arms(n1, n2):
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    _check("n1", n1, at_least=2)
    _check("n2", n2, at_least=2)
    return n1, n2


def smd(m1, sd1, n1, m2, sd2, n2) -> EffectSize:
    """Hedges' g from arm-level means, SDs and sizes, identical to ``escalc(measure="SMD")``.

    .. math::

        s_p = \\sqrt{\\frac{(n_1-1)s_1^2 + (n_2-1)s_2^2}{n_1+n_2-2}}, \\quad
        y_i = J(n_1+n_2-2)\\,\\frac{\\bar x_1 - \\bar x_2}{s_p}, \\quad
        v_i = \\frac{1}{n_1} + \\frac{1}{n_2} + \\frac{y_i^2}{2(n_1+n_2)}

    Parameters
    ----------
    m1, sd1, n1 : array_like
        Mean, standard deviation and size of the peer-support arm.
    m2, sd2, n2 : array_like
        The same for the control arm.

    Returns
    -------
    EffectSize
        ``yi`` (Hedges' g) and ``vi``.

    Raises
    ------
    ValueError
        If an SD is not > 0, an arm has n < 2, or a value is not finite; the message names the index.
    """
    m1, sd1, m2, sd2 = (np.asarray(a, dtype=float) for a in (m1, sd1, m2, sd2))
    _check("m1", m1)
    _check("m2", m2)
    _check("sd1", sd1, positive=True)
    _check("sd2", sd2, positive=True)
    n1, n2 = _arms(n1, n2)
    sp = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2))
    return _g_and_variance((m1 - m2) / sp, n1, n2)


def smd_from_md_ci(md, ci_low, ci_high, n1, n2, level: float = 0.95) -> EffectSize:
    """Hedges' g from a reported mean difference with its confidence interval (Cochrane Handbook 6.5.2.3).

    The interval is taken to be t-based, as trials report it for two-sample comparisons:

    .. math::

        SE = \\frac{\\text{upper} - \\text{lower}}{2\\, t_{1-\\alpha/2,\\, n_1+n_2-2}}, \\quad
        SD = \\frac{SE}{\\sqrt{1/n_1 + 1/n_2}}, \\quad d = MD / SD

    then ``g = J d`` and ``vi`` as in :func:`smd`. For large arms ``2 t`` tends to the Handbook's 3.92.
    """
    md, lo, hi = (np.asarray(a, dtype=float) for a in (md, ci_low, ci_high))
    _check("md", md)
    _check("ci_low", lo)
    _check("ci_high", hi)
    _check("ci_high - ci_low", hi - lo, positive=True)
    n1, n2 = _arms(n1, n2)
    crit = stats.t.ppf(0.5 + level / 2, n1 + n2 - 2)
    se = (hi - lo) / (2 * crit)
    sd = se / np.sqrt(1 / n1 + 1 / n2)
    return _g_and_variance(md / sd, n1, n2)


def smd_from_smd_ci(smd_value, ci_low, ci_high, level: float = 0.95) -> EffectSize:
    """Take a reported SMD as it is; its variance from the (normal-theory) confidence interval.

    .. math:: v_i = \\left(\\frac{\\text{upper} - \\text{lower}}{2 z_{1-\\alpha/2}}\\right)^2
    """
    yi, lo, hi = (np.asarray(a, dtype=float) for a in (smd_value, ci_low, ci_high))
    _check("smd", yi)
    _check("ci_high - ci_low", hi - lo, positive=True)
    z = stats.norm.ppf(0.5 + level / 2)
    return EffectSize(_out(yi), _out(((hi - lo) / (2 * z)) ** 2))


def smd_from_t(t, n1, n2) -> EffectSize:
    """Hedges' g from an independent-samples t statistic (Cochrane Handbook 6.5.2.3).

    .. math:: d = t \\sqrt{1/n_1 + 1/n_2}

    then ``g = J d`` and ``vi`` as in :func:`smd`. The sign of ``t`` must be peer minus control.
    """
    t = np.asarray(t, dtype=float)
    _check("t", t)
    n1, n2 = _arms(n1, n2)
    return _g_and_variance(t * np.sqrt(1 / n1 + 1 / n2), n1, n2)


def smd_from_f(f, n1, n2, sign) -> EffectSize:
    """Hedges' g from F(1, df) of a two-group comparison: ``t = sign * sqrt(F)``, then :func:`smd_from_t`.

    Parameters
    ----------
    sign : array_like
        +1 where the peer-support arm scored higher, -1 where lower (an F statistic carries no direction).
    """
    f = np.asarray(f, dtype=float)
    sign = np.asarray(sign, dtype=float)
    _check("f", f, at_least=0.0)
    if not np.all(np.isin(sign, (-1.0, 1.0))):
        raise ValueError("sign must be +1 or -1")
    return smd_from_t(sign * np.sqrt(f), n1, n2)


def align_sign(yi, higher_score_means_more):
    """Turn instrument direction into construct direction.

    Returns ``yi`` where a higher score means more of the construct, and ``-yi`` where the scale runs opposite
    (e.g. a hopelessness scale used for hope).
    """
    yi = np.asarray(yi, dtype=float)
    more = np.asarray(higher_score_means_more, dtype=bool)
    return _out(np.where(more, yi, -yi))
