"""A suggested GRADE certainty of evidence per outcome: Core GRADE (Guyatt et al., BMJ 2025, parts 1-4), one small
pure rule per domain, each with its reason in words. The table of rules with references: ``docs/grade.md``.

This is a *suggestion* for a guideline panel, computed from the current selection; every domain can be overridden
with a reason. Randomised trials start at high certainty (4) and each domain rates down by 0, 1 (serious) or 2
(very serious) levels; the certainty is ``max(1, 4 - sum)``: high, moderate, low, very low.

One threshold everywhere: the user chooses the target of the rating (Core GRADE 2), ``threshold="mid"`` (an
important effect, the MID, default 0.2 SMD) or ``"any"`` (any effect, 0); imprecision, inconsistency and the statement
all use it.

Rules (one module each)
-----------------------
* :mod:`.risk_of_bias`: weight not known to be at low risk (:mod:`peerstats.risk_of_bias`); no rating at all: not
  assessed, and the certainty is not assessable.
* :mod:`.inconsistency`: prediction interval with t(k-2) against the thresholds; crossings the CI already makes are
  imprecision's.
* :mod:`.imprecision`: the CI against the thresholds, then the optimal information size.
* :mod:`.publication_bias`: Egger's test on >= 10 real rows.
* Indirectness: set by the panel (default not serious, "not assessed from the data").
* :mod:`.imputed`: more than half of the weight on reconstructed rows: not assessable, whatever the domains say.
* :mod:`.statement`: Santesso et al. (2020) statements with the certainty's hedge.

References
----------
.. [1] Guyatt, G. et al. (2025). Core GRADE 1-4. BMJ 389: e081903 (overview), e081904 (target and imprecision),
   e081905 (inconsistency), e083864 (risk of bias, publication bias).
.. [2] Santesso, N. et al. (2020). GRADE guidelines 26: informative statements. J Clin Epidemiol 119, 126-135.
.. [3] Higgins, J. P. T. et al. (eds.) Cochrane Handbook for Systematic Reviews of Interventions, section 10.10.4.3
   (prediction intervals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..risk_of_bias import RATING_COLUMNS
from ._base import DOMAIN_LABELS, DOMAINS, SEVERITY, THRESHOLDS, Domain, check_threshold, threshold_words
from .imprecision import imprecision, optimal_information_size
from .imputed import MOSTLY_IMPUTED, NOT_ASSESSABLE_IMPUTED, imputed_caveat, reconstructed_share
from .inconsistency import inconsistency, inconsistency_two_trials, prediction_interval
from .publication_bias import publication_bias
from .risk_of_bias import risk_of_bias
from .statement import ADVERBS, LARGE, LEVELS, SYMBOLS, hedge, statement

__all__ = ["DOMAINS", "DOMAIN_LABELS", "SEVERITY", "LEVELS", "SYMBOLS", "ADVERBS", "THRESHOLDS",
           "RISK_OF_BIAS_COLUMNS", "NOT_ASSESSABLE_IMPUTED", "NOT_ASSESSABLE_ROB", "Domain", "Grade",
           "optimal_information_size", "prediction_interval", "grade_outcome", "statement", "hedge",
           "encode_overrides", "decode_overrides", "encode_threshold", "decode_threshold", "LARGE",
           "threshold_words"]

#: The trial ratings the risk-of-bias domain reads (a caller slimming the rows must keep those present).
RISK_OF_BIAS_COLUMNS = RATING_COLUMNS
NOT_ASSESSABLE_ROB = "not assessable: risk of bias not assessed"


@dataclass(frozen=True)
class Grade:
    """The suggested certainty for one outcome.

    Attributes
    ----------
    certainty : int or None
        4 high, 3 moderate, 2 low, 1 very low; ``None`` when not assessable.
    label, symbols : str
        "moderate", "⊕⊕⊕◯"; not assessable: ``label`` "not assessable", ``symbols`` "".
    domains : tuple of Domain
        In :data:`DOMAINS` order.
    statement : str
        The GRADE informative statement (Santesso et al. 2020).
    caveat : str
        The reconstructed rows' share in words (empty when there are none).
    reconstructed_share : float
        Percent of the weight on reconstructed rows.
    ois : float
        Optimal information size (participants).
    assessable : bool
        False when more than half of the weight is imputed or no trial has a risk-of-bias rating.
    not_assessable : str
        Why, e.g. :data:`NOT_ASSESSABLE_IMPUTED`; empty when assessable.
    threshold, mid : str, float
        The target of the rating ("mid" or "any") and the MID.
    """

    certainty: int | None
    label: str
    symbols: str
    domains: tuple = field(default=())
    statement: str = ""
    caveat: str = ""
    reconstructed_share: float = 0.0
    ois: float = math.nan
    assessable: bool = True
    not_assessable: str = ""
    threshold: str = "mid"
    mid: float = 0.2

    def table(self) -> pd.DataFrame:
        """One row per domain: domain, rating, downgrade, reason, overridden."""
        return pd.DataFrame({"domain": [d.label for d in self.domains],
                             "rating": [d.severity for d in self.domains],
                             "downgrade": [d.downgrade for d in self.domains],
                             "reason": [d.reason for d in self.domains],
                             "overridden": [d.overridden for d in self.domains]})

    @property
    def reasons(self) -> str:
        """The reasons of the domains that rate down, are overridden or are not assessed (the caveat is apart)."""
        return " ".join(f"{d.label}: {d.reason}" for d in self.domains if d.downgrade or d.overridden or not d.assessed)


def _override(domains: dict, overrides: dict | None) -> dict:
    for name, value in (overrides or {}).items():
        if name not in DOMAINS:
            raise ValueError(f"unknown GRADE domain {name!r}; use one of {DOMAINS}")
        down, reason = value
        if int(down) not in SEVERITY:
            raise ValueError(f"a domain rates down by 0, 1 or 2 levels; got {down!r} for {name}")
        if not str(reason).strip():
            raise ValueError(f"an override of {name} needs a reason")
        base = domains[name]
        domains[name] = Domain(name, int(down), f"{SEVERITY[int(down)].capitalize()} (set by the user: {reason}). "
                                                f"Suggested: {base.reason}", True,
                               base.downgrade if base.assessed else None)
    return domains


def grade_outcome(rows: pd.DataFrame, pooled, *, outcome: str, beneficial: int = 1, mid: float = 0.2,
                  n_participants: float | None = None, indirectness: tuple[int, str] | None = None,
                  overrides: dict | None = None, threshold: str = "mid") -> Grade:
    """Suggested GRADE certainty for one outcome of the current selection.

    Parameters
    ----------
    rows : pandas.DataFrame
        The pooled rows (``Selection.effects``): ``yi``, ``vi``, ``provenance``, ``n`` and the rating columns
        (:data:`RISK_OF_BIAS_COLUMNS`, those missing are *unknown*, not low), in the order of ``pooled.weights``.
    pooled : PoolResult
        The random-effects result for these rows (weights, estimate, se, tau2, CI, I2).
    outcome : str
        The outcome in words, for the statement ("hope").
    beneficial : int
        +1 when more is better, -1 when less is better.
    mid : float
        Minimal important difference (SMD), > 0.
    n_participants : float, optional
        Total participants; defaults to the sum of ``rows["n"]`` where present.
    indirectness : (int, str), optional
        The user's rating (0, 1, 2) and reason; default not serious, "not assessed".
    overrides : dict, optional
        ``{domain: (downgrade, reason)}`` replacing the computed rating of a domain (reason required).
    threshold : {"mid", "any"}
        The target of the rating: an important effect (the MID) or any effect (0). Imprecision, inconsistency and
        the statement use it alike.

    Returns
    -------
    Grade
    """
    if not mid > 0:
        raise ValueError(f"mid must be > 0; got {mid!r}")
    check_threshold(threshold)
    k = int(pooled.k)
    if len(rows) != k:
        raise ValueError(f"rows has {len(rows)} rows but the pooled result has k = {k}")
    w = np.asarray(pooled.weights, dtype=float)
    if n_participants is None:
        n_participants = float(pd.to_numeric(rows["n"], errors="coerce").sum()) if "n" in rows else math.nan
    sign = 1 if beneficial >= 0 else -1
    est = sign * pooled.estimate
    lo, hi = sorted((sign * pooled.ci_low, sign * pooled.ci_high))
    ois = optimal_information_size(mid)
    if k >= 3:
        se = float(getattr(pooled, "se", math.nan))
        if not math.isfinite(se):  # a result without its SE: the z-based CI's half-width / 1.96
            se = (hi - lo) / (2 * 1.959963984540054)
        tau2 = float(getattr(pooled, "tau2", 0.0))
        inc = inconsistency(k, est, se, tau2, lo, hi, mid=mid, threshold=threshold,
                            i2=float(getattr(pooled, "i2", math.nan)))
    elif k == 2:
        inc = inconsistency_two_trials(sign * pd.to_numeric(rows["yi"]).to_numpy(float),
                                       pd.to_numeric(rows["vi"]).to_numpy(float), mid=mid, threshold=threshold)
    else:
        inc = Domain("inconsistency", 0, "Not assessable: one trial.")
    ind = indirectness or (0, "")
    domains = _override({
        "risk_of_bias": risk_of_bias(rows, w, pooled=pooled, sign=sign, threshold=threshold, mid=mid),
        "inconsistency": inc,
        "imprecision": imprecision(lo, hi, n_participants, mid=mid, threshold=threshold, ois=ois),
        "publication_bias": publication_bias(rows),
        "indirectness": Domain("indirectness", int(ind[0]),
                               f"{SEVERITY[int(ind[0])].capitalize()}: {ind[1]}" if ind[1] else
                               "Not serious (not assessed from the data: set by the panel)."),
    }, overrides)
    share = reconstructed_share(rows, w)
    why = ""
    if share > MOSTLY_IMPUTED:
        why = NOT_ASSESSABLE_IMPUTED
    elif not domains["risk_of_bias"].assessed:
        why = NOT_ASSESSABLE_ROB
    certainty = None if why else max(1, 4 - sum(d.downgrade for d in domains.values()))
    return Grade(certainty=certainty, label="not assessable" if why else LEVELS[certainty],
                 symbols="" if why else SYMBOLS[certainty], domains=tuple(domains[d] for d in DOMAINS),
                 statement=statement(certainty, pooled.estimate, pooled.ci_low, pooled.ci_high, outcome,
                                     beneficial=beneficial, mid=mid, threshold=threshold,
                                     not_assessable=why.split(": ", 1)[-1]),
                 caveat=imputed_caveat(share), reconstructed_share=share, ois=ois, assessable=not why,
                 not_assessable=why, threshold=threshold, mid=mid)


def encode_threshold(threshold: str = "mid", mid: float = 0.2) -> str:
    """The target for a URL: the MID as a number (``"0.3"``), or ``"any"`` for any effect (``"any:0.3"`` keeps a
    non-default MID, which the optimal information size still uses); ``""`` for the default (MID 0.2)."""
    check_threshold(threshold)
    m = "" if abs(mid - 0.2) < 1e-12 else f"{mid:g}"
    if threshold == "any":
        return f"any:{m}" if m else "any"
    return m


def decode_threshold(value: str | None) -> tuple[str, float]:
    """Inverse of :func:`encode_threshold`: ``(threshold, mid)``; never raises: junk gives the default, an MID
    outside 0.05-0.5 gives 0.2."""
    text = str(value or "").strip().lower()
    threshold = "mid"
    if text == "any" or text.startswith("any:"):
        threshold, text = "any", text[4:]
    try:
        mid = float(text) if text else 0.2
    except ValueError:
        return threshold, 0.2
    return threshold, (round(mid, 2) if 0.05 <= mid <= 0.5 else 0.2)


def encode_overrides(overrides: dict) -> str:
    """``{outcome: {domain: (downgrade, reason)}}`` as one URL-safe text: ``outcome.domain.downgrade.reason`` items
    joined by ``~``, the reason percent-encoded (so it can hold any character). Sorted, so a view has one URL."""
    from urllib.parse import quote

    items = []
    for outcome in sorted(overrides):
        for domain in sorted(overrides[outcome]):
            down, reason = overrides[outcome][domain]
            text = quote(str(reason), safe="").replace("~", "%7E")  # quote leaves "~" (unreserved) as is
            items.append(f"{outcome}.{domain}.{int(down)}.{text}")
    return "~".join(items)


def decode_overrides(value: str) -> dict:
    """Inverse of :func:`encode_overrides`; never raises: malformed items, unknown domains, ratings outside 0-2 and
    empty reasons are dropped."""
    from urllib.parse import unquote

    out: dict = {}
    for item in (value or "").split("~"):
        parts = item.split(".", 3)
        if len(parts) != 4:
            continue
        outcome, domain, down, reason = parts
        reason = unquote(reason).strip()
        if domain not in DOMAINS or down not in ("0", "1", "2") or not outcome or not reason:
            continue
        out.setdefault(outcome, {})[domain] = (int(down), reason)
    return out
