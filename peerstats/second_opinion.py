"""Two reviews' risk-of-bias judgements side by side: Egmose et al. (2023) and Smit et al. (2022).

Egmose et al. rate each trial with seven Cochrane-style domains (Figure 1) summarised by the AHRQ standard
(``quality``: good / fair / poor). Smit et al. rate 18 of the same trials with the Cochrane RoB 2 tool
(``rob2_overall``: low / some_concerns / high; Sterne et al. 2019, BMJ 366:l4898), carried in ``trials.csv``.

What "high risk" means for each review, used by the filter "exclude trials at high risk by either review":

* **Egmose et al.**: AHRQ ``quality == "poor"``. The AHRQ standard (Viswanathan et al., AHRQ Methods Guide, 2012)
  defines poor quality as "significant risk of bias"; the paper has no overall risk-of-bias judgement besides it.
* **Smit et al.**: ``rob2_overall == "high"``.

A trial not rated by a review is not "high" by that review.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["ROB2_LEVELS", "ROB2_OVERALL", "high_risk_either", "rob_comparison"]

#: RoB 2 judgement levels (codebook values -> words).
ROB2_LEVELS: dict[str, str] = {"low": "Low risk", "some_concerns": "Some concerns", "high": "High risk"}
#: The trials.csv column with Smit et al.'s overall RoB 2 judgement.
ROB2_OVERALL = "rob2_overall"


def _col(trials: pd.DataFrame, name: str) -> pd.Series:
    if name not in trials:
        return pd.Series("", index=trials.index, dtype=object)
    return trials[name].astype(object).where(trials[name].notna(), "").astype(str).str.strip()


def high_risk_either(trials: pd.DataFrame) -> pd.Series:
    """Boolean Series: the trial is at high risk by Egmose et al. (AHRQ poor) or by Smit et al. (RoB 2 high).

    A trials frame without the ``rob2_overall`` column (e.g. an upload) is judged by the paper's rating alone.
    """
    return _col(trials, "quality").eq("poor") | _col(trials, ROB2_OVERALL).eq("high")


def rob_comparison(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per trial rated by both reviews: the two judgements and whether they agree on "high risk".

    Returns
    -------
    DataFrame
        Columns ``trial_id``, ``label``, ``quality`` (Egmose, AHRQ), ``paper_high_domains`` (number of the paper's
        seven domains marked high), ``rob2_overall`` (Smit), ``high_by_paper``, ``high_by_smit`` (bool) and
        ``agreement``: ``"both high"``, ``"neither high"``, ``"only Egmose: high"`` or ``"only Smit: high"``. Trials
        without a RoB 2 judgement are left out. Sorted with disagreements first, then by label.
    """
    rated = trials[_col(trials, ROB2_OVERALL) != ""].copy()
    rob_cols = [c for c in rated.columns if c.startswith("rob_")]
    by_paper = _col(rated, "quality").eq("poor")
    by_smit = _col(rated, ROB2_OVERALL).eq("high")
    agreement = pd.Series("neither high", index=rated.index)
    agreement[by_paper & by_smit] = "both high"
    agreement[by_paper & ~by_smit] = "only Egmose: high"
    agreement[~by_paper & by_smit] = "only Smit: high"
    out = pd.DataFrame({
        "trial_id": rated["trial_id"], "label": rated.get("label", rated["trial_id"]), "quality": rated["quality"],
        "paper_high_domains": (rated[rob_cols] == "high").sum(axis=1).astype(int) if rob_cols else 0,
        "rob2_overall": _col(rated, ROB2_OVERALL), "high_by_paper": by_paper, "high_by_smit": by_smit,
        "agreement": agreement,
    })
    out["_agree"] = out["high_by_paper"] == out["high_by_smit"]
    out = out.sort_values(["_agree", "label"], kind="stable").drop(columns="_agree")
    return out.reset_index(drop=True)
