"""Subgroup analyses: separate-tau2 Q-between (RevMan / CMA), the mixed-effects QM (metafor ``rma(mods = ~ factor)``)
and the pairwise difference of two separately pooled subgroups.

See :mod:`peerstats.rma` for the model, estimators and references.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from scipy import stats

from .core import NAN, check_options, chi2_sf, fit_model, ratio, validate_yi_vi
from .rma import pool

__all__ = ['SubgroupResult', 'MixedSubgroupResult', 'PairwiseResult', 'subgroup_test', 'mixed_subgroup_test',
           'pairwise_difference', 'published_beside']

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


# ----------------------------------------------------------------------------------------------------------------
# pairwise comparison of two subgroups
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairwiseResult:
    """Difference between two separately pooled subgroups (``group1 - group2``).

    Attributes
    ----------
    group1, group2 : object
        The subgroup labels.
    estimate, se : float
        ``est1 - est2`` and ``sqrt(se1^2 + se2^2)``.
    zval, pval : float
        ``estimate / se`` and its two-sided normal p-value.
    ci_low, ci_high : float
        ``estimate -/+ z_{1-(1-level)/2} se``.
    k1, k2 : int
        Studies in each subgroup.
    level : float
    """

    group1: Any
    group2: Any
    estimate: float
    se: float
    zval: float
    pval: float
    ci_low: float
    ci_high: float
    k1: int
    k2: int
    level: float = 0.95


def pairwise_difference(result: SubgroupResult, group1, group2, level: float = 0.95) -> PairwiseResult:
    """Compare two levels of a moderator: the difference of their separately pooled estimates.

    .. math:: d = \\hat\\mu_1 - \\hat\\mu_2, \\quad SE_d = \\sqrt{SE_1^2 + SE_2^2}, \\quad
              z = d / SE_d, \\quad p = 2\\,(1 - \\Phi(|z|)), \\quad d \\pm z_{1-\\alpha/2} SE_d

    The two subgroups are independent (no trial in both), each pooled with its own tau2 as in
    :func:`subgroup_test`; this equals metafor's ``rma(yi = c(est1, est2), sei = c(se1, se2),
    mods = ~ factor(c(2, 1)), method = "FE")`` coefficient (``validation/pairwise_reference.R``). With two subgroups
    ``z^2`` is the Q-between of :func:`subgroup_test`. The test is a z test whatever the subgroups' own ``test``
    (with Knapp-Hartung subgroups their SEs are the adjusted ones and the normal reference is an approximation).

    Parameters
    ----------
    result : SubgroupResult
        From :func:`subgroup_test`.
    group1, group2 : object
        Two different labels of ``result.subgroups``.
    level : float
        Confidence level of the interval.

    Returns
    -------
    PairwiseResult

    References
    ----------
    .. [1] Altman DG, Bland JM. Interaction revisited: the difference between two estimates. BMJ 2003;326:219.
    .. [2] Cochrane Handbook v6.4, section 10.11.3.1 (comparing subgroups).
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level}")
    if group1 == group2:
        raise ValueError("compare two different subgroups")
    missing = [g for g in (group1, group2) if g not in result.subgroups]
    if missing:
        raise ValueError(f"no subgroup {missing[0]!r} (subgroups: {', '.join(map(str, result.subgroups))})")
    a, b = result.subgroups[group1], result.subgroups[group2]
    d = float(a.estimate - b.estimate)
    se = float(math.sqrt(a.se ** 2 + b.se ** 2))
    z = d / se if se > 0 else NAN
    p = float(2.0 * stats.norm.sf(abs(z))) if math.isfinite(z) else NAN
    crit = float(stats.norm.ppf(1.0 - (1.0 - level) / 2.0))
    return PairwiseResult(group1, group2, d, se, float(z), p, d - crit * se, d + crit * se, int(a.k), int(b.k),
                          level)


def published_beside(table: pd.DataFrame, published: pd.DataFrame, outcome: str,
                     tolerance: float = 0.005) -> pd.DataFrame:
    """The paper's subgroup result beside each recomputed subgroup, and whether they differ at the paper's rounding.

    Parameters
    ----------
    table : DataFrame
        :meth:`SubgroupResult.table` of ``outcome`` split by the paper's organisational ``category``.
    published : DataFrame
        ``data/published.csv`` (``Evidence.published``): ``category, outcome, status, k, smd, ci_low, ci_high``.
    outcome : str
    tolerance : float
        Half a unit of the paper's last digit (SMD and CI to two decimals).

    Returns
    -------
    DataFrame
        One row per row of ``table``: ``group, status`` (the paper's: reported, not_significant, ... or ``""``
        when the paper has no cell), ``k_published, smd_published, ci_low_published, ci_high_published``,
        ``differs`` (a reported cell whose SMD or a CI bound is off by more than ``tolerance`` or whose k differs;
        a "not significant" cell whose recomputed CI excludes 0; a "no studies" cell with trials) and ``what`` (the
        parts that differ, in words).
    """
    pub = published[published["outcome"].astype(str) == outcome] if len(published) else published
    if len(pub):
        pub = pub.set_index(pub["category"].astype(str))
    rows = []
    for _, r in table.iterrows():
        g = str(r["group"])
        row = {"group": r["group"], "status": "", "k_published": np.nan, "smd_published": np.nan,
               "ci_low_published": np.nan, "ci_high_published": np.nan, "differs": False, "what": ""}
        if len(pub) and g in pub.index:
            c = pub.loc[g]
            c = c.iloc[0] if isinstance(c, pd.DataFrame) else c
            status = str(c["status"])
            row["status"] = status
            if status == "reported":
                num = {f: pd.to_numeric(c[f], errors="coerce") for f in ("k", "smd", "ci_low", "ci_high")}
                row.update(k_published=num["k"], smd_published=num["smd"], ci_low_published=num["ci_low"],
                           ci_high_published=num["ci_high"])
                parts = [w for w, a, b in (("SMD", r["estimate"], num["smd"]), ("lower limit", r["ci_low"],
                                                                                num["ci_low"]),
                                           ("upper limit", r["ci_high"], num["ci_high"]))
                         if np.isfinite(b) and not abs(float(a) - float(b)) <= tolerance + 1e-9]
                if np.isfinite(num["k"]) and int(r["k"]) != int(num["k"]):
                    parts.append("k")
                row.update(differs=bool(parts), what=", ".join(parts))
            elif status == "not_significant" and (r["ci_low"] > 0 or r["ci_high"] < 0):
                row.update(differs=True, what="significance (the paper: not significant)")
            elif status == "no_studies" and int(r["k"]) > 0:
                row.update(differs=True, what="k (the paper: no studies)")
        rows.append(row)
    return pd.DataFrame(rows, columns=["group", "status", "k_published", "smd_published", "ci_low_published",
                                       "ci_high_published", "differs", "what"])
