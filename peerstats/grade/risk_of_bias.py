"""Risk of bias (Core GRADE 4; Guyatt et al., BMJ 2025;389:e083864): trials are classified as at low or high risk
(:mod:`peerstats.risk_of_bias`), and the decision depends on the weight of each. Unknown is not low.

Rule (percent of the pooled weight; :func:`peerstats.risk_of_bias.weight_shares`)
-------------------------------------------------------------------------------
* No trial in the view has any rating: **not assessed**; the certainty is then not assessable (no symbols) unless a
  panel sets the domain.
* Weight *not known to be at low risk* (high + unrated) below 50%: not serious (most information from trials at low
  risk: Cochrane Handbook 5.1 Table 12.2.d; Core GRADE 4).
* Otherwise serious (-1); very serious (-2) when the weight at *known* high risk alone reaches 85% (an unrated trial
  can keep the evidence from being "mostly low risk", but cannot make it very serious).
* The unrated share is always in the reason.

* Core GRADE 4's second question, whether high- and low-risk trials give different results: where the weight at
  known high risk is *substantial* (:data:`SUBSTANTIAL`, 25% or more) but not most of it, the trials at low risk are
  pooled on their own (same estimator); when that changes the conclusion about the threshold (the point estimate lands
  on the other side of a decision threshold, or its CI crosses a threshold the full CI does not), serious (-1), with
  both results in the reason. Two trials where the high-risk one carries 48% of the weight are the case this catches.
"""

from __future__ import annotations

import math

import numpy as np

from .. import risk_of_bias as rob
from ..errors import ConvergenceError
from ..rma import pool
from ._base import Domain, crossed, decision_thresholds, fmt_threshold, pct

__all__ = ["SERIOUS", "SUBSTANTIAL", "VERY_SERIOUS", "risk_of_bias", "risk_of_bias_from_shares",
           "low_risk_changes_conclusion"]

SERIOUS = 50.0
VERY_SERIOUS = 85.0
#: Weight at known high risk from which Core GRADE 4's comparison of high- and low-risk trials is made (percent).
SUBSTANTIAL = 25.0


def risk_of_bias_from_shares(s: rob.RobShares) -> Domain:
    """The domain from weight shares (percent)."""
    if s.rated <= 0:
        return Domain("risk_of_bias", 0, "Not assessed: no trial in this view has a risk-of-bias rating (AHRQ quality, "
                                         "the seven domains or RoB 2), and unknown is not low risk. Set the domain "
                                         "(override) once the trials are rated.", assessed=False)
    parts = [f"poor quality (AHRQ) {pct(s.poor)}", f"high risk in a key domain {pct(s.key_domain)}"]
    if s.has_rob2:
        parts.append(f"high risk by RoB 2 {pct(s.rob2)}")
    detail = (f"{pct(s.high)} of the weight is from trials at high risk ({'; '.join(parts)}; a trial counts once), "
              f"{pct(s.low)} at low risk, {pct(s.unknown)} not rated")
    concern = s.high + s.unknown
    if s.high >= VERY_SERIOUS:
        return Domain("risk_of_bias", 2, f"Very serious: {detail}.")
    if concern >= SERIOUS:
        why = (" (unrated trials are not counted as low risk)" if s.unknown > 0 and s.high < SERIOUS else "")
        return Domain("risk_of_bias", 1, f"Serious: {detail}: no more than half from trials known to be at low "
                                         f"risk{why}.")
    return Domain("risk_of_bias", 0, f"Not serious: {detail}: most of the weight is from trials at low risk.")


def low_risk_changes_conclusion(est: float, lo: float, hi: float, low_est: float, low_lo: float, low_hi: float,
                                thresholds) -> str:
    """Why the trials at low risk alone lead elsewhere than all trials ("" when they do not), all in the benefit
    direction: the point estimate on the other side of a decision threshold, or a CI crossing a threshold the full CI
    does not cross."""
    for t in thresholds:
        if (est - t) * (low_est - t) < 0:
            return f"the point estimate of the low-risk trials is on the other side of {fmt_threshold(t)}"
    extra = [t for t in crossed(low_lo, low_hi, thresholds) if t not in crossed(lo, hi, thresholds)]
    if extra:
        return f"the CI of the low-risk trials crosses {fmt_threshold(extra[0])}, which the full CI does not"
    return ""


def risk_of_bias(rows, weights, *, pooled=None, sign: int = 1, threshold: str = "mid", mid: float = 0.2) -> Domain:
    """The domain for the pooled ``rows`` (rating columns of :data:`peerstats.risk_of_bias.RATING_COLUMNS`) and their
    weights.

    With ``pooled`` (the view's :class:`~peerstats.rma.PoolResult`, its ``yi``/``vi`` in ``rows``), ``sign`` (+1
    when more is better) and the threshold, the rule's comparison step is made: see the module docstring.
    """
    shares = rob.weight_shares(rows, weights)
    dom = risk_of_bias_from_shares(shares)
    if pooled is None or dom.downgrade or not dom.assessed or shares.high < SUBSTANTIAL:
        return dom
    low = (rob.judgement(rows) == "low").to_numpy()
    if low.sum() < 1 or low.all():
        return dom
    yi = np.asarray(rows["yi"], dtype=float)[low]
    vi = np.asarray(rows["vi"], dtype=float)[low]
    try:
        sub = pool(yi, vi, method=getattr(pooled, "method", "DL"), test=getattr(pooled, "test", "z"),
                   level=getattr(pooled, "level", 0.95))
    except (ConvergenceError, ValueError):
        return dom
    est = sign * pooled.estimate
    lo, hi = sorted((sign * pooled.ci_low, sign * pooled.ci_high))
    s_est = sign * sub.estimate
    s_lo, s_hi = sorted((sign * sub.ci_low, sign * sub.ci_high))
    if not all(map(math.isfinite, (s_est, s_lo, s_hi))):
        return dom
    why = low_risk_changes_conclusion(est, lo, hi, s_est, s_lo, s_hi, decision_thresholds(threshold, mid))
    if not why:
        return Domain("risk_of_bias", 0, dom.reason.rstrip(".") + f"; the {int(low.sum())} trial(s) at low risk alone "
                      f"give {sub.estimate:.2f} ({sub.ci_low:.2f} to {sub.ci_high:.2f}), the same conclusion.")
    detail = dom.reason.split(": ", 1)[-1].rstrip(".")
    return Domain("risk_of_bias", 1, f"Serious: {detail}; trials at high risk carry substantial weight and the "
                  f"{int(low.sum())} trial(s) at low risk alone give {sub.estimate:.2f} ({sub.ci_low:.2f} to "
                  f"{sub.ci_high:.2f}) against {pooled.estimate:.2f} ({pooled.ci_low:.2f} to {pooled.ci_high:.2f}) for "
                  f"all: {why} (Core GRADE 4: results of high- and low-risk trials differ).")
