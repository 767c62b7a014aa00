"""Sequential re-analyses: leave-one-out (metafor ``leave1out``) and cumulative meta-analysis (``cumul``).

See :mod:`peerstats.rma` for the model, estimators and references.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .errors import TooFewStudiesError
from .core import check_options, chi2_sf, fit_model, intercept_design, ratio, validate_yi_vi
from .rma import single_study

__all__ = ['leave_one_out', 'cumulative']

# ----------------------------------------------------------------------------------------------------------------
# leave-one-out and cumulative
# ----------------------------------------------------------------------------------------------------------------

_TABLE_COLS = ["estimate", "se", "statistic", "pval", "ci_low", "ci_high", "q", "q_pval", "tau2", "i2", "h2"]


def _row(y, v, method, test, level) -> dict:
    """The leave1out/cumul row of one model, without the (slower) Q-profile intervals."""
    k = y.size
    if k == 1:
        r = single_study(y, v, method, test, level)
        return {c: getattr(r, c) for c in _TABLE_COLS}
    m = fit_model(y, v, intercept_design(k), method, test, level)
    est = float(m.beta[0])
    se = float(math.sqrt(m.vb[0, 0]))
    stat = float(ratio(est, se))
    return {"estimate": est, "se": se, "statistic": stat, "pval": m.pvalue(stat), "ci_low": est - m.crit * se,
            "ci_high": est + m.crit * se, "q": m.q, "q_pval": chi2_sf(m.q, m.q_df), "tau2": m.tau2,
            "i2": m.i2, "h2": m.h2}


def leave_one_out(yi, vi, method: str = "DL", test: str = "z", level: float = 0.95) -> pd.DataFrame:
    """Refit the model leaving out each study in turn (metafor ``leave1out``).

    Returns
    -------
    pandas.DataFrame
        One row per omitted study in input order: ``omitted`` (0-based index), estimate, se, statistic, pval,
        ci_low, ci_high, q, q_pval, tau2, i2, h2. With k = 2 each row is a single study (heterogeneity ``nan``).

    Raises
    ------
    TooFewStudiesError
        If k < 2 (nothing is left when the only study is omitted); a :class:`NoStudiesError`, as it was before.
    """
    check_options(method, test, level)
    yi, vi = validate_yi_vi(yi, vi)
    k = yi.size
    if k < 2:
        raise TooFewStudiesError(k, 2, "leave-one-out")
    keep = np.ones(k, dtype=bool)
    rows = []
    for i in range(k):
        keep[i] = False
        rows.append({"omitted": i, **_row(yi[keep], vi[keep], method, test, level)})
        keep[i] = True
    return pd.DataFrame(rows, columns=["omitted", *_TABLE_COLS])


def cumulative(yi, vi, order=None, method: str = "DL", test: str = "z", level: float = 0.95) -> pd.DataFrame:
    """Cumulative meta-analysis (metafor ``cumul``): add studies one at a time in the order of a sort key.

    Parameters
    ----------
    order : array_like, optional
        Sort key, one value per study (e.g. the publication year); studies are added in ascending, stable order.
        ``None`` keeps the input order.

    Returns
    -------
    pandas.DataFrame
        Row j pools the first j studies: ``added`` (0-based index of the study added), ``k``, estimate, se,
        statistic, pval, ci_low, ci_high, q, q_pval, tau2, i2, h2. The first row is the first study alone
        (heterogeneity ``nan``).
    """
    check_options(method, test, level)
    yi, vi = validate_yi_vi(yi, vi)
    k = yi.size
    if order is None:
        ix = np.arange(k)
    else:
        key = np.asarray(order)
        if key.shape != (k,):
            raise ValueError(f"order must have one value per study ({k}); got shape {key.shape}")
        ix = np.argsort(key, kind="stable")
    rows = []
    for j in range(1, k + 1):
        sel = ix[:j]
        rows.append({"added": int(ix[j - 1]), "k": j, **_row(yi[sel], vi[sel], method, test, level)})
    return pd.DataFrame(rows, columns=["added", "k", *_TABLE_COLS])
