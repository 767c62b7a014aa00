"""peerstats.sof.summary_of_findings on the bundled data: one row per outcome, numbers equal to an independent
recomputation (outcome_table's pooling, the NNT by hand with stdlib NormalDist), statements follow the CI rule."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from peerstats.data import OUTCOMES, load_evidence
from peerstats.select import Filters, exclude_poor, outcome_table
from peerstats.sof import SOF_COLUMNS, summary_of_findings

EV = load_evidence()
N = NormalDist()


@pytest.fixture(scope="module")
def sof():
    return summary_of_findings(EV, Filters(), "DL", "z", mid=0.2, cer=0.3)


def test_one_row_per_outcome_with_the_pooled_numbers(sof):
    ref = outcome_table(EV, Filters(), "DL", "z")
    assert list(sof.columns) == list(SOF_COLUMNS)
    assert list(sof["outcome"]) == list(ref["outcome"])
    assert sof["k"].tolist() == ref["k"].tolist()
    pooled = ref["k"] > 0
    assert sof.loc[pooled, "estimate"].to_numpy() == pytest.approx(ref.loc[pooled, "estimate"].to_numpy(), rel=1e-12)
    assert (sof.loc[~pooled, "note"] == "no trials").all()


@pytest.mark.parametrize("outcome", ["personal_recovery", "anxiety", "hope"])
def test_nnt_by_hand(sof, outcome):
    row = sof.set_index("outcome").loc[outcome]
    b = OUTCOMES[outcome][2]
    # NNT = 1 / (Phi(b * SMD + Phi^-1(CER)) - CER), CER = 0.3
    expected = 1 / (N.cdf(b * row["estimate"] + N.inv_cdf(0.3)) - 0.3)
    assert row["nnt"] == pytest.approx(expected, rel=1e-9)
    assert row["nnt_text"].startswith(f"NNTB {math.ceil(expected)}")


def test_statements_follow_the_ci_rule_under_every_filter():
    for filters in (Filters(), exclude_poor(Filters())):
        tab = summary_of_findings(EV, filters)
        for _, r in tab[tab["k"] > 0].iterrows():
            if r["ci_low"] <= 0 <= r["ci_high"]:
                assert ("little or no difference" in r["statement"] or "very uncertain" in r["statement"]), r["label"]
            assert r["symbols"].count("⊕") == r["certainty"]


def test_reconstructed_majority_is_flagged(sof):
    r = sof.set_index("outcome").loc["personal_recovery"]
    assert (r["reconstructed_share"] > 50) == bool(r["caveat"])


@pytest.mark.parametrize("outcome", ["hope", "personal_recovery", "overall_symptoms"])
def test_risk_of_bias_share_counts_either_review(sof, outcome):
    """The table grades the full rows, RoB 2 included: the share of weight from trials high risk by either review
    (AHRQ poor or a key domain high, or RoB 2 overall high), recomputed here from the selection and the DL weights."""
    import numpy as np

    from peerstats.meta import pool
    from peerstats.select import select

    sel = select(EV, Filters(), outcome)
    w = pool(sel.yi, sel.vi, method="DL").weights
    rows = sel.effects
    high = rows["quality"].astype(str).eq("poor").to_numpy() | rows["rob2_overall"].astype(str).eq("high").to_numpy()
    for col in ("rob_sequence_generation", "rob_allocation_concealment", "rob_blinding_assessors",
                "rob_incomplete_data"):
        high |= rows[col].astype(str).eq("high").to_numpy()
    rob2 = float(np.asarray(w)[rows["rob2_overall"].astype(str).eq("high").to_numpy()].sum())
    reasons = sof.set_index("outcome").loc[outcome, "reasons"]
    assert f"{float(np.asarray(w)[high].sum()):.0f}% of the weight comes from trials" in reasons, reasons
    assert f"by RoB 2, Smit et al. 2022, {rob2:.0f}%)" in reasons, reasons
