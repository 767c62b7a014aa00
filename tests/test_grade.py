"""peerstats.grade: Core GRADE (BMJ 2025) rules, one pure function per domain, as tables of hand-worked cases (one test
per row of docs/grade.md), the prediction interval against closed forms, and the statements for every certainty x size
combination (Santesso et al. 2020) under one threshold."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from peerstats.grade import (NOT_ASSESSABLE_IMPUTED, NOT_ASSESSABLE_ROB, decode_threshold, encode_threshold,
                             grade_outcome, optimal_information_size, prediction_interval, statement)
from peerstats.grade.imprecision import imprecision
from peerstats.grade.inconsistency import inconsistency, inconsistency_two_trials
from peerstats.grade.risk_of_bias import risk_of_bias

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


def pooled(k, estimate=0.3, ci=(0.25, 0.35), se=0.025, tau2=0.0, i2=0.0, weights=None):
    w = np.full(k, 100.0 / k) if weights is None else np.asarray(weights, float)
    return SimpleNamespace(k=k, estimate=estimate, ci_low=ci[0], ci_high=ci[1], se=se, tau2=tau2, i2=i2,
                           pi_low=ci[0], pi_high=ci[1], weights=w)


def domain(g, name):
    return next(d for d in g.domains if d.name == name)


def test_optimal_information_size_by_hand():
    # n per arm = 2 (1.959964 + 0.841621)^2 / 0.2^2 = 392.4; two arms: 784.9
    assert optimal_information_size(0.2) == pytest.approx(4 * (1.959963985 + 0.841621234) ** 2 / 0.04, rel=1e-9)
    assert round(optimal_information_size(0.2)) == 785


# ---- risk of bias (Core GRADE 4): weight not known to be at low risk; unknown is not low ----------------------------
def _rob_frame(**cols):
    return pd.DataFrame(cols)


@pytest.mark.parametrize("frame, weights, expected, fragments", [
    # all rated low: not serious
    (dict(quality=["good"] * 4), None, 0,
     ["Not serious: 0% of the weight is from trials at high risk", "0% not rated"]),
    # 40% poor: 60% low -> not serious
    (dict(quality=["poor", "good", "good", "good"]), [40, 20, 20, 20], 0, ["Not serious: 40%"]),
    # 50% poor: no more than half low -> serious (the boundary rates down)
    (dict(quality=["poor", "poor", "good", "good"]), [30, 20, 25, 25], 1, ["Serious: 50%"]),
    # 90% high (poor or a key domain): very serious
    (dict(quality=["good", "good", "good", "poor"], rob_sequence_generation=["high", "high", "low", "low"]),
     [40, 40, 10, 10], 2, ["Very serious: 90%", "high risk in a key domain 80%"]),
    # partial ratings: 25% high + 30% unrated = 55% not known low -> serious, the unrated share in words
    (dict(quality=["poor", "good", None, "good"]), [25, 25, 30, 20], 1,
     ["25% of the weight is from trials at high risk", "45% at low risk, 30% not rated",
      "unrated trials are not counted as low risk"]),
    # unknown alone cannot make it very serious: 90% unrated, 10% low -> serious, not very serious
    (dict(quality=[None, None, None, "good"]), [30, 30, 30, 10], 1, ["90% not rated"]),
    # RoB 2 with no overall judgement: high in a domain is high overall (Sterne et al. 2019)
    (dict(rob2_d1_randomisation=["high", "low", "low", "low"], rob2_overall=[None, "low", "low", "low"]),
     [60, 20, 10, 10], 1, ["high risk by RoB 2 60%"]),
    # RoB 2 words as a reviewer types them ("Some concerns") are ratings, not unknowns
    (dict(rob2_overall=["Some concerns", "Low", "low", "low"]), None, 0, ["0% not rated"]),
], ids=["all-low", "40pct-poor", "50pct-poor", "90pct-high", "partial", "mostly-unrated", "rob2-domain", "rob2-words"])
def test_risk_of_bias_rule(frame, weights, expected, fragments):
    f = _rob_frame(**frame)
    d = risk_of_bias(f, np.full(len(f), 25.0) if weights is None else weights)
    assert d.assessed and d.downgrade == expected
    for fragment in fragments:
        assert fragment in d.reason, d.reason


def test_no_ratings_at_all_is_not_assessed_and_the_certainty_not_assessable():
    plain = pd.DataFrame({"yi": [0.3] * 4, "vi": [0.02] * 4, "n": [400] * 4})
    g = grade_outcome(plain, pooled(4), outcome="hope")
    d = domain(g, "risk_of_bias")
    assert not d.assessed and d.severity == "not assessed" and d.reason.startswith("Not assessed: no trial")
    assert (g.certainty, g.label, g.symbols, g.assessable) == (None, "not assessable", "", False)
    assert g.not_assessable == NOT_ASSESSABLE_ROB
    assert g.statement.startswith("No statement on the effect of peer support on hope")
    assert "Risk of bias: Not assessed" in g.reasons
    # ratings blank or junk are no ratings either
    g2 = grade_outcome(plain.assign(quality=["", "nan", None, "n/a"]), pooled(4), outcome="hope")
    assert g2.certainty is None
    # a panel that has rated the trials may set the domain: then there is a certainty
    g3 = grade_outcome(plain, pooled(4), outcome="hope", overrides={"risk_of_bias": (1, "rated by the panel")})
    assert g3.assessable and g3.certainty == 3 and domain(g3, "risk_of_bias").suggested is None


# ---- imprecision (Core GRADE 2): the CI against the threshold, then the OIS ----------------------------------------
@pytest.mark.parametrize("threshold, ci, n_total, expected, fragment", [
    ("mid", (0.25, 0.45), 1000, 0, "Not serious: the 95% CI 0.25 to 0.45 crosses no threshold"),
    ("mid", (0.11, 0.29), 4000, 1, "crosses an important benefit (+0.2)"),        # personal recovery's case
    ("mid", (0.00, 0.45), 658, 1, "crosses an important benefit (+0.2)"),         # depression: the MID, as stated
    ("mid", (0.02, 0.18), 4000, 0, "crosses no threshold"),                       # precise "little or no difference"
    ("mid", (-0.3, 0.3), 4000, 2, "Very serious: the 95% CI -0.30 to 0.30 includes both"),
    ("mid", (0.20, 0.40), 1000, 0, "crosses no threshold"),                       # ends on the MID: no crossing
    ("mid", (0.25, 0.45), 300, 1, "300 participants against an optimal information size of 785"),
    ("mid", (0.25, 0.45), math.nan, 1, "participants not known"),
    ("any", (0.11, 0.29), 4000, 0, "target (any effect (0))"),
    ("any", (-0.05, 0.30), 4000, 1, "crosses no effect (0)"),
    ("any", (0.10, 0.30), 300, 1, "fewer than one adequately powered trial"),
    ("any", (-0.3, 0.3), 4000, 2, "includes both an important benefit and an important harm"),
], ids=["mid-clear", "mid-crosses", "mid-depression", "mid-precise-null", "mid-both", "mid-on-boundary",
        "mid-below-ois", "mid-n-unknown", "any-clear", "any-crosses-0", "any-below-ois", "any-both"])
def test_imprecision_rule(threshold, ci, n_total, expected, fragment):
    d = imprecision(*ci, n_total, mid=MID, threshold=threshold)
    assert d.downgrade == expected
    assert fragment in d.reason, d.reason


# ---- inconsistency (Core GRADE 3): prediction interval with t(k-2) against the thresholds ---------------------------
def test_prediction_interval_t_closed_forms():
    # k = 3: t with 1 df is the Cauchy quantile tan(pi (p - 1/2)); k = 4: t with 2 df is (2p - 1) / sqrt(2 p (1 - p))
    p = 0.975
    t1 = math.tan(math.pi * (p - 0.5))
    t2 = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    lo, hi = prediction_interval(0.3, 0.1, 0.04, 3)
    assert (lo, hi) == pytest.approx((0.3 - t1 * math.sqrt(0.05), 0.3 + t1 * math.sqrt(0.05)), rel=1e-12)
    lo, hi = prediction_interval(-0.25, 0.0666, 0.012, 4)
    half = t2 * math.sqrt(0.012 + 0.0666 ** 2)
    assert (lo, hi) == pytest.approx((-0.25 - half, -0.25 + half), rel=1e-12)
    assert t2 == pytest.approx(4.302652729749464, rel=1e-12)
    assert all(map(math.isnan, prediction_interval(0.3, 0.1, 0.04, 2)))


def _inc(k, est, se, tau2, threshold="mid", z_ci=True):
    ci = (est - 1.959963984540054 * se, est + 1.959963984540054 * se)
    return inconsistency(k, est, se, tau2, *ci, mid=MID, threshold=threshold)


@pytest.mark.parametrize("k, est, se, tau2, threshold, expected, fragment", [
    # tau2 = 0: between-trial variation moves nothing, whatever the I2 (no cliff)
    (10, 0.30, 0.05, 0.0, "mid", 0, "Not serious"),
    # personal recovery (k = 17, 0.20 (0.11 to 0.30), tau2 0.018): the PI crosses only the MID the CI crosses
    (17, 0.202, 0.0485, 0.018, "mid", 0, "not counted twice"),
    # the same under "any effect": the PI (-0.09 to 0.49) crosses 0, the interval without tau2 does not: serious
    (17, 0.202, 0.0485, 0.018, "any", 1, "Serious: prediction interval -0.10 to 0.51"),
    # large effect, wide spread: the PI reaches below +0.2 while the mean is far above: serious
    (10, 0.60, 0.05, 0.06, "mid", 1, "across an important benefit (+0.2)"),
    # spread across both important benefit and important harm, the CI within (-0.2, 0.2)... and beyond: very serious
    (12, 0.05, 0.04, 0.20, "mid", 2, "Very serious"),
    # anxiety (k = 4, benefit 0.255, se 0.0666, tau2 0.012): the z PI missed 0 by 0.004; with t(2) it crosses 0, but
    # so does the same interval without tau2 (0.255 +- 4.30 * 0.0666): the mean's uncertainty, not inconsistency
    (4, 0.255, 0.0666, 0.012, "any", 0, "also without between-trial variation"),
], ids=["tau2-zero", "pr-mid-shared", "pr-any", "large-effect", "both-sides", "anxiety-any"])
def test_inconsistency_rule(k, est, se, tau2, threshold, expected, fragment):
    d = _inc(k, est, se, tau2, threshold)
    assert d.downgrade == expected, d.reason
    assert fragment in d.reason, d.reason


def test_inconsistency_has_no_i2_cliff():
    # tau2 rising from 0: the rating never falls and never jumps at I2 = 50% (it changes only where the PI reaches a
    # threshold): evaluate on a fine grid and check each change happens where the PI edge crosses +0.2
    se, est, k = 0.05, 0.45, 10
    q = 2.306004135204166  # t(8) 0.975 quantile (scipy-independent constant: qt(0.975, 8) in R)
    last = 0
    for tau2 in np.linspace(0, 0.08, 401):
        d = _inc(k, est, se, tau2)
        low_edge = est - q * math.sqrt(tau2 + se * se)
        assert d.downgrade >= last
        assert d.downgrade == (1 if low_edge < MID and est - q * se > MID else 0) or low_edge < -MID
        last = d.downgrade


@pytest.mark.parametrize("yi, vi, expected, fragment", [
    ([0.6, -0.3], [0.01, 0.01], 1, "opposite sides of an important harm (-0.2) and an important benefit (+0.2)"),
    ([0.6, 0.1], [0.01, 0.01], 1, "opposite sides of an important benefit (+0.2)"),   # CIs 0.40-0.80, -0.10-0.30
    ([0.6, 0.1], [0.04, 0.04], 0, "their CIs overlap"),
    ([0.6, 0.5], [0.0001, 0.0001], 0, "same side of every threshold"),
], ids=["apart-both", "apart-mid", "overlap", "same-side"])
def test_inconsistency_two_trials(yi, vi, expected, fragment):
    d = inconsistency_two_trials(yi, vi, mid=MID)
    assert d.downgrade == expected and fragment in d.reason, d.reason


def test_one_trial_inconsistency_not_assessable():
    g = grade_outcome(rows(1, n=1000), pooled(1, ci=(0.25, 0.35)), outcome="hope")
    assert domain(g, "inconsistency").reason == "Not assessable: one trial."


# ---- imputed rows never carry a certainty -------------------------------------------------------------------------
def test_mostly_imputed_is_not_assessable_and_no_override_lifts_it():
    prov = ["reconstructed", "reconstructed", "reported", "reported"]
    g = grade_outcome(rows(4, provenance=prov, n=1000), pooled(4, weights=[35, 30, 20, 15]), outcome="hope")
    assert g.reconstructed_share == pytest.approx(65.0)
    assert (g.certainty, g.label, g.symbols) == (None, "not assessable", "")
    assert g.not_assessable == NOT_ASSESSABLE_IMPUTED == "not assessable: mostly imputed values"
    assert g.caveat.startswith("Certainty not assessable: 65% of the weight is on rows reconstructed")
    assert "mostly imputed values" in g.statement
    g_ov = grade_outcome(rows(4, provenance=prov, n=1000), pooled(4, weights=[35, 30, 20, 15]), outcome="hope",
                         overrides={d: (0, "panel") for d in ("risk_of_bias", "imprecision")})
    assert g_ov.certainty is None
    # below half: rated, and the share is said
    g2 = grade_outcome(rows(4, provenance=prov, n=1000), pooled(4, weights=[20, 20, 30, 30]), outcome="hope")
    assert g2.certainty == 4 and g2.caveat.startswith("40% of the weight is on rows reconstructed")
    g3 = grade_outcome(rows(4, n=1000), pooled(4), outcome="hope")
    assert g3.caveat == ""


# ---- publication bias: real rows only, >= 10 of them ---------------------------------------------------------------
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


# ---- overall certainty, overrides ---------------------------------------------------------------------------------
def test_overall_certainty_and_statement():
    # poor-quality majority (-1); CI 0.16 to 0.44 crosses the MID (-1): low, and the point estimate 0.30 above the MID
    # is claimed with "may"
    g = grade_outcome(rows(4, quality=["poor", "poor", "good", "good"], n=500),
                      pooled(4, estimate=0.30, ci=(0.16, 0.44), se=0.0714), outcome="personal recovery", mid=MID)
    assert [d.downgrade for d in g.domains] == [1, 0, 1, 0, 0]
    assert (g.certainty, g.label, g.symbols) == (2, "low", "⊕⊕◯◯")
    assert g.statement == "Peer support may improve personal recovery slightly."
    assert g.table()["rating"].tolist() == ["serious", "not serious", "serious", "not serious", "not serious"]


def test_certainty_floors_at_very_low():
    g = grade_outcome(rows(4, quality="poor", n=10), pooled(4, estimate=0.1, ci=(-0.5, 0.7), se=0.3, tau2=0.5),
                      outcome="hope", mid=MID, indirectness=(1, "mostly US veterans"))
    assert sum(d.downgrade for d in g.domains) >= 4
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
    with pytest.raises(ValueError, match="threshold must be one of"):
        grade_outcome(rows(4), pooled(4), outcome="hope", threshold="mcid")


def test_one_threshold_for_statement_and_certainty():
    # On a grid of estimates and CIs, under each threshold: an unhedged claim ("improves", high certainty) never comes
    # with a CI that crosses the threshold, and the statement claims an effect exactly when the point estimate is
    # beyond the threshold (Core GRADE 2: the point estimate sets the target)
    for threshold, t in (("mid", MID), ("any", 0.0)):
        for est in np.linspace(-0.6, 0.6, 25):
            for half in (0.05, 0.12, 0.3):
                lo, hi = est - half, est + half
                g = grade_outcome(rows(4, n=4000), pooled(4, estimate=est, ci=(lo, hi), se=half / 1.96),
                                  outcome="hope", threshold=threshold)
                claims = not ("little or no difference" in g.statement or "very uncertain" in g.statement)
                assert claims == (abs(est) >= t and est != 0) or g.certainty == 1, (threshold, est, g.statement)
                if g.certainty == 4:
                    assert not (lo < t < hi or lo < -t < hi), (threshold, est, half)


def test_threshold_codec_round_trips_and_drops_junk():
    for value in ("mid", 0.2), ("mid", 0.35), ("any", 0.2), ("any", 0.3):
        assert decode_threshold(encode_threshold(*value)) == value
    assert encode_threshold("mid", 0.2) == "" and encode_threshold("any", 0.2) == "any"
    assert decode_threshold("garbage") == ("mid", 0.2) and decode_threshold("7") == ("mid", 0.2)
    assert decode_threshold(None) == ("mid", 0.2)


# ---- statements for every certainty x size combination ---------------------------------------------------------------
# (certainty, SMD, CI): size from the point estimate against the MID 0.2 and 0.5
SIZES = {
    "large": (0.6, (0.4, 0.8)), "small": (0.3, (0.1, 0.5)), "trivial": (0.1, (0.02, 0.18)),
    "ci-includes-0": (0.3, (-0.05, 0.65)), "harm-small": (-0.3, (-0.5, -0.1)),
}
EXPECTED = {
    (4, "large"): "Peer support improves hope.",
    (4, "small"): "Peer support improves hope slightly.",
    (4, "trivial"): "Peer support makes little or no difference to hope.",
    (4, "ci-includes-0"): "Peer support improves hope slightly.",  # statement() alone; grade_outcome rates it down
    (4, "harm-small"): "Peer support worsens hope slightly.",
    (3, "large"): "Peer support probably improves hope.",
    (3, "small"): "Peer support probably improves hope slightly.",
    (3, "trivial"): "Peer support probably makes little or no difference to hope.",
    (3, "ci-includes-0"): "Peer support probably improves hope slightly.",
    (3, "harm-small"): "Peer support probably worsens hope slightly.",
    (2, "large"): "Peer support may improve hope.",
    (2, "small"): "Peer support may improve hope slightly.",
    (2, "trivial"): "Peer support may make little or no difference to hope.",
    (2, "ci-includes-0"): "Peer support may improve hope slightly.",
    (2, "harm-small"): "Peer support may worsen hope slightly.",
    **{(1, s): "The evidence is very uncertain about the effect of peer support on hope." for s in SIZES},
}


@pytest.mark.parametrize("certainty, size", sorted(EXPECTED), ids=lambda v: str(v))
def test_statement_table(certainty, size):
    est, ci = SIZES[size]
    assert statement(certainty, est, *ci, "hope", mid=MID) == EXPECTED[(certainty, size)]


def test_statement_with_any_effect_as_threshold():
    # "any effect": a trivial point estimate is still an effect (hedged by the certainty that the CI has rated down)
    assert statement(2, 0.1, 0.02, 0.18, "hope", threshold="any") == "Peer support may improve hope slightly."
    assert statement(3, 0.0, -0.1, 0.1, "hope", threshold="any") == \
        "Peer support probably makes little or no difference to hope."


def test_statement_lower_is_better():
    # anxiety: a negative SMD (less anxiety) is the benefit
    assert statement(3, -0.3, -0.5, -0.1, "anxiety", beneficial=-1) == "Peer support probably reduces anxiety slightly."
    assert statement(2, 0.6, 0.3, 0.9, "anxiety", beneficial=-1) == "Peer support may increase anxiety."


def test_override_codec_round_trips_and_drops_junk():
    from peerstats.grade import decode_overrides, encode_overrides

    ov = {"hope": {"risk_of_bias": (0, "ratings reflect reporting; not conduct ~ 100%"), "indirectness": (1, "US")},
          "anxiety": {"imprecision": (2, "tiny trials")}}
    enc = encode_overrides(ov)
    assert enc.startswith("anxiety.imprecision.2.tiny%20trials~hope.indirectness.1.US~hope.risk_of_bias.0.")
    assert decode_overrides(enc) == ov
    assert decode_overrides("hope.bogus.1.x~hope.imprecision.3.x~hope.imprecision.1.~garbage~") == {}
    assert decode_overrides("") == {}


# ---- the next-trial designer uses the same rules -------------------------------------------------------------------
def test_designer_grade_after_uses_the_same_rules_with_no_i2_cliff():
    # Issue 18: one hypothetical trial at the pooled estimate moved personal recovery from low to moderate because I2
    # fell from 50.2% to 47% (the old I2 >= 50% cut-off). With Core GRADE's rules the designer's "after" is
    # grade_outcome on the appended rows, and that trial (which adds no spread) does not lift inconsistency.
    from peerstats.data import load_evidence
    from peerstats.designer import add_hypothetical_trials
    from peerstats.rma import pool
    from peerstats.select import Filters, select

    sel = select(load_evidence(), Filters(), "personal_recovery")
    # Put the view just above the old cliff whatever the data: scaling every vi by c scales Q by 1/c, and
    # I2 = 1 - df/Q, so c = Q (1 - 0.505) / df gives I2 = 50.5% with the same estimates and weights' proportions.
    q, df = pool(sel.yi, sel.vi, method="DL").q, sel.k - 1
    rows = sel.effects.assign(vi=sel.effects["vi"].astype(float) * q * (1 - 0.505) / df)
    trial = {"label": "New", "n_per_arm": 40, "smd": float("nan"), "as_pooled": True, "quality": "fair"}
    for threshold in ("mid", "any"):
        res = add_hypothetical_trials(rows, [trial], Filters(), "DL", "z", outcome="personal recovery",
                                      threshold=threshold)
        assert res.before.i2 > 50 > res.after.i2  # the old cliff is crossed
        again = grade_outcome(res.rows_after, pool(res.rows_after["yi"].to_numpy(float),
                                                   res.rows_after["vi"].to_numpy(float), method="DL"),
                              outcome="personal recovery", n_participants=res.n_after, threshold=threshold)
        assert [d.downgrade for d in res.grade_after.domains] == [d.downgrade for d in again.domains]
        assert res.grade_after.certainty == again.certainty
        inc_before, inc_after = (domain(g, "inconsistency").downgrade for g in (res.grade_before, res.grade_after))
        assert inc_after == inc_before, (threshold, res.grade_before.reasons, res.grade_after.reasons)


# ---- Explore's sentence: the Summary's hedge words ------------------------------------------------------------------
@pytest.mark.parametrize("certainty, lead", [(4, "Peer support had a small effect"),
                                             (3, "Peer support probably had a small effect"),
                                             (2, "Peer support may have had a small effect"),
                                             (1, "Peer support may have had a small effect")])
def test_explore_sentence_carries_the_certaintys_hedge(certainty, lead):
    from dashboard.text import headline_sentence
    from peerstats.grade import LEVELS

    res = SimpleNamespace(k=10, estimate=0.3, ci_low=0.1, ci_high=0.5, pval=0.003, level=0.95, i2=30.0, q_pval=0.2)
    s = headline_sentence(res, "Hope", 1, {"reported": 10}, certainty=certainty, certainty_label=LEVELS[certainty])
    assert lead in s and s.endswith(f"Certainty of the evidence (GRADE, Summary of findings): {LEVELS[certainty]}.")
    # the same words as the Summary's statement at that certainty
    word = {4: "", 3: "probably", 2: "may", 1: "may"}[certainty]
    said = statement(certainty, 0.3, 0.1, 0.5, "hope")
    if certainty > 1:
        assert (f" {word} " in said) if word else not any(f" {w} " in said for w in ("probably", "may"))
    else:
        assert "The evidence is very uncertain." in s
    # no certainty, no hedge and no certainty words
    plain = headline_sentence(res, "Hope", 1, {"reported": 10})
    assert "Peer support had a small effect" in plain and "Certainty" not in plain


# ---- Core GRADE 4's second question: do high- and low-risk trials differ? ----------------------------------------
def _two_trials(y_high, v_high, y_low, v_low):
    from peerstats.rma import pool

    frame = rows(2, quality=["poor", "good"], yi=[y_high, y_low], vi=[v_high, v_low])
    res = pool(frame["yi"].to_numpy(), frame["vi"].to_numpy(), method="DL")
    return frame, res


def test_substantial_high_risk_weight_whose_removal_changes_the_conclusion_is_serious():
    # high-risk trial 0.6 (vi 0.03), low-risk trial 0.1 (vi 0.02): the pooled SMD is above the MID 0.2, the low-risk
    # trial alone (its own estimate, 0.1) below it. Under DL, tau2 = max(0, (Q - 1) / (sum w - sum w^2 / sum w)) with
    # Q = 0.5^2 / 0.05 = 5, so the high-risk trial's weight stays between 25% and 50% (checked here).
    frame, res = _two_trials(0.6, 0.03, 0.1, 0.02)
    w = 1 / np.array([0.03, 0.02])
    tau2 = max(0.0, (5.0 - 1) / (w.sum() - (w * w).sum() / w.sum()))
    ws = 1 / (np.array([0.03, 0.02]) + tau2)
    assert 25 <= 100 * ws[0] / ws.sum() < 50
    assert res.estimate > MID
    d = risk_of_bias(frame, res.weights, pooled=res, sign=1, threshold="mid", mid=MID)
    assert d.downgrade == 1
    assert "other side of an important benefit (+0.2)" in d.reason and "0.10" in d.reason


def test_substantial_high_risk_weight_with_the_same_conclusion_is_not_serious():
    frame, res = _two_trials(0.35, 0.03, 0.3, 0.02)  # both well above the MID, CIs alike
    d = risk_of_bias(frame, res.weights, pooled=res, sign=1, threshold="any", mid=MID)
    assert d.downgrade == 0 and "the same conclusion" in d.reason


def test_small_high_risk_weight_is_not_compared():
    frame, res = _two_trials(0.6, 0.3, 0.1, 0.01)  # the high-risk trial carries a few percent of the weight
    assert 100 * res.weights[0] / res.weights.sum() < 25
    d = risk_of_bias(frame, res.weights, pooled=res, sign=1, threshold="mid", mid=MID)
    assert d.downgrade == 0 and "alone give" not in d.reason


def test_the_comparison_works_in_the_benefit_direction():
    # less is better (anxiety): the same numbers negated give the same judgement
    frame, res = _two_trials(-0.6, 0.03, -0.1, 0.02)
    d = risk_of_bias(frame, res.weights, pooled=res, sign=-1, threshold="mid", mid=MID)
    assert d.downgrade == 1


def test_risk_of_bias_reads_ratings_as_reviewers_type_them():
    """Spellings, blanks and missing values, classified by hand: case, spaces and hyphens do not matter; None, NaN,
    pd.NA, "" and "nan" are not ratings (unknown is not low); RoB 2 domains count only where the overall is missing."""
    from peerstats import risk_of_bias as rb

    f = pd.DataFrame({
        "quality": [" Poor ", None, float("nan"), "good", "nan", pd.NA],
        "rob_blinding_assessors": ["low", "HIGH", "", None, "unclear", None],
        "rob2_overall": [None, None, "Some-Concerns", "some concerns", None, ""],
        "rob2_d3_missing_data": [None, None, "high", None, None, "High"],
    })
    assert rb.high_risk(f).tolist() == [True, True, False, False, False, True]
    assert rb.rated(f).tolist() == [True, True, True, True, True, True]
    assert rb.judgement(f.iloc[[0, 2, 4]]).tolist() == ["high", "low", "low"]
    assert rb.judgement(pd.DataFrame({"quality": [None, "fair"]})).tolist() == ["not rated", "low"]
    s = rb.weight_shares(f, [1, 2, 3, 4, 5, 5])
    assert (s.high, s.low, s.unknown) == (100 * 8 / 20, 100 * 12 / 20, 0.0)
    assert (s.poor, s.key_domain, s.rob2, s.has_rob2) == (5.0, 10.0, 25.0, True)
