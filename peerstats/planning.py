"""What would it take? The S-value for publication bias, the power of the next trial, the shift to the null and
the decisive trials: arrays in, results out (the engine).

S-value (Mathur & VanderWeele 2020), common-effect model. A study is *affirmative* when it is significant at
two-sided .05 with a positive estimate (:math:`y_i / \\sqrt{v_i} > z_{0.975}`), *non-affirmative* otherwise. If
publication favours affirmative studies, non-affirmative ones are under-represented; up-weighting them by a factor
:math:`\\eta` gives the common-effect estimate

.. math:: \\hat\\mu(\\eta) = \\frac{\\sum_A w_i y_i + \\eta \\sum_N w_i y_i}{\\sum_A w_i + \\eta \\sum_N w_i},
   \\qquad w_i = 1/v_i,

and the S-value is the :math:`\\eta` that brings it to :math:`q`:
:math:`\\eta = -\\sum_A w_i (y_i - q) / \\sum_N w_i (y_i - q)`. As :math:`\\eta \\to \\infty` the estimate tends to
the *worst case*, the common-effect estimate of the non-affirmative studies alone.

Power of the next trial. A new two-arm trial with ``n`` per arm and true SMD :math:`\\delta` has sampling variance
:math:`v_{new} = 2/n + \\delta^2/(4n)` (treated as known). Under the fixed-effect model the updated estimate is
normal with mean :math:`m = (\\sum w_i y_i + w_{new}\\delta)/(W + w_{new})` and sd
:math:`s = \\sqrt{w_{new}}/(W + w_{new})` (only :math:`y_{new}` is random), its standard error is
:math:`1/\\sqrt{W + w_{new}}`, so the probability that the updated CI excludes 0 is
:math:`\\Phi((m - z\\,se)/s) + \\Phi((-m - z\\,se)/s)`. For the random-effects estimators, :math:`y_{new}` is drawn
from :math:`N(\\delta, v_{new})` and the whole model (tau2 included) is refitted; the Monte Carlo standard error is
:math:`\\sqrt{p(1-p)/n_{sim}}`.

The next-trial designer (what the evidence would look like with hypothetical trials added) is
:mod:`peerstats.designer`.

References
----------
.. [1] Mathur, M. B., & VanderWeele, T. J. (2020). Sensitivity analysis for publication bias in meta-analyses.
   Journal of the Royal Statistical Society C, 69, 1091-1119.
.. [2] Sutton, A. J., Cooper, N. J., Jones, D. R., Lambert, P. C., Thompson, J. R., & Abrams, K. R. (2007).
   Evidence-based sample size calculations based upon updated meta-analysis. Statistics in Medicine, 26, 2479-2500.
.. [3] Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction to Meta-Analysis.
   Wiley, chapter 4.
.. [4] Guyatt, G. H. et al. (2011). GRADE guidelines 6: rating the quality of evidence - imprecision. J Clin
   Epidemiol, 64, 1283-1293.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from .core import NAN, validate_yi_vi, z_crit
from .rma import METHODS, pool

__all__ = ["PowerResult", "SValueResult", "decisive_trials", "new_trial_variance", "power_curve", "power_next_trial",
           "s_value", "shift_to_null"]


@dataclass(frozen=True)
class SValueResult:
    """The S-value and worst-case estimate (common-effect model).

    Attributes
    ----------
    s_value : float
        Factor by which non-affirmative studies must be up-weighted to bring the estimate to ``q``; ``nan`` when the
        estimate is already at or below ``q``, ``inf`` when no factor can (the non-affirmative studies alone stay
        above ``q``).
    estimate : float
        The common-effect estimate (eta = 1).
    worst_case, worst_case_ci_low, worst_case_ci_high : float
        Common-effect estimate and z interval of the non-affirmative studies alone (``nan`` if there are none).
    q : float
    k_affirmative, k_nonaffirmative : int
    reason : str
        Why ``s_value`` is ``nan`` or ``inf`` (empty otherwise).
    """

    s_value: float
    estimate: float
    worst_case: float
    worst_case_ci_low: float
    worst_case_ci_high: float
    q: float
    k_affirmative: int
    k_nonaffirmative: int
    reason: str = ""


def s_value(yi, vi, q: float = 0.0) -> SValueResult:
    """S-value of Mathur & VanderWeele (2020) for the common-effect model (formulas in the module docstring)."""
    yi, vi = validate_yi_vi(yi, vi)
    if not np.isfinite(q):
        raise ValueError(f"q must be finite; got {q!r}")
    w = 1.0 / vi
    aff = yi / np.sqrt(vi) > z_crit(0.95)
    non = ~aff
    est = float(np.dot(w, yi) / w.sum())
    if non.any():
        wn = w[non].sum()
        worst = float(np.dot(w[non], yi[non]) / wn)
        half = z_crit(0.95) / math.sqrt(wn)
        wc_lo, wc_hi = worst - half, worst + half
    else:
        worst = wc_lo = wc_hi = NAN
    num = float(np.dot(w[aff], yi[aff] - q))
    den = float(np.dot(w[non], yi[non] - q))
    if est <= q:
        s, reason = NAN, f"the estimate ({est:.3g}) is already at or below q = {q:g}"
    elif not non.any():
        s, reason = math.inf, "every study is affirmative, so no up-weighting of non-affirmative studies can move it"
    elif den >= 0:
        s, reason = math.inf, (f"the non-affirmative studies alone give {worst:.3g}, still above q = {q:g}: no "
                               "amount of publication bias of this kind explains the estimate away")
    else:
        s, reason = -num / den, ""
    return SValueResult(s, est, worst, wc_lo, wc_hi, float(q), int(aff.sum()), int(non.sum()), reason)


def s_value_rows(provenance, include_reconstructed: bool = False) -> np.ndarray:
    """Which rows the S-value and its worst case use: real rows (reported or derived) unless
    ``include_reconstructed``.

    Why: the S-value asks how strongly *publication* would have to favour significant trials; a reconstructed value
    was imputed to reproduce a published pooled result, never published itself, so it cannot be "affirmative" or
    "non-affirmative" in that sense (the same rule as the small-study tests).

    Parameters
    ----------
    provenance : array_like of str
        Each row's provenance (reported / derived / reconstructed).
    include_reconstructed : bool

    Returns
    -------
    ndarray of bool
    """
    prov = np.asarray(provenance, dtype=object).astype(str)
    return np.ones(prov.size, bool) if include_reconstructed else prov != "reconstructed"


def new_trial_variance(n_per_arm, true_smd):
    """Sampling variance of an SMD from a trial with ``n`` per arm: ``2/n + smd^2 / (4 n)``."""
    n = np.asarray(n_per_arm, dtype=float)
    return 2.0 / n + np.asarray(true_smd, dtype=float) ** 2 / (4.0 * n)


@dataclass(frozen=True)
class PowerResult:
    """Probability that the updated meta-analysis's CI excludes zero.

    Attributes
    ----------
    power : float
    mc_se : float
        Monte Carlo standard error (0 for the closed form).
    n_per_arm, true_smd, vi_new : float
    method : str
    level : float
    n_sim : int
        Simulations (0 for the closed form).
    current_excludes_zero : bool
        Whether the current CI (without the new trial) already excludes zero.
    """

    power: float
    mc_se: float
    n_per_arm: float
    true_smd: float
    vi_new: float
    method: str
    level: float
    n_sim: int
    current_excludes_zero: bool


def power_next_trial(yi, vi, n_per_arm, true_smd, method: str = "FE", level: float = 0.95, n_sim: int = 2000,
                     seed: int = 20261201) -> PowerResult:
    """Power of the next trial to make the updated pooled CI exclude zero.

    Parameters
    ----------
    yi, vi : array_like
        The current studies.
    n_per_arm : float
        Participants per arm of the new trial (> 1).
    true_smd : float
        Its true SMD (e.g. the current pooled estimate).
    method : {"FE", "DL", "REML", "PM"}
        ``"FE"``: closed form. Otherwise a seeded simulation of ``n_sim`` new results, each refitted with ``method``
        (``test = "z"``); ``"DL"`` is vectorised, REML/PM refit one by one.
    level : float
    n_sim, seed : int
        Simulation size and seed (random-effects methods only).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if not (0 < level < 1):
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    yi, vi = validate_yi_vi(yi, vi)
    n = float(n_per_arm)
    if not (np.isfinite(n) and n > 1):
        raise ValueError(f"n_per_arm must be a number > 1; got {n_per_arm!r}")
    d = float(true_smd)
    if not np.isfinite(d):
        raise ValueError(f"true_smd must be finite; got {true_smd!r}")
    v_new = float(new_trial_variance(n, d))
    z = z_crit(level)
    cur = pool(yi, vi, method, "z", level)
    excl = bool(cur.ci_low > 0 or cur.ci_high < 0)
    if method == "FE":
        w = 1.0 / vi
        W = w.sum() + 1.0 / v_new
        m = (np.dot(w, yi) + d / v_new) / W
        s = math.sqrt(1.0 / v_new) / W
        se = 1.0 / math.sqrt(W)
        p = float(special.ndtr((m - z * se) / s) + special.ndtr((-m - z * se) / s))
        return PowerResult(p, 0.0, n, d, v_new, method, level, 0, excl)
    if int(n_sim) < 10:
        raise ValueError(f"n_sim must be at least 10; got {n_sim!r}")
    rng = np.random.default_rng(seed)
    y_new = d + math.sqrt(v_new) * rng.standard_normal(int(n_sim))
    if method == "DL":
        hit = _dl_excludes_zero(yi, vi, y_new, v_new, z)
    else:
        # refit per draw with the engine's core fit (pool() would add Q-profile intervals nobody looks at here)
        from .core import fit_model, intercept_design
        y_all = np.append(yi, 0.0)
        v_all = np.append(vi, v_new)
        X = intercept_design(y_all.size)
        hit = np.empty(y_new.size, dtype=bool)
        for j, y in enumerate(y_new):
            y_all[-1] = y
            m = fit_model(y_all, v_all, X, method, "z", level)
            hit[j] = abs(m.beta[0]) > z * math.sqrt(m.vb[0, 0])
    p = float(hit.mean())
    return PowerResult(p, math.sqrt(p * (1 - p) / hit.size), n, d, v_new, method, level, int(hit.size), excl)


def _dl_excludes_zero(yi, vi, y_new, v_new, z) -> np.ndarray:
    """DerSimonian-Laird fit of the studies plus one new study, for each value of ``y_new`` at once."""
    w = 1.0 / vi
    w_new = 1.0 / v_new
    sw = w.sum() + w_new
    sw2 = np.dot(w, w) + w_new * w_new
    swy = np.dot(w, yi) + w_new * y_new
    swy2 = np.dot(w, yi * yi) + w_new * y_new * y_new
    q = swy2 - swy * swy / sw
    k = yi.size + 1
    tau2 = np.maximum(0.0, (q - (k - 1)) / (sw - sw2 / sw))
    wr = 1.0 / (vi[None, :] + tau2[:, None])
    wr_new = 1.0 / (v_new + tau2)
    swr = wr.sum(axis=1) + wr_new
    mu = (wr @ yi + wr_new * y_new) / swr
    se = 1.0 / np.sqrt(swr)
    return (mu - z * se > 0) | (mu + z * se < 0)


def power_curve(yi, vi, n_grid, true_smd, method: str = "FE", level: float = 0.95, n_sim: int = 2000,
                seed: int = 20261201) -> pd.DataFrame:
    """:func:`power_next_trial` over a grid of ``n_per_arm``: columns ``n_per_arm``, ``power``, ``mc_se``."""
    rows = [power_next_trial(yi, vi, n, true_smd, method, level, n_sim, seed) for n in np.asarray(n_grid, float)]
    return pd.DataFrame({"n_per_arm": [r.n_per_arm for r in rows], "power": [r.power for r in rows],
                         "mc_se": [r.mc_se for r in rows]})


def shift_to_null(yi, vi, mask, method: str = "DL", test: str = "z", level: float = 0.95, q: float = 0.0) -> float:
    """The common shift of the effects of the studies in ``mask`` that brings the pooled estimate to ``q``.

    Solves ``pool(yi + delta * mask, vi, method, test).estimate = q`` for ``delta`` (tau2 re-estimated at every
    ``delta``) by bracketing and Brent's method. With ``method = "FE"`` this is the closed form
    :math:`\\delta = (q - \\hat\\mu) \\sum w / \\sum_{mask} w`, :math:`w = 1/v`.

    Returns
    -------
    float
        ``delta`` (negative when the masked studies must look worse); ``nan`` when ``mask`` selects no study or no
        finite shift reaches ``q`` (all studies masked is fine: then ``delta = q - estimate``).
    """
    from scipy import optimize

    yi, vi = validate_yi_vi(yi, vi)
    m = np.asarray(mask, dtype=bool)
    if m.shape != yi.shape:
        raise ValueError(f"mask must have one entry per study; got {m.size} for {yi.size} studies")
    if not m.any():
        return NAN
    f = lambda d: pool(yi + d * m, vi, method, test, level).estimate - q  # noqa: E731
    f0 = f(0.0)
    if f0 == 0:
        return 0.0
    span = max(1.0, float(np.ptp(yi)), abs(f0)) * (1.0 if f0 < 0 else -1.0)
    hi = span
    for _ in range(60):
        if np.sign(f(hi)) != np.sign(f0):
            return float(optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-12, maxiter=500))
        hi *= 2.0
    return NAN


def decisive_trials(yi, vi, method: str = "DL", test: str = "z", level: float = 0.95) -> np.ndarray:
    """Indices of the studies whose removal alone changes whether the pooled CI excludes zero.

    For each study, the model without it (same ``method`` and ``test``; :func:`pool`) is compared with the full
    model: the study is decisive when exactly one of the two intervals excludes zero. Needs k >= 2 (empty otherwise).
    """
    yi, vi = validate_yi_vi(yi, vi)
    k = yi.size
    if k < 2:
        return np.array([], dtype=int)
    full = pool(yi, vi, method, test, level)
    excl = full.ci_low > 0 or full.ci_high < 0
    keep = np.ones(k, dtype=bool)
    out = []
    for i in range(k):
        keep[i] = False
        r = pool(yi[keep], vi[keep], method, test, level)
        keep[i] = True
        if (r.ci_low > 0 or r.ci_high < 0) != excl:
            out.append(i)
    return np.array(out, dtype=int)
