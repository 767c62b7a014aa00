"""Subgroup analyses: separate-tau2 Q-between (RevMan / CMA) and the mixed-effects QM (metafor ``rma(mods = ~ factor)``).

See :mod:`peerstats.rma` for the model, estimators and references.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .core import NAN, check_options, chi2_sf, fit_model, ratio, validate_yi_vi
from .rma import pool

__all__ = ['SubgroupResult', 'MixedSubgroupResult', 'subgroup_test', 'mixed_subgroup_test']

# ----------------------------------------------------------------------------------------------------------------
# subgroups
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubgroupResult:
    """Test for subgroup differences with a separate tau2 per subgroup (RevMan / CMA).

    Attributes
    ----------
    q_between, df, pval : float, int, float
        Fixed-effect Q over the subgroup estimates, ``sum (est_g - est_bar)^2 / se_g^2`` on ``G - 1`` df, and its
        chi-square p-value; ``nan`` with fewer than two subgroups.
    subgroups : dict
        Subgroup label -> :class:`PoolResult`, in order of first appearance.
    method : str
    """

    q_between: float
    df: int
    pval: float
    subgroups: dict = field(repr=False)
    method: str = "DL"

    def table(self) -> pd.DataFrame:
        """One row per subgroup: group, k, estimate, se, ci_low, ci_high, pi_low, pi_high, pval, tau2, i2, q."""
        cols = ["k", "estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high", "pval", "tau2", "i2", "q", "q_pval"]
        rows = [{"group": g, **{c: getattr(r, c) for c in cols}} for g, r in self.subgroups.items()]
        return pd.DataFrame(rows, columns=["group", *cols])


def _group_indices(groups, k: int) -> dict[Any, np.ndarray]:
    g = np.asarray(groups, dtype=object)
    if g.shape != (k,):
        raise ValueError(f"groups must have one label per study ({k}); got shape {g.shape}")
    out: dict[Any, list[int]] = {}
    for i, label in enumerate(g):
        if label is None or (isinstance(label, float) and math.isnan(label)):
            raise ValueError(f"groups has a missing label at index {i}")
        out.setdefault(label, []).append(i)
    return {label: np.array(ix) for label, ix in out.items()}


def subgroup_test(yi, vi, groups, method: str = "DL", test: str = "z", level: float = 0.95) -> SubgroupResult:
    """Pool each subgroup separately (its own tau2) and test whether the subgroup estimates differ.

    .. math:: Q_{between} = \\sum_g \\frac{(\\hat\\mu_g - \\bar\\mu)^2}{SE_g^2}, \\quad
              \\bar\\mu = \\frac{\\sum_g \\hat\\mu_g / SE_g^2}{\\sum_g 1/SE_g^2}, \\quad df = G - 1

    This is the test RevMan and Comprehensive Meta-Analysis report, and equals metafor's
    ``rma(est, sei=se, method="FE")`` Q over the subgroup estimates.

    Parameters
    ----------
    yi, vi : array_like
    groups : array_like
        One label per study.
    method, test, level
        As in :func:`pool`, applied within each subgroup.

    Returns
    -------
    SubgroupResult
    """
    check_options(method, test, level)
    yi, vi = validate_yi_vi(yi, vi)
    idx = _group_indices(groups, yi.size)
    subgroups = {label: pool(yi[ix], vi[ix], method, test, level) for label, ix in idx.items()}
    if len(subgroups) < 2:
        return SubgroupResult(NAN, 0, NAN, subgroups, method)
    est = np.array([r.estimate for r in subgroups.values()])
    w = 1.0 / np.array([r.se for r in subgroups.values()]) ** 2
    mean = float(np.dot(w, est) / w.sum())
    qb = float(np.dot(w, (est - mean) ** 2))
    df = len(subgroups) - 1
    return SubgroupResult(qb, df, chi2_sf(qb, df), subgroups, method)


@dataclass(frozen=True)
class MixedSubgroupResult:
    """Mixed-effects subgroup analysis with a common tau2: metafor ``rma(yi, vi, mods = ~ factor(group))``.

    Attributes
    ----------
    qm, qm_df, qm_pval : float, int, float
        Omnibus test of the group coefficients (chi-square for ``test="z"``; an F statistic on
        ``(qm_df, k - G)`` df for ``"knha"``, as metafor).
    tau2 : float
        The residual (common) between-study variance.
    qe, qe_df, qe_pval : float, int, float
        Test for residual heterogeneity.
    coefficients : pandas.DataFrame
        term, estimate, se, statistic, pval, ci_low, ci_high; the intercept is the first level in sorted order (R's
        ``factor`` default) and the other terms are differences from it.
    levels : tuple
        The group levels in the order of the design matrix.
    """

    qm: float
    qm_df: int
    qm_pval: float
    tau2: float
    qe: float
    qe_df: int
    qe_pval: float
    coefficients: pd.DataFrame = field(repr=False)
    levels: tuple = ()
    method: str = "DL"
    test: str = "z"


def mixed_subgroup_test(yi, vi, groups, method: str = "DL", test: str = "z",
                        level: float = 0.95) -> MixedSubgroupResult:
    """Subgroup differences under a common tau2 (mixed-effects meta-regression on a factor).

    The model is :math:`y_i = \\beta_0 + \\sum_{g>1} \\beta_g [G_i = g] + u_i + e_i`, with tau2 estimated by
    ``method`` from the residuals; ``QM = b' V^{-1} b`` over the group coefficients.
    """
    check_options(method, test, level)
    yi, vi = validate_yi_vi(yi, vi)
    k = yi.size
    idx = _group_indices(groups, k)
    levels = tuple(sorted(idx, key=lambda v: (str(type(v)), v)))
    if len(levels) < 2:
        raise ValueError("mixed_subgroup_test needs at least two groups")
    if k <= len(levels):
        raise ValueError(f"mixed_subgroup_test needs more studies (k = {k}) than groups ({len(levels)})")
    X = np.zeros((k, len(levels)))
    X[:, 0] = 1.0
    for j, level_ in enumerate(levels[1:], start=1):
        X[idx[level_], j] = 1.0
    m = fit_model(yi, vi, X, method, test, level)
    p = X.shape[1]
    qm, qm_pval = m.omnibus()
    se = np.sqrt(np.diag(m.vb))
    statistic = ratio(m.beta, se)
    crit = m.crit
    coefs = pd.DataFrame({
        "term": ["intrcpt", *[f"group{lv}" for lv in levels[1:]]],
        "estimate": m.beta, "se": se, "statistic": statistic,
        "pval": [m.pvalue(s) for s in statistic],
        "ci_low": m.beta - crit * se, "ci_high": m.beta + crit * se,
    })
    return MixedSubgroupResult(qm, p - 1, qm_pval, m.tau2, m.q, m.q_df, chi2_sf(m.q, m.q_df), coefs,
                               levels, method, test)
