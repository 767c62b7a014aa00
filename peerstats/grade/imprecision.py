"""Imprecision (Core GRADE 2; Guyatt et al., BMJ 2025;389:e081904): the 95% CI against the threshold the statement
uses, then the optimal information size.

Rule (effects in the beneficial direction; thresholds :func:`peerstats.grade._base.decision_thresholds`)
----------------------------------------------------------------------------------------------------------
* The CI crosses an important benefit *and* an important harm (``low < -MID`` and ``high > +MID``): very serious (-2).
* Otherwise the CI crosses a threshold of the chosen target (``±MID`` for "an important effect", ``0`` for "any
  effect"): serious (-1).
* Otherwise the CI crosses no threshold; the total N is below the optimal information size (or not known): serious
  (-1); else not serious.

The optimal information size is the sample of one adequately powered trial (Core GRADE 2; GRADE guidelines 6):
``OIS = 4 (z_{1-alpha/2} + z_power)^2 / MID^2`` participants in two equal arms (785 for MID 0.2, alpha 0.05, power 0.8).
"""

from __future__ import annotations

import math

from scipy import special

from ._base import Domain, crossed, decision_thresholds, fmt_threshold

__all__ = ["optimal_information_size", "imprecision"]


def optimal_information_size(mid: float = 0.2, alpha: float = 0.05, power: float = 0.8) -> float:
    """Total participants (two equal arms) to detect an SMD of ``mid``: ``4 (z_{1-alpha/2} + z_power)^2 / mid^2``."""
    if not (mid > 0 and 0 < alpha < 1 and 0 < power < 1):
        raise ValueError("need mid > 0 and alpha, power in (0, 1)")
    z = special.ndtri(1 - alpha / 2) + special.ndtri(power)
    return float(4 * z * z / (mid * mid))


def imprecision(ci_low: float, ci_high: float, n: float, *, mid: float = 0.2, threshold: str = "mid",
                ois: float | None = None) -> Domain:
    """The imprecision domain for a CI ``(ci_low, ci_high)`` in the beneficial direction and ``n`` participants."""
    ois = optimal_information_size(mid) if ois is None else ois
    ci = f"95% CI {ci_low:.2f} to {ci_high:.2f}"
    size = f"{int(n):,} participants" if math.isfinite(n) else "participants not known"
    info = f"{size} against an optimal information size of {ois:.0f}"
    target = "an important effect (MID ±" + f"{mid:g})" if threshold == "mid" else "any effect (0)"
    if ci_low < -mid and ci_high > mid:
        return Domain("imprecision", 2, f"Very serious: the {ci} includes both an important benefit and an important "
                                        f"harm (beyond ±{mid:g}); {info}.")
    hits = crossed(ci_low, ci_high, decision_thresholds(threshold, mid))
    if hits:
        return Domain("imprecision", 1, f"Serious: the {ci} crosses {' and '.join(map(fmt_threshold, hits))}, the "
                                        f"threshold of the target ({target}); {info}.")
    if not math.isfinite(n) or n < ois:
        return Domain("imprecision", 1, f"Serious: the {ci} crosses no threshold of the target ({target}), but "
                                        f"{info} (fewer than one adequately powered trial would need).")
    return Domain("imprecision", 0, f"Not serious: the {ci} crosses no threshold of the target ({target}); {info}.")
