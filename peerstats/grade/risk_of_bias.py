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

Core GRADE 4 also asks whether high- and low-risk trials give different results; that comparison (the Sensitivity
page's "without poor-quality trials") is the panel's, through an override.
"""

from __future__ import annotations

from .. import risk_of_bias as rob
from ._base import Domain, pct

__all__ = ["SERIOUS", "VERY_SERIOUS", "risk_of_bias", "risk_of_bias_from_shares"]

SERIOUS = 50.0
VERY_SERIOUS = 85.0


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


def risk_of_bias(rows, weights) -> Domain:
    """The domain for the pooled ``rows`` (rating columns of :data:`peerstats.risk_of_bias.RATING_COLUMNS`) and their
    weights."""
    return risk_of_bias_from_shares(rob.weight_shares(rows, weights))
