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
