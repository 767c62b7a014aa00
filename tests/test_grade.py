"""peerstats.grade: the GRADE rules as a table of synthetic cases, each with the expected rating and reason, and the
informative statements for every certainty x size combination (Santesso et al. 2020)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from peerstats.grade import grade_outcome, optimal_information_size, statement

MID = 0.2


def rows(k, *, quality="good", rob="low", provenance="reported", yi=None, vi=None, n=100):
    yi = np.full(k, 0.3) if yi is None else np.asarray(yi, float)
    vi = np.full(k, 0.02) if vi is None else np.asarray(vi, float)
    as_list = lambda v: v if isinstance(v, list) else [v] * k  # noqa: E731
    return pd.DataFrame({
        "yi": yi, "vi": vi, "quality": as_list(quality), "provenance": as_list(provenance), "n": as_list(n),
        "rob_sequence_generation": as_list(rob), "rob_allocation_concealment": "low", "rob_blinding_assessors": "low",
        "rob_incomplete_data": "low",
    })


def pooled(k, estimate=0.3, ci=(0.2, 0.4), pi=None, i2=10.0, weights=None):
    pi = ci if pi is None else pi
    w = np.full(k, 100.0 / k) if weights is None else np.asarray(weights, float)
    return SimpleNamespace(k=k, estimate=estimate, ci_low=ci[0], ci_high=ci[1], pi_low=pi[0], pi_high=pi[1], i2=i2,
                           weights=w)


def domain(g, name):
    return next(d for d in g.domains if d.name == name)


def test_optimal_information_size_by_hand():
    # n per arm = 2 (1.959964 + 0.841621)^2 / 0.2^2 = 392.4; two arms: 784.9
    assert optimal_information_size(0.2) == pytest.approx(4 * (1.959963985 + 0.841621234) ** 2 / 0.04, rel=1e-9)
    assert round(optimal_information_size(0.2)) == 785


# ---- risk of bias: weight share of poor-quality / high-risk trials -------------------------------------------------
@pytest.mark.parametrize("quality, rob, weights, expected, fragment", [
    (["good"] * 4, ["low"] * 4, None, 0, "Not serious: 0% of the weight"),
    (["poor", "good", "good", "good"], ["low"] * 4, [40, 20, 20, 20], 0, "Not serious: 40%"),       # 40 < 50
    (["poor", "poor", "good", "good"], ["low"] * 4, [30, 20, 25, 25], 1, "Serious: 50%"),           # = 50
    (["good", "good", "good", "poor"], ["high", "high", "low", "low"], [40, 40, 10, 10], 2, "Very serious: 90%"),
    (["fair"] * 4, ["high"] * 4, None, 2, "high risk in sequence generation"),
], ids=["none", "40pct-poor", "50pct-poor", "90pct-mixed", "all-high-risk"])
def test_risk_of_bias(quality, rob, weights, expected, fragment):
    g = grade_outcome(rows(4, quality=quality, rob=rob, n=400), pooled(4, weights=weights), outcome="hope", mid=MID)
    d = domain(g, "risk_of_bias")
    assert d.downgrade == expected
    assert fragment in d.reason


@pytest.mark.parametrize("quality, rob2, weights, expected, share, rob2_share", [
    # RoB 2 high alone: 30 + 30 = 60% -> serious
    (["good"] * 4, ["high", "high", "low", ""], [30, 30, 20, 20], 1, "60%", "60%"),
    # poor (AHRQ) and RoB 2 high on the same trial count once: 45 (poor, high) + 10 (high) = 55%, not 100%
    (["poor", "good", "good", "good"], ["high", "high", "some_concerns", ""], [45, 10, 25, 20], 1, "55%", "55%"),
    # poor 50 + RoB 2 high 40 on other trials = 90% -> very serious (each rating alone would be serious or less)
    (["poor", "poor", "good", "good"], ["low", "low", "high", "high"], [25, 25, 20, 20], 2, "90%", "40%"),
    # some concerns is not high risk; unrated trials are not high risk
    (["good"] * 4, ["some_concerns", "some_concerns", "", ""], None, 0, "0%", "0%"),
], ids=["rob2-alone", "counted-once", "either-review", "concerns-not-high"])
def test_risk_of_bias_counts_rob2_high_as_a_second_opinion(quality, rob2, weights, expected, share, rob2_share):
    r = rows(4, quality=quality, n=400).assign(rob2_overall=rob2)
    d = domain(grade_outcome(r, pooled(4, weights=weights), outcome="hope", mid=MID), "risk_of_bias")
    assert d.downgrade == expected
    assert f": {share} of the weight comes from trials that are poor quality or at high risk" in d.reason, d.reason
    assert f"high overall risk by RoB 2, Smit et al. 2022, {rob2_share})" in d.reason, d.reason


def test_risk_of_bias_says_nothing_of_rob2_without_ratings():
    """An upload without RoB 2 (no column, or an empty one) reads as before: no RoB 2 clause."""
    for r in (rows(4, n=400), rows(4, n=400).assign(rob2_overall="")):
        d = domain(grade_outcome(r, pooled(4), outcome="hope", mid=MID), "risk_of_bias")
        assert "RoB 2" not in d.reason and d.downgrade == 0


# ---- inconsistency: I2 and the prediction interval against 0 and the MID ---------------------------------------------
@pytest.mark.parametrize("k, i2, pi, expected, fragment", [
    (1, math.nan, (0.1, 0.5), 0, "Not assessable: one trial"),
    (5, 30.0, (-0.1, 0.7), 0, "Not serious: I² = 30%"),                       # low I2: no rating down
    (5, 60.0, (0.05, 0.55), 0, "does not move the prediction interval"),      # PI above 0
    (5, 60.0, (-0.1, 0.7), 1, "Serious: I² = 60%"),                           # PI spans 0 and the MID
    (5, 80.0, (-0.3, 0.9), 2, "important benefit or an important harm"),       # spans -MID and +MID
    (5, 60.0, (-0.3, 0.9), 1, "Serious"),                                     # same PI, I2 < 75: serious only
], ids=["k1", "i2-30", "i2-60-pi-positive", "i2-60-pi-spans", "i2-80-both", "i2-60-both"])
def test_inconsistency(k, i2, pi, expected, fragment):
    g = grade_outcome(rows(k, n=1000), pooled(k, pi=pi, i2=i2), outcome="hope", mid=MID)
    d = domain(g, "inconsistency")
    assert d.downgrade == expected
    assert fragment in d.reason


# ---- imprecision: CI against the MID, optimal information size (785 for MID 0.2) ------------------------------------
@pytest.mark.parametrize("ci, n_total, expected, fragment", [
    ((0.2, 0.4), 1000, 0, "Not serious"),
    ((0.2, 0.4), 400, 1, "400 participants against an optimal information size of 785"),
    ((-0.04, 0.32), 2000, 1, "includes no effect and an important effect"),   # the example
    ((-0.3, 0.5), 2000, 2, "both an important benefit and an important harm"),
    ((-0.1, 0.1), 2000, 0, "does not cross"),                                # precise null: not serious
    ((-0.1, 0.1), 300, 1, "fewer than needed"),
], ids=["precise", "below-ois", "crosses-0-and-mid", "crosses-both", "precise-null", "null-small"])
def test_imprecision(ci, n_total, expected, fragment):
    g = grade_outcome(rows(4, n=n_total / 4), pooled(4, estimate=sum(ci) / 2, ci=ci), outcome="hope", mid=MID)
    d = domain(g, "imprecision")
    assert d.downgrade == expected
    assert fragment in d.reason


# ---- publication bias: real rows only, >= 10 of them ------------------------------------------------------------------
def _symmetric(k):
    # pairs at the same variance with effects 0.3 -/+ 0.1: Egger's slope on sei is exactly 0 (p = 1)
    vi = np.repeat(np.linspace(0.01, 0.1, k // 2), 2)
    yi = 0.3 + np.tile([0.1, -0.1], k // 2)
    return yi, vi


def test_publication_bias_not_assessable_with_few_real_rows():
    yi, vi = _symmetric(12)
    prov = ["reported"] * 9 + ["reconstructed"] * 3     # 9 real rows < 10
    g = grade_outcome(rows(12, yi=yi, vi=vi, provenance=prov, n=200), pooled(12), outcome="hope", mid=MID)
    d = domain(g, "publication_bias")
    assert d.downgrade == 0 and d.reason.startswith("Not assessable: 9 trials with reported or derived data")


def test_publication_bias_symmetric_funnel_not_serious():
    yi, vi = _symmetric(12)
    g = grade_outcome(rows(12, yi=yi, vi=vi, n=200), pooled(12), outcome="hope", mid=MID)
    d = domain(g, "publication_bias")
    assert d.downgrade == 0 and "p = 1.000" in d.reason


def test_publication_bias_asymmetric_funnel_serious():
    # effects rise with their standard error (small-study effect): y = 0.1 + 2 sei + small alternating noise
    vi = np.linspace(0.005, 0.2, 12)
    yi = 0.1 + 2 * np.sqrt(vi) + np.tile([0.01, -0.01], 6)
    g = grade_outcome(rows(12, yi=yi, vi=vi, n=200), pooled(12), outcome="hope", mid=MID)
    d = domain(g, "publication_bias")
    assert d.downgrade == 1 and d.reason.startswith("Serious: Egger's test on the 12 real rows, p = 0.000")


# ---- overall certainty, overrides, reconstructed caveat --------------------------------------------------------------
def test_overall_certainty_and_statement():
    # poor-quality majority (-1), CI crossing 0 and the MID (-1): low; CI includes 0 -> no effect claimed
    g = grade_outcome(rows(4, quality=["poor", "poor", "good", "good"], n=500),
                      pooled(4, estimate=0.14, ci=(-0.04, 0.32), pi=(-0.04, 0.32), i2=0.0), outcome="personal recovery",
                      mid=MID)
    assert [d.downgrade for d in g.domains] == [1, 0, 1, 0, 0]
    assert (g.certainty, g.label, g.symbols) == (2, "low", "⊕⊕◯◯")
    assert g.statement == "Peer support may make little or no difference to personal recovery."
    assert g.table()["rating"].tolist() == ["serious", "not serious", "serious", "not serious", "not serious"]


def test_certainty_floors_at_very_low():
    g = grade_outcome(rows(4, quality="poor", n=10), pooled(4, estimate=0.1, ci=(-0.5, 0.7), pi=(-0.9, 1.1), i2=90),
                      outcome="hope", mid=MID, indirectness=(1, "mostly US veterans"))
    assert sum(d.downgrade for d in g.domains) == 2 + 2 + 2 + 0 + 1
    assert g.certainty == 1 and g.label == "very low"
    assert g.statement == "The evidence is very uncertain about the effect of peer support on hope."
    assert domain(g, "indirectness").reason == "Serious: mostly US veterans"


def test_overrides_replace_a_domain_with_the_reason_kept():
    g = grade_outcome(rows(4, quality="poor", n=1000), pooled(4), outcome="hope", mid=MID,
                      overrides={"risk_of_bias": (0, "poor AHRQ ratings reflect reporting, not conduct")})
    d = domain(g, "risk_of_bias")
    assert d.overridden and d.downgrade == 0 and d.suggested == 2
    assert "set by the user: poor AHRQ ratings reflect reporting" in d.reason
    assert g.certainty == 4
    with pytest.raises(ValueError, match="needs a reason"):
        grade_outcome(rows(4), pooled(4), outcome="hope", overrides={"imprecision": (1, " ")})
    with pytest.raises(ValueError, match="unknown GRADE domain"):
        grade_outcome(rows(4), pooled(4), outcome="hope", overrides={"bias": (1, "x")})


def test_reconstructed_rows_carrying_most_weight_get_a_caveat():
    prov = ["reconstructed", "reconstructed", "reported", "reported"]
    g = grade_outcome(rows(4, provenance=prov, n=1000), pooled(4, weights=[35, 30, 20, 15]), outcome="hope")
    assert g.reconstructed_share == pytest.approx(65.0)
    assert g.caveat.startswith("65% of the weight comes from rows reconstructed")
    g2 = grade_outcome(rows(4, provenance=prov, n=1000), pooled(4, weights=[20, 20, 30, 30]), outcome="hope")
    assert g2.caveat == ""


# ---- statements for every certainty x size combination ---------------------------------------------------------------
# (certainty, SMD, CI): size from the point estimate against MID 0.2 and 0.5; any CI including 0 -> no claim
SIZES = {
    "large": (0.6, (0.4, 0.8)), "small": (0.3, (0.1, 0.5)), "trivial": (0.1, (0.02, 0.18)),
    "ci-includes-0": (0.3, (-0.05, 0.65)), "harm-small": (-0.3, (-0.5, -0.1)),
}
EXPECTED = {
    (4, "large"): "Peer support improves hope.",
    (4, "small"): "Peer support improves hope slightly.",
    (4, "trivial"): "Peer support makes little or no difference to hope.",
    (4, "ci-includes-0"): "Peer support makes little or no difference to hope.",
    (4, "harm-small"): "Peer support worsens hope slightly.",
    (3, "large"): "Peer support probably improves hope.",
    (3, "small"): "Peer support probably improves hope slightly.",
    (3, "trivial"): "Peer support probably makes little or no difference to hope.",
    (3, "ci-includes-0"): "Peer support probably makes little or no difference to hope.",
    (3, "harm-small"): "Peer support probably worsens hope slightly.",
    (2, "large"): "Peer support may improve hope.",
    (2, "small"): "Peer support may improve hope slightly.",
    (2, "trivial"): "Peer support may make little or no difference to hope.",
    (2, "ci-includes-0"): "Peer support may make little or no difference to hope.",
    (2, "harm-small"): "Peer support may worsen hope slightly.",
    **{(1, s): "The evidence is very uncertain about the effect of peer support on hope." for s in SIZES},
}


@pytest.mark.parametrize("certainty, size", sorted(EXPECTED), ids=lambda v: str(v))
def test_statement_table(certainty, size):
    est, ci = SIZES[size]
    assert statement(certainty, est, *ci, "hope", mid=MID) == EXPECTED[(certainty, size)]


def test_statement_lower_is_better():
    # anxiety: a negative SMD (less anxiety) is the benefit
    assert statement(3, -0.3, -0.5, -0.1, "anxiety", beneficial=-1) == "Peer support probably reduces anxiety slightly."
    assert statement(2, 0.6, 0.3, 0.9, "anxiety", beneficial=-1) == "Peer support may increase anxiety."


@pytest.mark.parametrize("certainty", [2, 3, 4])
@pytest.mark.parametrize("est, lo, hi", [(0.14, -0.04, 0.32), (0.9, -0.01, 1.8), (-0.6, -1.2, 0.0)])
def test_statement_never_claims_an_effect_whose_ci_includes_no_effect(certainty, est, lo, hi):
    s = statement(certainty, est, lo, hi, "hope")
    assert "little or no difference" in s
    for claim in ("improve", "worsen", "reduce", "increase"):
        assert claim not in s


def test_override_codec_round_trips_and_drops_junk():
    from peerstats.grade import decode_overrides, encode_overrides

    ov = {"hope": {"risk_of_bias": (0, "ratings reflect reporting; not conduct ~ 100%"), "indirectness": (1, "US")},
          "anxiety": {"imprecision": (2, "tiny trials")}}
    enc = encode_overrides(ov)
    assert enc.startswith("anxiety.imprecision.2.tiny%20trials~hope.indirectness.1.US~hope.risk_of_bias.0.")
    assert decode_overrides(enc) == ov
    assert decode_overrides("hope.bogus.1.x~hope.imprecision.3.x~hope.imprecision.1.~garbage~") == {}
    assert decode_overrides("") == {}
