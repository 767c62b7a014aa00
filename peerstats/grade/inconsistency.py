"""Inconsistency (Core GRADE 3; Guyatt et al., BMJ 2025;389:e081905): where the effects of new settings may lie,
against the thresholds of the target, with no I² cut-off and without counting imprecision twice.

The prediction interval (Cochrane Handbook 6, section 10.10.4.3; Higgins, Thompson & Spiegelhalter 2009)
-------------------------------------------------------------------------------------------------------
.. math:: \\hat\\mu \\pm t_{k-2,\\,0.975} \\sqrt{\\hat\\tau^2 + SE(\\hat\\mu)^2}, \\qquad k \\ge 3

(:func:`prediction_interval`). metafor's ``predict(rma(...))`` uses z (or t(k-1) with ``test="knha"``), which for few
trials is too narrow: with k = 4 the quantile is 4.30, not 1.96.

Rule (effects in the beneficial direction)
------------------------------------------
* k = 1: not assessable (not rated down).
* k = 2 (no prediction interval): serious when the two trials' point estimates fall on opposite sides of a threshold
  and their 95% CIs do not overlap (Core GRADE 3's criteria: point estimates against the threshold, CI overlap).
* k >= 3: the thresholds the prediction interval crosses *because of between-trial variance* are those it crosses and
  the same interval without tau² (``mu ± t(k-2) SE``, which holds the CI) does not. One or more: serious (-1); when the
  prediction interval then spans both an important benefit and an important harm (beyond ±MID): very serious (-2).
  A threshold the CI itself crosses is imprecision's concern (rated there, not twice); the reason says so. tau² = 0
  gives no such threshold; tau² growing from 0 moves the interval continuously: no cliff at any I².
"""

from __future__ import annotations

import math

from scipy import stats

from ._base import Domain, crossed, decision_thresholds, fmt_threshold

__all__ = ["prediction_interval", "inconsistency", "inconsistency_two_trials"]


def prediction_interval(estimate: float, se: float, tau2: float, k: int, level: float = 0.95) -> tuple[float, float]:
    """``estimate ± t_{k-2, (1+level)/2} sqrt(tau2 + se^2)`` (Cochrane Handbook 10.10.4.3); ``(nan, nan)`` for k < 3."""
    if k < 3 or not all(map(math.isfinite, (estimate, se))):
        return math.nan, math.nan
    tau2 = tau2 if math.isfinite(tau2) and tau2 > 0 else 0.0
    half = float(stats.t.ppf((1 + level) / 2, k - 2)) * math.sqrt(tau2 + se * se)
    return estimate - half, estimate + half


def inconsistency(k: int, estimate: float, se: float, tau2: float, ci_low: float, ci_high: float, *,
                  mid: float = 0.2, threshold: str = "mid", i2: float = math.nan) -> Domain:
    """The inconsistency domain for k >= 3 (``estimate``, ``ci_*`` in the beneficial direction)."""
    if k < 3:
        raise ValueError("the prediction-interval rule needs k >= 3 (use inconsistency_two_trials for k = 2)")
    ts = decision_thresholds(threshold, mid)
    pi_low, pi_high = prediction_interval(estimate, se, tau2, k)
    tau2 = tau2 if math.isfinite(tau2) and tau2 > 0 else 0.0
    q = float(stats.t.ppf(0.975, k - 2))
    base_low, base_high = estimate - q * se, estimate + q * se  # the same interval without tau2
    by_pi = crossed(pi_low, pi_high, ts)
    by_ci = crossed(ci_low, ci_high, ts)
    by_base = crossed(base_low, base_high, ts)
    hetero = tuple(t for t in by_pi if t not in by_base and t not in by_ci)
    shown = (f"prediction interval {pi_low:.2f} to {pi_high:.2f} (t with {k - 2} df), tau² = {tau2:.3f}"
             + (f", I² = {i2:.0f}%" if math.isfinite(i2) else ""))
    shared = tuple(t for t in by_pi if t in by_ci)
    twice = (f" It also crosses {' and '.join(map(fmt_threshold, shared))}, as the CI does: that is imprecision's "
             "concern, rated there and not counted twice." if shared else "")
    alone = tuple(t for t in by_pi if t in by_base and t not in by_ci)
    twice += (f" It crosses {' and '.join(map(fmt_threshold, alone))} also without between-trial variation (the "
              f"pooled mean's own uncertainty with {k} trials): not inconsistency."
              if alone else "")
    if hetero and pi_low < -mid and pi_high > mid:
        return Domain("inconsistency", 2, f"Very serious: {shown}: between-trial variation alone takes it across "
                                          f"{' and '.join(map(fmt_threshold, hetero))}; a new setting could see an "
                                          f"important benefit or an important harm (beyond ±{mid:g}).{twice}")
    if hetero:
        return Domain("inconsistency", 1, f"Serious: {shown}: between-trial variation takes it across "
                                          f"{' and '.join(map(fmt_threshold, hetero))}, so settings may differ in "
                                          f"which side of the threshold their effect lies.{twice}")
    return Domain("inconsistency", 0, f"Not serious: {shown}: between-trial variation takes it across no threshold "
                                      f"the interval without it does not already cross.{twice}")


def inconsistency_two_trials(yi, vi, *, mid: float = 0.2, threshold: str = "mid") -> Domain:
    """k = 2: serious when the point estimates fall on opposite sides of a threshold and the 95% CIs do not overlap
    (``yi`` in the beneficial direction)."""
    (y1, y2), (v1, v2) = map(tuple, (yi, vi))
    z = float(stats.norm.ppf(0.975))
    lo1, hi1, lo2, hi2 = y1 - z * math.sqrt(v1), y1 + z * math.sqrt(v1), y2 - z * math.sqrt(v2), y2 + z * math.sqrt(v2)
    apart = [t for t in decision_thresholds(threshold, mid) if min(y1, y2) < t < max(y1, y2)]
    overlap = max(lo1, lo2) <= min(hi1, hi2)
    shown = f"two trials, {y1:.2f} ({lo1:.2f} to {hi1:.2f}) and {y2:.2f} ({lo2:.2f} to {hi2:.2f})"
    if apart and not overlap:
        return Domain("inconsistency", 1, f"Serious: {shown}: their estimates lie on opposite sides of "
                                          f"{' and '.join(map(fmt_threshold, apart))} and their CIs do not overlap.")
    why = ("their CIs overlap" if overlap else "their estimates lie on the same side of every threshold")
    return Domain("inconsistency", 0, f"Not serious: {shown}: {why} (too few trials for a prediction interval).")
