"""GRADE informative statements (Santesso et al. 2020, GRADE guidelines 26), with the same threshold as the
certainty (Core GRADE 2: the point estimate's position against the threshold sets the target of the rating).

* Certainty adverb: high "", moderate "probably", low "may"; very low: "The evidence is very uncertain about the
  effect of ...".
* Claim: with the MID as threshold, an effect is claimed when the point estimate reaches the MID (``|e| >= MID``),
  otherwise "little or no difference"; with "any effect", when the point estimate is not 0. The CI's own position
  against the threshold is the imprecision domain's business, and it shows in the adverb: a CI crossing the threshold
  has rated the certainty down at least once, so such a claim is never unhedged.
* Size: below 0.5 "slightly" (Cohen's medium), as Santesso's "slightly improves".
* No certainty (not assessable): no statement about the effect.
"""

from __future__ import annotations

from ._base import check_threshold

__all__ = ["LEVELS", "SYMBOLS", "ADVERBS", "LARGE", "statement", "hedge"]

LEVELS = {4: "high", 3: "moderate", 2: "low", 1: "very low"}
SYMBOLS = {4: "⊕⊕⊕⊕", 3: "⊕⊕⊕◯", 2: "⊕⊕◯◯", 1: "⊕◯◯◯"}
ADVERBS = {4: "", 3: "probably", 2: "may", 1: "may"}
LARGE = 0.5  # SMD from which an effect is not "slight" (Cohen's medium)


def hedge(certainty: int | None) -> str:
    """The certainty's hedge word: "probably" (moderate), "may" (low, very low), "" (high or no certainty)."""
    return ADVERBS.get(certainty, "") if certainty else ""


def statement(certainty: int | None, estimate: float, ci_low: float, ci_high: float, outcome: str, *,
              beneficial: int = 1, mid: float = 0.2, intervention: str = "Peer support", threshold: str = "mid",
              not_assessable: str = "") -> str:
    """The GRADE informative statement for one outcome.

    ``estimate``, ``ci_low``, ``ci_high`` are SMDs in the *raw* direction; ``beneficial`` (+1/-1) turns them into
    benefit. ``certainty`` None: no certainty (``not_assessable`` says why).

    Examples
    --------
    >>> statement(3, 0.30, 0.12, 0.48, "hope")
    'Peer support probably improves hope slightly.'
    >>> statement(2, 0.14, -0.04, 0.32, "personal recovery")
    'Peer support may make little or no difference to personal recovery.'
    >>> statement(2, 0.14, -0.04, 0.32, "personal recovery", threshold="any")
    'Peer support may improve personal recovery slightly.'
    """
    check_threshold(threshold)
    if certainty is None:
        why = f" ({not_assessable})" if not_assessable else ""
        return f"No statement on the effect of {intervention.lower()} on {outcome}: certainty not assessable{why}."
    if certainty not in LEVELS:
        raise ValueError(f"certainty must be 1-4; got {certainty!r}")
    if certainty == 1:
        return f"The evidence is very uncertain about the effect of {intervention.lower()} on {outcome}."
    sign = 1 if beneficial >= 0 else -1
    e = sign * estimate
    t = mid if threshold == "mid" else 0.0
    if abs(e) < t or e == 0:
        verb = {4: "makes", 3: "probably makes", 2: "may make"}[certainty]
        return f"{intervention} {verb} little or no difference to {outcome}."
    good = "improves" if sign > 0 else "reduces"
    bad = "worsens" if sign > 0 else "increases"
    word = good if e > 0 else bad
    if certainty == 2:  # "may improve": the bare infinitive after "may"
        word = {"improves": "improve", "reduces": "reduce", "worsens": "worsen", "increases": "increase"}[word]
    adverb = {4: "", 3: "probably ", 2: "may "}[certainty]
    slight = " slightly" if abs(e) < LARGE else ""
    return f"{intervention} {adverb}{word} {outcome}{slight}."
