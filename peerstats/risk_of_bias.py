"""Risk of bias: the one place that says which trial is at high risk, which is rated, and how much weight each carries.

Every other module (the GRADE risk-of-bias rule, the filter "exclude trials at high risk by either review", the
comparison of the two reviews, the Sensitivity page's "what would it take") asks this module; no other module reads
the rating columns itself.

The codebook columns (``trials.csv``; an upload's ratings are mapped onto the same names by the importer)
------------------------------------------------------------------------------------------------------
* ``quality``: the AHRQ standard of Egmose et al. (2023): ``good`` / ``fair`` / ``poor``. AHRQ defines poor quality as
  "significant risk of bias" (Viswanathan et al., AHRQ Methods Guide, 2012).
* The paper's seven Cochrane-style domains (Figure 1), ``low`` / ``unclear`` / ``high``: :data:`PAPER_DOMAINS`; the
  four *key* domains (:data:`KEY_DOMAINS`: sequence generation, allocation concealment, blinding of outcome assessors,
  incomplete outcome data) are the ones Cochrane's RoB 1 summary uses: a trial at high risk in one or more key domains
  is at high risk of bias (Higgins & Green 2011, Cochrane Handbook 5.1, Table 8.7.a).
* Cochrane RoB 2 (Sterne et al. 2019, BMJ 366:l4898), ``low`` / ``some_concerns`` / ``high``: the five domains
  :data:`ROB2_DOMAINS` and :data:`ROB2_OVERALL` (Smit et al. 2022 for 18 bundled trials; an upload's RoB 2 columns).
  Where the overall judgement is missing, RoB 2's own algorithm applies: high in any domain is high overall.

Definitions (one each)
----------------------
* **High risk** (:func:`high_risk`): AHRQ ``poor``, or ``high`` in a key domain of the paper's seven, or RoB 2 ``high``
  (overall, or in any domain when the overall judgement is missing). A trial counts once, whichever ratings say so.
* **Rated** (:func:`rated`): the trial has at least one known value in any of these columns. Blank, ``nan`` and
  values outside the levels above are *not rated*.
* **Low risk** in the GRADE sense (Core GRADE 4 classifies trials as low or high risk): rated and not at high risk.
* **Unknown** is neither: a trial with no rating is never counted as low risk (nor as high risk).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["AHRQ_LEVELS", "PAPER_DOMAINS", "KEY_DOMAINS", "ROB2_DOMAINS", "ROB2_OVERALL", "ROB2_LEVELS",
           "RATING_COLUMNS", "RobShares", "high_by_paper", "high_by_rob2", "high_risk", "rated", "judgement",
           "weight_shares"]

AHRQ_LEVELS = ("good", "fair", "poor")
PAPER_DOMAINS = ("rob_sequence_generation", "rob_allocation_concealment", "rob_blinding_assessors",
                 "rob_incomplete_data", "rob_selective_reporting", "rob_power_calculation", "rob_intent_to_treat")
KEY_DOMAINS = PAPER_DOMAINS[:4]
PAPER_LEVELS = ("low", "unclear", "high")
ROB2_DOMAINS = ("rob2_d1_randomisation", "rob2_d2_deviations", "rob2_d3_missing_data", "rob2_d4_measurement",
                "rob2_d5_selection")
ROB2_OVERALL = "rob2_overall"
#: RoB 2 judgement levels (codebook values -> words).
ROB2_LEVELS: dict[str, str] = {"low": "Low risk", "some_concerns": "Some concerns", "high": "High risk"}
#: Every column the rules read (a caller slimming a frame must keep those present).
RATING_COLUMNS = ("quality", *PAPER_DOMAINS, *ROB2_DOMAINS, ROB2_OVERALL)


_SEPARATORS = re.compile(r"[\s\-]+")


def _code(value) -> str:
    """One cell as lower-case codebook text ("Some concerns" -> "some_concerns"); "" where missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = _SEPARATORS.sub("_", str(value).strip().lower())
    return "" if text in ("nan", "none") else text


def _codes(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The column as an object array of :func:`_code` values; all "" when the column is absent.

    Plain Python over the cells: a rating column has one cell per trial, and per-cell pandas string methods cost
    ~2 ms a column (the GRADE rule reads 14 columns on every rerun of every page)."""
    if name not in frame:
        return np.full(len(frame), "", dtype=object)
    return np.array([_code(v) for v in frame[name].tolist()], dtype=object)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column as lower-case codebook text; "" where missing or absent."""
    return pd.Series(_codes(frame, name), index=frame.index, dtype=object)


def _in(frame: pd.DataFrame, name: str, levels) -> np.ndarray:
    return np.isin(_codes(frame, name), list(levels))


def _paper_high(frame: pd.DataFrame) -> np.ndarray:
    out = _codes(frame, "quality") == "poor"
    for c in KEY_DOMAINS:
        out |= _codes(frame, c) == "high"
    return out


def _rob2_high(frame: pd.DataFrame) -> np.ndarray:
    overall = _codes(frame, ROB2_OVERALL)
    any_domain = np.zeros(len(frame), dtype=bool)
    for c in ROB2_DOMAINS:
        any_domain |= _codes(frame, c) == "high"
    return (overall == "high") | (~np.isin(overall, list(ROB2_LEVELS)) & any_domain)


def _rated(frame: pd.DataFrame) -> np.ndarray:
    out = _in(frame, "quality", AHRQ_LEVELS)
    for c in PAPER_DOMAINS:
        out |= _in(frame, c, PAPER_LEVELS)
    for c in (*ROB2_DOMAINS, ROB2_OVERALL):
        out |= _in(frame, c, ROB2_LEVELS)
    return out


def high_by_paper(frame: pd.DataFrame) -> pd.Series:
    """Egmose et al.'s ratings say high risk: AHRQ ``poor`` or ``high`` in a key domain (boolean Series)."""
    return pd.Series(_paper_high(frame), index=frame.index)


def high_by_rob2(frame: pd.DataFrame) -> pd.Series:
    """RoB 2 says high risk: ``rob2_overall == "high"``, or, where the overall judgement is missing, high in any of
    the five domains (Sterne et al. 2019's algorithm)."""
    return pd.Series(_rob2_high(frame), index=frame.index)


def high_risk(frame: pd.DataFrame) -> pd.Series:
    """The trial is at high risk of bias by any of its ratings (:func:`high_by_paper` or :func:`high_by_rob2`).

    A trial without ratings is not at high risk *by this function*; whether it is known to be at low risk is
    :func:`judgement`'s question.
    """
    return pd.Series(_paper_high(frame) | _rob2_high(frame), index=frame.index)


def rated(frame: pd.DataFrame) -> pd.Series:
    """The trial has at least one risk-of-bias rating (AHRQ, a paper domain, a RoB 2 domain or overall)."""
    return pd.Series(_rated(frame), index=frame.index)


def judgement(frame: pd.DataFrame) -> pd.Series:
    """Per trial: ``"high"`` (:func:`high_risk`), ``"low"`` (rated, not high) or ``"not rated"``."""
    hi, known = _paper_high(frame) | _rob2_high(frame), _rated(frame)
    return pd.Series(np.where(hi, "high", np.where(known, "low", "not rated")), index=frame.index, dtype=object)


@dataclass(frozen=True)
class RobShares:
    """Percent of the pooled weight by risk of bias (sums to 100).

    Attributes
    ----------
    high, low, unknown : float
        Weight of trials at high risk, rated and not at high risk, and without any rating.
    rated : float
        ``high + low``.
    poor, key_domain, rob2 : float
        Weight of the trials each source puts at high risk (they overlap; ``high`` counts a trial once).
    has_rob2 : bool
        Some trial in the frame has a RoB 2 judgement.
    """

    high: float
    low: float
    unknown: float
    rated: float
    poor: float
    key_domain: float
    rob2: float
    has_rob2: bool


def weight_shares(frame: pd.DataFrame, weights) -> RobShares:
    """:class:`RobShares` of ``frame`` (one row per pooled study) under ``weights`` (any positive scale).

    Examples
    --------
    >>> f = pd.DataFrame({"quality": ["poor", "good", None]})
    >>> s = weight_shares(f, [50, 30, 20])
    >>> (s.high, s.low, s.unknown)
    (50.0, 30.0, 20.0)
    """
    w = np.asarray(weights, dtype=float)
    if len(w) != len(frame):
        raise ValueError(f"{len(frame)} rows but {len(w)} weights")
    total = float(w.sum())
    w = 100 * w / total if total > 0 else np.zeros_like(w)
    poor = _codes(frame, "quality") == "poor"
    key = np.zeros(len(frame), dtype=bool)
    for c in KEY_DOMAINS:
        key |= _codes(frame, c) == "high"
    rob2_high = _rob2_high(frame)
    hi, known = poor | key | rob2_high, _rated(frame)
    rob2_rated = _in(frame, ROB2_OVERALL, ROB2_LEVELS)
    for c in ROB2_DOMAINS:
        rob2_rated |= _in(frame, c, ROB2_LEVELS)
    return RobShares(high=float(w[hi].sum()), low=float(w[known & ~hi].sum()), unknown=float(w[~known].sum()),
                     rated=float(w[known].sum()), poor=float(w[poor].sum()), key_domain=float(w[key].sum()),
                     rob2=float(w[rob2_high].sum()), has_rob2=bool(rob2_rated.any()))
