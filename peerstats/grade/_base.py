"""What every GRADE rule shares: the domain record, the severity words and the decision thresholds."""

from __future__ import annotations

import math
from dataclasses import dataclass

DOMAINS = ("risk_of_bias", "inconsistency", "imprecision", "publication_bias", "indirectness")
DOMAIN_LABELS = {"risk_of_bias": "Risk of bias", "inconsistency": "Inconsistency", "imprecision": "Imprecision",
                 "publication_bias": "Publication bias", "indirectness": "Indirectness"}
SEVERITY = {0: "not serious", 1: "serious", 2: "very serious"}
#: The two thresholds Core GRADE 2 allows for the target of the certainty rating: the MID, or any effect (the null).
THRESHOLDS = {"mid": "an important effect (the MID)", "any": "any effect (no effect, 0)"}


@dataclass(frozen=True)
class Domain:
    """One GRADE domain: how many levels it rates down (0, 1, 2) and why, in words.

    ``assessed`` is False when the data cannot rate the domain at all (risk of bias with no rating for any trial):
    then the certainty is not assessable until a panel sets the domain (an override).
    """

    name: str
    downgrade: int
    reason: str
    overridden: bool = False
    suggested: int | None = None  # the computed rating when overridden
    assessed: bool = True

    @property
    def label(self) -> str:
        return DOMAIN_LABELS[self.name]

    @property
    def severity(self) -> str:
        return SEVERITY[self.downgrade] if self.assessed else "not assessed"


def threshold_words(threshold: str, mid: float = 0.2) -> str:
    """The target in words: "an important effect (MID 0.2 SMD)" or "any effect (no effect, 0)"."""
    return f"an important effect (MID {mid:g} SMD)" if check_threshold(threshold) == "mid" else THRESHOLDS["any"]


def check_threshold(threshold: str) -> str:
    if threshold not in THRESHOLDS:
        raise ValueError(f"threshold must be one of {tuple(THRESHOLDS)}; got {threshold!r}")
    return threshold


def decision_thresholds(threshold: str, mid: float) -> tuple[float, ...]:
    """The effect sizes (benefit direction) at which a decision changes: ``(-mid, +mid)`` for the MID, ``(0,)`` for
    any effect."""
    return (-mid, mid) if check_threshold(threshold) == "mid" else (0.0,)


def crossed(low: float, high: float, thresholds) -> tuple[float, ...]:
    """The thresholds strictly inside ``(low, high)``: an interval crosses ``t`` when it holds values on both sides.
    An interval that ends exactly on ``t`` does not cross it (no cliff: the boundary case is the limit of both)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return tuple(thresholds)
    return tuple(t for t in thresholds if low < t < high)


def fmt_threshold(t: float) -> str:
    return "no effect (0)" if t == 0 else (f"an important benefit (+{t:g})" if t > 0 else
                                           f"an important harm ({t:g})")


def pct(x: float) -> str:
    return f"{x:.0f}%"
