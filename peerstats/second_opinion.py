"""Two reviews' risk-of-bias judgements side by side: Egmose et al. (2023) and Smit et al. (2022).

Egmose et al. rate each trial with seven Cochrane-style domains (Figure 1) summarised by the AHRQ standard
(``quality``: good / fair / poor). Smit et al. rate 18 of the same trials with the Cochrane RoB 2 tool
(``rob2_overall``: low / some_concerns / high; Sterne et al. 2019, BMJ 366:l4898), carried in ``trials.csv``.

What "high risk" means for each review is defined once, in :mod:`peerstats.risk_of_bias`, and used by the filter
"exclude trials at high risk by either review", the GRADE risk-of-bias domain and this comparison:

* **Egmose et al.** (:func:`peerstats.risk_of_bias.high_by_paper`): AHRQ ``quality == "poor"`` (AHRQ: "significant
  risk of bias"; Viswanathan et al., AHRQ Methods Guide, 2012) or high risk in a key domain (Cochrane Handbook 5.1,
  Table 8.7.a).
* **Smit et al.** (:func:`peerstats.risk_of_bias.high_by_rob2`): ``rob2_overall == "high"``.

A trial not rated by a review is not "high" by that review (nor known to be at low risk: see
:func:`peerstats.risk_of_bias.judgement`).
"""

from __future__ import annotations

import pandas as pd

from . import risk_of_bias as rob
from .risk_of_bias import ROB2_LEVELS, ROB2_OVERALL

__all__ = ["ROB2_LEVELS", "ROB2_OVERALL", "high_risk_either", "rob_comparison"]



def _col(trials: pd.DataFrame, name: str) -> pd.Series:
    if name not in trials:
        return pd.Series("", index=trials.index, dtype=object)
    return trials[name].astype(object).where(trials[name].notna(), "").astype(str).str.strip()


def high_risk_either(trials: pd.DataFrame) -> pd.Series:
    """Boolean Series: the trial is at high risk by Egmose et al. or by Smit et al.
    (:func:`peerstats.risk_of_bias.high_risk`).

    A trials frame without the RoB 2 columns (e.g. an upload) is judged by the ratings it has.
    """
    return rob.high_risk(trials)


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
    by_paper = rob.high_by_paper(rated)
    by_smit = rob.high_by_rob2(rated)
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
