"""Case-deletion (influence) diagnostics of an intercept-only meta-analysis, as metafor ``influence.rma.uni``.

Notation: the full model has estimate :math:`\\hat\\mu`, heterogeneity :math:`\\hat\\tau^2`, weights
:math:`w_i = 1/(v_i + \\hat\\tau^2)` and :math:`\\mathrm{Var}(\\hat\\mu) = 1/\\sum w_i`. Deleting study *i* and
refitting with the same estimator gives :math:`\\hat\\mu_{(i)}`, :math:`\\hat\\tau^2_{(i)}`,
:math:`\\mathrm{Var}(\\hat\\mu_{(i)})` and Cochran's :math:`Q_{(i)}`. Then (Viechtbauer & Cheung 2010):

- externally standardised residual
  :math:`r_i = (y_i - \\hat\\mu_{(i)}) / \\sqrt{v_i + \\hat\\tau^2_{(i)} + \\mathrm{Var}(\\hat\\mu_{(i)})}`;
- hat value :math:`h_i = w_i / \\sum w_j` and weight :math:`100\\, h_i` percent;
- DFFITS :math:`(\\hat\\mu - \\hat\\mu_{(i)}) / \\sqrt{h_i (\\hat\\tau^2_{(i)} + v_i)}`;
- Cook's distance :math:`(\\hat\\mu - \\hat\\mu_{(i)})^2 / \\mathrm{Var}(\\hat\\mu)`;
- covariance ratio :math:`\\mathrm{Var}(\\hat\\mu_{(i)}) / \\mathrm{Var}(\\hat\\mu)`;
- DFBETAS :math:`(\\hat\\mu - \\hat\\mu_{(i)}) / \\sqrt{1 / \\sum_j 1/(v_j + \\hat\\tau^2_{(i)})}` (sum over all
  k studies, as metafor);
- metafor's flag of an influential study: :math:`|\\mathrm{DFFITS}| > 3\\sqrt{1/(k-1)}`, or
  :math:`P(\\chi^2_1 \\le \\text{Cook's } D) > 0.5`, or :math:`h_i > 3/k`, or :math:`|\\mathrm{DFBETAS}| > 1`.

The Baujat plot (Baujat et al. 2002) puts each study's contribution to the heterogeneity statistic,
:math:`(y_i - \\hat\\mu)^2 / (v_i + \\hat\\tau^2)`, against its influence on the pooled result,
:math:`(\\hat\\mu - \\hat\\mu_{(i)})^2 / \\mathrm{Var}(\\hat\\mu_{(i)})` (metafor ``baujat.rma``).

References
----------
.. [1] Viechtbauer, W., & Cheung, M. W.-L. (2010). Outlier and influence diagnostics for meta-analysis. Research
   Synthesis Methods, 1, 112-125.
.. [2] Baujat, B., Mahe, C., Pignon, J.-P., & Hill, C. (2002). A graphical method for exploring heterogeneity in
   meta-analyses. Statistics in Medicine, 21, 2641-2652.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from .errors import ConvergenceError, TooFewStudiesError
from .core import check_options, fit_model, intercept_design, validate_yi_vi

__all__ = ["INFLUENCE_COLUMNS", "baujat", "influence"]

INFLUENCE_COLUMNS = ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight", "dfbetas", "inf")


def influence(yi, vi, method: str = "DL") -> pd.DataFrame:
    """Leave-one-out influence diagnostics (metafor ``influence(rma(yi, vi, method=method))``).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances (``vi`` > 0), k >= 2.
    method : {"FE", "DL", "REML", "PM"}
        Heterogeneity estimator of the full and of every leave-one-out model.

    Returns
    -------
    pandas.DataFrame
        One row per study in input order with columns ``rstudent``, ``dffits``, ``cook_d``, ``cov_r``, ``tau2_del``
        (tau2 without the study), ``qe_del`` (Cochran's Q without the study), ``hat`` (a proportion), ``weight``
        (percent), ``dfbetas`` and ``inf`` (bool, metafor's ``*`` flag); formulas in the module docstring. A row is
        ``nan`` (``inf`` False) when the model without that study does not converge (metafor: NA).

    Raises
    ------
    TooFewStudiesError
        If k < 2 (metafor: "Stopped because k = 1"); a ValueError, as before.
    ValueError
        If the input or an option is invalid.
    ConvergenceError
        If the full model does not converge.
    """
    yi, vi, full = _full_model(yi, vi, method, "influence diagnostics")
    k = yi.size
    mu = float(full.beta[0])
    vb = float(full.vb[0, 0])
    hat = full.w / full.w.sum()
    mu_del, vb_del, tau2_del, qe_del = _deletion(yi, vi, method)
    resid = yi - mu_del
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0  # as metafor
    rstudent = resid / np.sqrt(vi + vb_del + tau2_del)
    diff = mu - mu_del
    dffits = diff / np.sqrt(hat * (tau2_del + vi))
    vb_all = 1.0 / (1.0 / (vi[None, :] + tau2_del[:, None])).sum(axis=1)
    dfbetas = diff / np.sqrt(vb_all)
    cook_d = diff * diff / vb
    cov_r = vb_del / vb
    with np.errstate(invalid="ignore"):
        flag = ((np.abs(dffits) > 3 * math.sqrt(1 / (k - 1))) | (special.chdtr(1, cook_d) > 0.5) | (hat > 3 / k)
                | (np.abs(dfbetas) > 1))
    flag &= np.isfinite(mu_del)
    return pd.DataFrame({"rstudent": rstudent, "dffits": dffits, "cook_d": cook_d, "cov_r": cov_r,
                         "tau2_del": tau2_del, "qe_del": qe_del, "hat": hat, "weight": 100 * hat,
                         "dfbetas": dfbetas, "inf": flag})


def baujat(yi, vi, method: str = "FE") -> pd.DataFrame:
    """Coordinates of the Baujat plot (metafor ``baujat(rma(yi, vi, method=method))``).

    Returns
    -------
    pandas.DataFrame
        One row per study in input order: ``x`` = :math:`(y_i - \\hat\\mu)^2 / (v_i + \\hat\\tau^2)`
        (contribution to Q; with ``"FE"`` they sum to Cochran's Q) and ``y`` =
        :math:`(\\hat\\mu - \\hat\\mu_{(i)})^2 / \\mathrm{Var}(\\hat\\mu_{(i)})` (influence on the pooled
        result). ``nan`` where the model without the study does not converge.
    """
    yi, vi, full = _full_model(yi, vi, method, "a Baujat plot")
    mu = float(full.beta[0])
    mu_del, vb_del, _, _ = _deletion(yi, vi, method)
    return pd.DataFrame({"x": (yi - mu) ** 2 / (vi + full.tau2), "y": (mu - mu_del) ** 2 / vb_del})


def _full_model(yi, vi, method: str, what: str):
    """Validated ``yi``, ``vi`` and the fitted random/fixed-effects model of all studies (z test, 95%), after the
    checks both diagnostics share; ``what`` names the analysis in the k < 2 message ("a Baujat plot")."""
    check_options(method, "z", 0.95)
    yi, vi = validate_yi_vi(yi, vi)
    if yi.size < 2:
        raise TooFewStudiesError(yi.size, 2, what)
    return yi, vi, fit_model(yi, vi, intercept_design(yi.size), method, "z", 0.95)


def _deletion(yi: np.ndarray, vi: np.ndarray, method: str):
    """Leave-one-out fits: (estimate, its variance, tau2, Cochran's Q) without each study; nan if not converged."""
    k = yi.size
    out = np.full((4, k), np.nan)
    keep = np.ones(k, dtype=bool)
    for i in range(k):
        keep[i] = False
        try:
            m = fit_model(yi[keep], vi[keep], intercept_design(k - 1), method, "z", 0.95)
            out[:, i] = m.beta[0], m.vb[0, 0], m.tau2, m.q
        except ConvergenceError:
            pass
        keep[i] = True
    return out[0], out[1], out[2], out[3]
